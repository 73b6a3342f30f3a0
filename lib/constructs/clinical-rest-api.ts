import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { acknowledge, CONSTRUCT_LIBRARY_OWNER } from '../../compliance-rules/acknowledge';
import { acknowledgeWildcardResource } from '../../compliance-rules/acknowledge-wildcard';

/**
 * The TLS policy of the API and its custom domains: TLS 1.3 preferred, TLS 1.2 the minimum, forward-secret
 * cipher suites only (API Gateway "enhanced" policy). Enhanced policies require an endpoint access mode; STRICT
 * rejects requests whose SNI does not match the host, so a custom domain cannot be reached under another name.
 */
export const API_SECURITY_POLICY = 'SecurityPolicy_TLS13_1_2_2021_06';
export const API_ENDPOINT_ACCESS_MODE = 'STRICT';

/** Headers on every answer API Gateway gives itself (errors before or instead of the function). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

/**
 * The answers API Gateway gives itself, as RFC 9457 problem documents: status, title and a type URI per kind.
 * `$context.error.messageString` is API Gateway's own (quoted) message; it never contains the request body.
 */
export const GATEWAY_PROBLEMS: ReadonlyArray<{
  readonly type: apigw.ResponseType;
  readonly status?: number;
  readonly problem: string;
  readonly title: string;
}> = [
  { type: apigw.ResponseType.UNAUTHORIZED, status: 401, problem: 'unauthorized', title: 'Unauthorized' },
  { type: apigw.ResponseType.ACCESS_DENIED, status: 403, problem: 'forbidden', title: 'Forbidden' },
  { type: apigw.ResponseType.EXPIRED_TOKEN, status: 401, problem: 'unauthorized', title: 'Unauthorized' },
  { type: apigw.ResponseType.INVALID_SIGNATURE, status: 401, problem: 'unauthorized', title: 'Unauthorized' },
  // API Gateway answers an unknown route with "Missing Authentication Token": it is a 404 to the caller.
  {
    type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: 404,
    problem: 'not-found',
    title: 'Not Found',
  },
  { type: apigw.ResponseType.RESOURCE_NOT_FOUND, status: 404, problem: 'not-found', title: 'Not Found' },
  {
    type: apigw.ResponseType.WAF_FILTERED,
    status: 403,
    problem: 'request-blocked',
    title: 'Request blocked',
  },
  {
    type: apigw.ResponseType.THROTTLED,
    status: 429,
    problem: 'too-many-requests',
    title: 'Too Many Requests',
  },
  {
    type: apigw.ResponseType.QUOTA_EXCEEDED,
    status: 429,
    problem: 'too-many-requests',
    title: 'Too Many Requests',
  },
  {
    type: apigw.ResponseType.REQUEST_TOO_LARGE,
    status: 413,
    problem: 'payload-too-large',
    title: 'Payload Too Large',
  },
  { type: apigw.ResponseType.BAD_REQUEST_BODY, status: 400, problem: 'bad-request', title: 'Bad Request' },
  {
    type: apigw.ResponseType.BAD_REQUEST_PARAMETERS,
    status: 400,
    problem: 'bad-request',
    title: 'Bad Request',
  },
  {
    type: apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE,
    status: 415,
    problem: 'unsupported-media-type',
    title: 'Unsupported Media Type',
  },
  {
    type: apigw.ResponseType.INTEGRATION_TIMEOUT,
    status: 504,
    problem: 'gateway-timeout',
    title: 'Gateway Timeout',
  },
  { type: apigw.ResponseType.DEFAULT_4XX, problem: 'client-error', title: 'Client Error' },
  { type: apigw.ResponseType.DEFAULT_5XX, problem: 'server-error', title: 'Service Unavailable' },
];

/** Base of the `type` URIs of the platform's problem documents (lambdas/shared/problem.ts uses the same). */
export const PROBLEM_TYPE_BASE = 'https://clinical-ai-platform.dev/problems/';

/** The gateway response body template of one kind of answer. */
export function problemTemplate(p: (typeof GATEWAY_PROBLEMS)[number]): string {
  return [
    '{',
    `"type":"${PROBLEM_TYPE_BASE}${p.problem}",`,
    `"title":"${p.title}",`,
    ...(p.status === undefined ? [] : [`"status":${p.status},`]),
    '"detail":$context.error.messageString,',
    '"instance":"urn:request:$context.requestId"',
    '}',
  ].join('');
}

/**
 * The access-log record: who (the authorizer's subject, the source IP), what (method, resource, status, sizes,
 * latencies, WAF verdict, TLS), when, and the request id that the function's logs and the audit record carry.
 * Never a body, a query string, a path parameter value or a header that carries a credential.
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTimeEpoch',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integration.latency',
  integrationStatus: '$context.integration.status',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  caller: '$context.authorizer.claims.sub',
  clientId: '$context.authorizer.claims.client_id',
  wafStatus: '$context.waf.status',
  wafLatency: '$context.waf.latency',
  authorizerStatus: '$context.authorizer.status',
  tlsVersion: '$context.tlsVersion',
  cipherSuite: '$context.cipherSuite',
  domainName: '$context.domainName',
  errorType: '$context.error.responseType',
  xrayTraceId: '$context.xrayTraceId',
};

export interface ClinicalRestApiDomain {
  /** The hosted zone that holds the API's names. */
  readonly hostedZoneId: string;
  /** The zone's apex name, e.g. `example.org`. @default - derived from the names (their common parent) */
  readonly zoneName?: string;
  /**
   * The names this region serves: the shared failover name (`api.example.org`, whose records the global stack
   * manages) and the region's own name (`us-east-1.api.example.org`, aliased here to this region's endpoint).
   * The first is the certificate's subject, the others its alternative names.
   */
  readonly names: readonly string[];
  /** The name this construct aliases to the API (an A record); the others point elsewhere (failover records). */
  readonly aliasName: string;
}

export interface ClinicalRestApiProps {
  /** Name of the RestApi. */
  readonly restApiName: string;
  /** Description of the RestApi. @default - none */
  readonly description?: string;
  /** Stage name. @default 'live' */
  readonly stageName?: string;
  /** CMK of the access-log and execution-log groups (the audit-logs key: CloudWatch Logs may use it). */
  readonly logKey: kms.IKey;
  /** Days the access logs are kept (audit records). */
  readonly accessLogDays: number;
  /** Days the execution logs (errors only, never bodies) are kept. */
  readonly executionLogDays: number;
  /** Stage-wide steady-state throttle (requests per second), from the capacity plan. */
  readonly rateLimit: number;
  /** Stage-wide burst throttle, from the capacity plan. */
  readonly burstLimit: number;
  /** Media types passed to the integrations as bytes. @default - none */
  readonly binaryMediaTypes?: readonly string[];
  /**
   * Custom domain names with an ACM certificate validated in Route 53. With a domain, the default
   * `execute-api` endpoint is disabled, so every request arrives under the TLS policy and names of the domain.
   * @default - no custom domain; the `execute-api` endpoint under the same TLS policy
   */
  readonly domain?: ClinicalRestApiDomain;
  /**
   * Create the account-level role that lets API Gateway write execution logs in this region
   * (`AWS::ApiGateway::Account`, one per account and region).
   * @default true
   */
  readonly manageAccountLoggingRole?: boolean;
  /** Owner of this construct's acknowledgements. @default CONSTRUCT_LIBRARY_OWNER */
  readonly owner?: string;
}

/**
 * A regional API Gateway REST API as a HIPAA workload needs it (45 CFR 164.312(b) audit controls,
 * 164.312(e)(1) transmission security, 164.308(a)(1)(ii)(D) activity review):
 * - TLS 1.2 minimum (enhanced security policy, strict SNI) on the API and on its custom domains;
 * - access logs as JSON in a KMS-encrypted log group kept for the audit retention; execution logs at ERROR
 *   with data tracing off (never a body), in a pre-created KMS-encrypted group with retention (API Gateway would
 *   otherwise create it unencrypted and kept forever);
 * - X-Ray tracing, CloudWatch metrics, stage-wide throttling from the capacity plan;
 * - every answer API Gateway gives itself (authorizer denials, throttling, WAF blocks, oversize bodies, unknown
 *   routes, timeouts) as an RFC 9457 problem document with security headers;
 * - a parameter validator methods can use, and the execute-api endpoint disabled when custom domains exist.
 */
export class ClinicalRestApi extends Construct {
  readonly api: apigw.RestApi;
  readonly stage: apigw.Stage;
  readonly accessLogs: logs.LogGroup;
  readonly executionLogs: logs.LogGroup;
  /** Validates required parameters and, where a method names a model for its content type, the body. */
  readonly requestValidator: apigw.RequestValidator;
  /** A JSON body that is an object (of at most 64 properties at the top level): the edge check of JSON routes. */
  readonly jsonObjectModel: apigw.Model;
  readonly certificate?: acm.Certificate;
  readonly domainNames: readonly apigw.DomainName[];

  constructor(scope: Construct, id: string, props: ClinicalRestApiProps) {
    super(scope, id);
    const stageName = props.stageName ?? 'live';
    const owner = props.owner ?? CONSTRUCT_LIBRARY_OWNER;
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: props.logKey,
      retention: props.accessLogDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: props.restApiName,
      description: props.description,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      binaryMediaTypes: props.binaryMediaTypes ? [...props.binaryMediaTypes] : undefined,
      disableExecuteApiEndpoint: props.domain !== undefined,
      cloudWatchRole: false,
      deployOptions: {
        stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const cfnApi = this.api.node.defaultChild as apigw.CfnRestApi;
    cfnApi.securityPolicy = API_SECURITY_POLICY;
    cfnApi.endpointAccessMode = API_ENDPOINT_ACCESS_MODE;
    this.stage = this.api.deploymentStage;
    // No stage cache: responses carry PHI (predictions) or per-caller state (receipts), and POST is never cached.
    for (const id of [
      'HIPAA.Security::HIPAA.Security-APIGWCacheEnabledAndEncrypted',
      'NIST.800.53.R5::NIST.800.53.R5-APIGWCacheEnabledAndEncrypted',
    ]) {
      acknowledge(this.stage, {
        id,
        reason:
          'The stage has no response cache by design: prediction answers contain PHI and are per request, receipts are per caller, and POST methods are never cached; with no cache there is no cached data to encrypt.',
        reference: 'docs/api.md#no-response-cache',
        owner,
        expires: '2027-10-31',
      });
    }
    // A client certificate authenticates API Gateway to HTTP backends; every integration here is Lambda.
    for (const id of [
      'HIPAA.Security::HIPAA.Security-APIGWSSLEnabled',
      'NIST.800.53.R5::NIST.800.53.R5-APIGWSSLEnabled',
    ]) {
      acknowledge(this.stage, {
        id,
        reason:
          'A stage client certificate authenticates API Gateway to HTTP backends. Every integration is a Lambda proxy invoked through the Lambda API (SigV4 over TLS inside AWS), which a client certificate does not apply to; clients reach the API over TLS 1.2+ only.',
        reference: 'docs/api.md#backend-authentication',
        owner,
        expires: '2027-10-31',
      });
    }

    // API Gateway writes execution logs to this name; created here first, it is encrypted and expires.
    this.executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${stageName}`,
      encryptionKey: props.logKey,
      retention: props.executionLogDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage.node.addDependency(this.executionLogs);

    if (props.manageAccountLoggingRole ?? true) this.accountLoggingRole(owner);

    for (const p of GATEWAY_PROBLEMS) {
      this.api.addGatewayResponse(`Problem${p.type.responseType}`, {
        type: p.type,
        statusCode: p.status === undefined ? undefined : String(p.status),
        templates: { 'application/json': problemTemplate(p) },
        responseHeaders: {
          'Content-Type': "'application/problem+json'",
          ...Object.fromEntries(Object.entries(SECURITY_HEADERS).map(([k, v]) => [k, `'${v}'`])),
        },
      });
    }

    this.requestValidator = new apigw.RequestValidator(this, 'RequestValidator', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    // Coarse on purpose: the handler validates every field and names each one in its problem document; the edge
    // only turns away what is not a JSON object before it costs an invocation.
    this.jsonObjectModel = new apigw.Model(this, 'JsonObjectModel', {
      restApi: this.api,
      contentType: 'application/json',
      description: 'A JSON object',
      schema: {
        schema: apigw.JsonSchemaVersion.DRAFT4,
        type: apigw.JsonSchemaType.OBJECT,
        maxProperties: 64,
      },
    });

    const domains: apigw.DomainName[] = [];
    if (props.domain) {
      const d = props.domain;
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: d.hostedZoneId,
        zoneName: d.zoneName ?? parentName(d.names),
      });
      const [subject, ...alternatives] = d.names;
      this.certificate = new acm.Certificate(this, 'Certificate', {
        domainName: subject,
        subjectAlternativeNames: alternatives.length > 0 ? alternatives : undefined,
        validation: acm.CertificateValidation.fromDns(zone),
      });
      d.names.forEach((name, i) => {
        const domain = new apigw.DomainName(this, `Domain${i}`, {
          domainName: name,
          certificate: this.certificate!,
          endpointType: apigw.EndpointType.REGIONAL,
          securityPolicy: apigw.SecurityPolicy.TLS_1_2,
        });
        const cfnDomain = domain.node.defaultChild as apigw.CfnDomainName;
        cfnDomain.securityPolicy = API_SECURITY_POLICY;
        cfnDomain.endpointAccessMode = API_ENDPOINT_ACCESS_MODE;
        domain.addBasePathMapping(this.api, { stage: this.stage });
        if (name === d.aliasName) {
          new route53.ARecord(this, `Alias${i}`, {
            zone,
            recordName: name,
            target: route53.RecordTarget.fromAlias(new route53Targets.ApiGatewayDomain(domain)),
          });
        }
        domains.push(domain);
      });
    }
    this.domainNames = domains;
  }

  /**
   * The role API Gateway assumes to write execution logs, set on the account in this region: our own role with
   * only the log actions on the execution-log groups, rather than the AWS-managed
   * AmazonAPIGatewayPushToCloudWatchLogs policy (which allows them on every log group).
   */
  private accountLoggingRole(owner: string): void {
    const stack = Stack.of(this);
    const groups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: 'API-Gateway-Execution-Logs_*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const role = new iam.Role(this, 'AccountLoggingRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description:
        'API Gateway writes execution logs (errors only) to the API-Gateway-Execution-Logs_* groups',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogGroups',
          'logs:DescribeLogStreams',
        ],
        resources: [groups, `${groups}:log-stream:*`],
      }),
    );
    const account = new apigw.CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
    account.node.addDependency(role);
    this.stage.node.addDependency(account);
    acknowledgeWildcardResource(role, groups, {
      reason:
        'API Gateway names each execution-log group API-Gateway-Execution-Logs_<api id>/<stage>; the account-level role serves every API of the region, so the name prefix is the narrowest scope. The groups are pre-created encrypted with retention.',
      reference: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html',
      owner,
      expires: '2027-10-31',
    });
    acknowledgeWildcardResource(role, `${groups}:log-stream:*`, {
      reason:
        'Log streams are created by API Gateway per deployment and time window; the streams of the execution-log groups are the narrowest scope.',
      reference: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html',
      owner,
      expires: '2027-10-31',
    });
  }
}

/** The longest common parent of DNS names (`api.example.org`, `us-east-1.api.example.org` -> `api.example.org`). */
function parentName(names: readonly string[]): string {
  const split = names.map((n) => n.split('.').reverse());
  const common: string[] = [];
  for (let i = 0; ; i++) {
    const part = split[0][i];
    if (part === undefined || split.some((s) => s[i] !== part)) break;
    common.push(part);
  }
  return common.reverse().join('.');
}
