/** API Gateway REST (v1 proxy) events and Lambda contexts for handler tests. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

let counter = 0;

export interface EventInit {
  readonly method?: string;
  readonly resource?: string;
  readonly body?: string | null;
  readonly headers?: Record<string, string>;
  readonly multiValueHeaders?: Record<string, string[]>;
  readonly query?: Record<string, string> | null;
  /** The Cognito `sub` claim; null for no authorizer context. */
  readonly subject?: string | null;
  /** The `cognito:groups` claim as API Gateway passes it (a string). */
  readonly groups?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestId?: string;
}

export function apiEvent(init: EventInit = {}): APIGatewayProxyEvent {
  counter += 1;
  const resource = init.resource ?? '/v1/predictions';
  const headers = init.headers ?? { 'Content-Type': 'application/json' };
  return {
    resource,
    path: resource,
    httpMethod: init.method ?? 'POST',
    headers,
    multiValueHeaders:
      init.multiValueHeaders ?? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: init.query ?? null,
    multiValueQueryStringParameters: init.query
      ? Object.fromEntries(Object.entries(init.query).map(([k, v]) => [k, [v]]))
      : null,
    pathParameters: null,
    stageVariables: null,
    body: init.body === undefined ? null : init.body,
    isBase64Encoded: init.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer:
        init.subject === null
          ? undefined
          : {
              claims: {
                sub: init.subject ?? '4f1c2d3e-aaaa-bbbb-cccc-0123456789ab',
                ...(init.groups === undefined ? {} : { 'cognito:groups': init.groups }),
              },
            },
      protocol: 'HTTP/1.1',
      httpMethod: init.method ?? 'POST',
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/prod${resource}`,
      stage: 'prod',
      requestId: init.requestId ?? `req-${counter.toString().padStart(8, '0')}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'res1',
      resourcePath: resource,
    },
  };
}

export function lambdaContext(remainingMs = 10_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'predictions',
    functionVersion: '1',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:predictions:live',
    memoryLimitInMB: '512',
    awsRequestId: `lambda-${(counter += 1)}`,
    logGroupName: '/aws/lambda/predictions',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A complete, valid prediction body with messy but acceptable input. */
export const VALID_BODY = {
  patientRef: 'MRN-00042',
  patient: { age: '71 years' },
  observations: {
    RR: 22,
    SpO2: '94%',
    O2: 'air',
    BP: '104/66',
    HR: 112,
    ACVPU: 'alert',
    temp: '101.3 °F',
    wt: '176 lb',
    BG: { value: 180, unit: 'mg/dL' },
  },
};
