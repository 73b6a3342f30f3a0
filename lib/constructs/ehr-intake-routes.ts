import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { EHR_INGEST_SCOPE } from './ehr-partner-auth';

/** Media types API Gateway must pass to the intake as bytes (its RestApi's `binaryMediaTypes`). */
export const EHR_BINARY_MEDIA_TYPES = [
  'x-application/hl7-v2+er7',
  'application/hl7-v2+er7',
  'application/hl7-v2',
  'application/fhir+json',
] as const;

export interface EhrIntakeRoutesProps {
  /** The API that serves `/v1` (the api tier's RestApi). */
  readonly api: apigw.IRestApi;
  /** The intake function (IngestionStack.intake). */
  readonly intake: lambda.IFunction;
  /** The partner user pool whose access tokens authenticate vendors (IngestionStack.partnerAuth.userPool). */
  readonly userPool: cognito.IUserPool;
}

/**
 * The EHR intake routes on the platform API: `POST /v1/ehr/fhir`, `POST /v1/ehr/hl7v2` and
 * `GET /v1/ehr/receipts/{id}`, each behind a Cognito authorizer on the partner pool that requires the
 * `ehr/ingest` scope (45 CFR 164.312(d)), proxied to the intake function.
 *
 * The RestApi must list {@link EHR_BINARY_MEDIA_TYPES} in `binaryMediaTypes`, so that an HL7 message in ISO-8859-1
 * reaches the intake byte for byte (API Gateway would otherwise decode and re-encode it as UTF-8).
 */
export class EhrIntakeRoutes extends Construct {
  readonly authorizer: apigw.CognitoUserPoolsAuthorizer;
  readonly methods: readonly apigw.Method[];

  constructor(scope: Construct, id: string, props: EhrIntakeRoutesProps) {
    super(scope, id);
    this.authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'PartnerAuthorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: apigw.IdentitySource.header('Authorization'),
      authorizerName: 'ehr-partners',
    });
    const integration = new apigw.LambdaIntegration(props.intake, { proxy: true });
    const options: apigw.MethodOptions = {
      authorizer: this.authorizer,
      authorizationType: apigw.AuthorizationType.COGNITO,
      authorizationScopes: [EHR_INGEST_SCOPE],
    };
    const ehr = props.api.root.resourceForPath('v1/ehr');
    // One validator for the three methods: the required header or path parameter is checked before the call.
    const validator = new apigw.RequestValidator(this, 'ParameterValidator', {
      restApi: props.api,
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    const withValidator = (requestParameters: Record<string, boolean>): apigw.MethodOptions => ({
      ...options,
      requestParameters,
      requestValidator: validator,
    });
    this.methods = [
      ehr
        .addResource('fhir')
        .addMethod('POST', integration, withValidator({ 'method.request.header.Content-Type': true })),
      ehr
        .addResource('hl7v2')
        .addMethod('POST', integration, withValidator({ 'method.request.header.Content-Type': true })),
      ehr
        .addResource('receipts')
        .addResource('{id}')
        .addMethod('GET', integration, withValidator({ 'method.request.path.id': true })),
    ];
  }
}
