/** API Gateway REST (v1 proxy) events as the API delivers them after its Cognito authorizer. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

let counter = 0;

export interface IngestEventInit {
  readonly resource: '/v1/ehr/fhir' | '/v1/ehr/hl7v2' | '/v1/ehr/receipts/{id}';
  readonly method?: string;
  readonly body?: Buffer | string | null;
  /** Send the body base64-encoded (binary media type). @default true for Buffers */
  readonly base64?: boolean;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  /** OAuth client id in the token; null for no authorizer claims at all. */
  readonly clientId?: string | null;
  readonly scope?: string;
  readonly tokenUse?: string;
  readonly pathParameters?: Record<string, string> | null;
}

export function ingestEvent(init: IngestEventInit): APIGatewayProxyEvent {
  counter++;
  const headers: Record<string, string> = {
    ...(init.contentType ? { 'Content-Type': init.contentType } : {}),
    ...init.headers,
  };
  const body = init.body ?? null;
  const base64 = init.base64 ?? Buffer.isBuffer(body);
  const claims =
    init.clientId === null
      ? undefined
      : {
          client_id: init.clientId ?? 'client-meridian',
          sub: init.clientId ?? 'client-meridian',
          token_use: init.tokenUse ?? 'access',
          scope: init.scope ?? 'ehr/ingest',
        };
  return {
    resource: init.resource,
    path: init.resource.replace('{id}', init.pathParameters?.id ?? ''),
    httpMethod: init.method ?? (init.resource === '/v1/ehr/receipts/{id}' ? 'GET' : 'POST'),
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: init.pathParameters ?? null,
    stageVariables: null,
    body: body === null ? null : base64 ? Buffer.from(body).toString('base64') : body.toString(),
    isBase64Encoded: base64,
    requestContext: {
      requestId: `req-${counter}`,
      ...(claims ? { authorizer: { claims } } : {}),
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

export function lambdaContext(remainingMs = 25_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ehr-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ehr-test',
    memoryLimitInMB: '1024',
    awsRequestId: `lambda-${counter}`,
    logGroupName: '/aws/lambda/ehr-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
