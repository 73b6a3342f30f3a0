import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { acknowledge } from '../compliance-rules/acknowledge';
import { API_LAMBDA_MAIN_FIELDS, API_LAMBDA_NODE_OPTIONS } from '../lib/api-bundling';
import { planApi, type ApiPlan } from '../lib/config/api';
import { endpointName } from '../lib/config/inference';
import { ApiWebAcl } from '../lib/constructs/api-web-acl';
import { ClinicalRestApi } from '../lib/constructs/clinical-rest-api';
import { CLINICIANS_GROUP } from '../lib/constructs/clinician-user-pool';
import { DataDomainKey } from '../lib/constructs/data-domain-key';
import { EHR_BINARY_MEDIA_TYPES, EhrIntakeRoutes } from '../lib/constructs/ehr-intake-routes';
import { HardenedFunction } from '../lib/constructs/hardened-function';
import { phiTableName } from '../lib/data-names';
import { parameterName } from '../lib/naming';
import { regionalApiDomain } from '../lib/runbooks';
import type { FoundationStack } from './foundation-stack';
import type { IdentityStack } from './identity-stack';
import type { IngestionStack } from './ingestion-stack';
import type { ObservedApi } from './observability-stack';
import { allow } from '../lib/grants';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

export interface ApiStackProps extends PlatformStackProps {
  /** The region's foundation: VPC and CMKs. */
  readonly foundation: FoundationStack;
  /** The region's clinician user pool (the predictions authorizer). */
  readonly identity: IdentityStack;
  /** The region's EHR ingestion: its intake function and partner pool get routes on this API. */
  readonly ingestion: IngestionStack;
}

/** Re-review date of this stack's acknowledgements. */
const ACKNOWLEDGEMENTS_EXPIRE = '2027-10-31';

/** The routes of the API (ARCHITECTURE.md "API contracts"). */
export const API_ROUTES = {
  predictions: { method: 'POST', path: '/v1/predictions' },
  health: { method: 'GET', path: '/v1/health' },
} as const;

/** Seconds the predictions function caches the fleet-wide fallback flag. */
export const FALLBACK_FLAG_TTL_SECONDS = 30;

/**
 * The clinical inference API of one region:
 * - a regional REST API (ClinicalRestApi): TLS 1.2+, access and execution logs under the audit-logs CMK,
 *   X-Ray, throttling from the capacity plan, problem+json for every answer API Gateway gives itself, and, with
 *   the profile's `dns`, the failover name and the region's own name as custom domains;
 * - a WAFv2 web ACL (ApiWebAcl) with managed rules, body limits and per-caller and per-IP rate limits;
 * - `POST /v1/predictions` behind a Cognito authorizer on the clinician pool (MFA, threat protection; the
 *   handler also requires the `clinicians` group), served by the predictions function through its `live` alias,
 *   with provisioned concurrency where the profile asks for it;
 * - `GET /v1/health`, the one unauthenticated route, for Route 53's health checkers;
 * - the EHR intake routes (EhrIntakeRoutes) behind the partner pool's `ehr/ingest` scope.
 *
 * The functions run in the VPC's isolated subnets and reach DynamoDB, KMS, SageMaker and SSM through the
 * foundation's VPC endpoints; their environment is encrypted with the PHI CMK and names no secret.
 */
export class ApiStack extends PlatformStack {
  readonly plan: ApiPlan;
  readonly rest: ClinicalRestApi;
  readonly webAcl: ApiWebAcl;
  readonly predictions: HardenedFunction;
  /** The alias the API invokes (provisioned concurrency lives here). */
  readonly predictionsAlias: lambda.Alias;
  readonly health: HardenedFunction;
  readonly ehrRoutes: EhrIntakeRoutes;
  readonly methods: Readonly<Record<keyof typeof API_ROUTES, apigw.Method>>;
  /** What the observability stack watches. */
  readonly observed: ObservedApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { profile, capacity } = props.config;
    const { foundation } = props;
    const owner = profile.tags.owner;
    const plan = planApi(profile, capacity);
    this.plan = plan;
    const phiKey = foundation.importKey(this, 'phi-data');
    const logKey = foundation.importKey(this, 'audit-logs');
    // The first model of the profile serves predictions (lambdas/predictions takes one endpoint).
    const model = profile.inference.models[0];
    const endpoint = endpointName(profile.namePrefix, model.name);
    const endpointArn = this.formatArn({
      service: 'sagemaker',
      resource: 'endpoint',
      resourceName: endpoint,
    });
    // The audit and idempotency table, by name: the global table's replica carries the same name in the DR region.
    const tableName = phiTableName(profile);
    const tableArn = this.formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName });
    const flagName = parameterName(profile, 'api', 'fallback-mode');
    const flagArn = this.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: flagName.slice(1),
    });

    this.rest = new ClinicalRestApi(this, 'Api', {
      restApiName: `${profile.namePrefix}-api-${this.region}`,
      description: `clinical-ai-platform ${profile.name} API (${this.region})`,
      logKey,
      accessLogDays: plan.accessLogDays,
      executionLogDays: profile.logRetention.auditDays,
      rateLimit: plan.rateLimit,
      burstLimit: plan.burstLimit,
      binaryMediaTypes: EHR_BINARY_MEDIA_TYPES,
      domain: profile.dns
        ? {
            hostedZoneId: profile.dns.hostedZoneId,
            names: [profile.dns.domainName, regionalApiDomain(profile.dns.domainName, this.region)],
            aliasName: regionalApiDomain(profile.dns.domainName, this.region),
          }
        : undefined,
      owner,
    });
    const api = this.rest.api;

    this.webAcl = new ApiWebAcl(this, 'WebAcl', {
      name: `${profile.namePrefix}-api-${this.region}`,
      stageArn: this.rest.stage.stageArn,
      perCallerLimit: plan.wafPerCallerLimit,
      perIpLimit: plan.wafPerIpLimit,
      maxBodyBytes: plan.maxBodyBytes,
      logKey,
      logRetentionDays: profile.logRetention.auditDays,
    });

    const securityGroup = (name: string) => {
      const sg = new ec2.SecurityGroup(this, `${name}SecurityGroup`, {
        vpc: foundation.vpc,
        description: `${name}: no inbound; HTTPS to the VPC endpoints only`,
        allowAllOutbound: false,
      });
      sg.addEgressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(443),
        'HTTPS to VPC endpoints and the DynamoDB gateway',
      );
      return sg;
    };
    const common = {
      key: phiKey,
      logKey,
      // The functions' logs are the who/what/when of every request (never PHI): audit records.
      logRetentionDays: profile.logRetention.auditDays,
      vpc: foundation.vpc,
      mainFields: [...API_LAMBDA_MAIN_FIELDS],
      codeSplitting: true,
    };

    this.predictions = new HardenedFunction(this, 'Predictions', {
      ...common,
      lambdaName: 'predictions',
      description: 'POST /v1/predictions: validate, normalise, infer behind a confidence gate, audit',
      reservedConcurrency: plan.predictionsReserved,
      securityGroups: [securityGroup('Predictions')],
      memorySize: 1024,
      // Inference budget 3 s + 2.5 s reserve for audit and answer: inside this and API Gateway's 29 s.
      timeout: Duration.seconds(10),
      environment: {
        NODE_OPTIONS: API_LAMBDA_NODE_OPTIONS,
        AUDIT_TABLE_NAME: tableName,
        IDEMPOTENCY_TABLE_NAME: tableName,
        IDEMPOTENCY_TTL_SECONDS: '3600',
        PHI_KEY_ARN: phiKey.keyArn,
        SAGEMAKER_ENDPOINT_NAME: endpoint,
        MODEL_NAME: model.name,
        MODEL_VERSION: model.version,
        CONFIDENCE_THRESHOLD: String(model.confidenceThreshold),
        FALLBACK_MODE: 'news2',
        INFERENCE_BUDGET_MS: '3000',
        INFERENCE_RESERVE_MS: '2500',
        REQUIRED_GROUP: CLINICIANS_GROUP,
        FALLBACK_PARAMETER_NAME: flagName,
        FALLBACK_FLAG_TTL_SECONDS: String(FALLBACK_FLAG_TTL_SECONDS),
        POWERTOOLS_METRICS_NAMESPACE: 'ClinicalAI/Api',
      },
    });
    const predictionsRole = this.predictions.role;
    allow(
      predictionsRole,
      ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      [tableArn],
    );
    allow(predictionsRole, ['sagemaker:InvokeEndpoint'], [endpointArn]);
    allow(predictionsRole, ['ssm:GetParameter'], [flagArn]);
    // The Encryption SDK's KMS keyring calls KMS directly (data keys for PHI persisted with idempotent answers);
    // DynamoDB uses the same key for the table on the caller's behalf.
    DataDomainKey.allowDirectUse(predictionsRole, phiKey, 'phi-data', ['kms:GenerateDataKey', 'kms:Decrypt']);

    this.predictionsAlias = new lambda.Alias(this, 'PredictionsLive', {
      aliasName: 'live',
      version: this.predictions.function.currentVersion,
      provisionedConcurrentExecutions:
        plan.predictionsProvisioned > 0 ? plan.predictionsProvisioned : undefined,
      description:
        plan.predictionsProvisioned > 0
          ? `Serves the API; ${plan.predictionsProvisioned} pre-warmed executions (capacity plan)`
          : 'Serves the API',
    });

    this.health = new HardenedFunction(this, 'Health', {
      ...common,
      lambdaName: 'health',
      description: 'GET /v1/health: deep check of the audit store, the PHI key and the model endpoint',
      reservedConcurrency: plan.healthReserved,
      securityGroups: [securityGroup('Health')],
      memorySize: 512,
      timeout: Duration.seconds(5),
      environment: {
        NODE_OPTIONS: API_LAMBDA_NODE_OPTIONS,
        AUDIT_TABLE_NAME: tableName,
        IDEMPOTENCY_TABLE_NAME: tableName,
        PHI_KEY_ARN: phiKey.keyArn,
        SAGEMAKER_ENDPOINT_NAME: endpoint,
        HEALTH_CACHE_SECONDS: String(profile.api.healthCacheSeconds),
        POWERTOOLS_METRICS_NAMESPACE: 'ClinicalAI/Api',
      },
    });
    allow(this.health.role, ['dynamodb:DescribeTable'], [tableArn]);
    allow(this.health.role, ['sagemaker:DescribeEndpoint'], [endpointArn]);
    DataDomainKey.allowDirectUse(this.health.role, phiKey, 'phi-data', ['kms:DescribeKey']);

    const clinicians = new apigw.CognitoUserPoolsAuthorizer(this, 'ClinicianAuthorizer', {
      cognitoUserPools: [props.identity.clinicians.userPool],
      identitySource: apigw.IdentitySource.header('Authorization'),
      authorizerName: 'clinicians',
      resultsCacheTtl: Duration.minutes(5),
    });
    const predictionsMethod = api.root
      .resourceForPath(API_ROUTES.predictions.path.slice(1))
      .addMethod(API_ROUTES.predictions.method, new apigw.LambdaIntegration(this.predictionsAlias), {
        authorizer: clinicians,
        authorizationType: apigw.AuthorizationType.COGNITO,
        requestParameters: { 'method.request.header.Content-Type': true },
        requestModels: { 'application/json': this.rest.jsonObjectModel },
        requestValidator: this.rest.requestValidator,
      });
    const healthMethod = api.root
      .resourceForPath(API_ROUTES.health.path.slice(1))
      .addMethod(API_ROUTES.health.method, new apigw.LambdaIntegration(this.health.function), {
        authorizationType: apigw.AuthorizationType.NONE,
      });
    this.methods = { predictions: predictionsMethod, health: healthMethod };
    // The one unauthenticated route (compliance-rules/rules/api-method-authorized.ts allows exactly this one).
    for (const findingId of ['AwsSolutions::AwsSolutions-APIG4', 'AwsSolutions::AwsSolutions-COG4']) {
      acknowledge(healthMethod, {
        id: findingId,
        reason:
          'GET /v1/health is the target of the Route 53 failover health checks, which cannot authenticate. It answers only dependency status (ok/degraded per check, no identifiers, no PHI), is cached for seconds, rate-limited by WAF per IP, and runs with a reserved concurrency of 5.',
        reference: 'docs/api.md#health-route',
        owner,
        expires: ACKNOWLEDGEMENTS_EXPIRE,
      });
    }

    this.ehrRoutes = new EhrIntakeRoutes(this, 'EhrRoutes', {
      api,
      intake: props.ingestion.intake.function,
      userPool: props.ingestion.partnerAuth.userPool,
    });

    this.observed = {
      restApi: api,
      stageName: this.rest.stage.stageName,
      functions: { predictions: this.predictions.function, health: this.health.function },
      webAcl: this.webAcl.webAcl,
    };
  }
}
