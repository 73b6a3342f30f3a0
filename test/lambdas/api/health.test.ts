/** `GET /v1/health`: deep dependency checks for Route 53, cached, bounded in time, revealing nothing. */
import './support/env';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import {
  createHealthRoute,
  endpointCheck,
  keyCheck,
  tableCheck,
  type DependencyCheck,
} from '../../../lambdas/health/checks';
import { httpStack } from '../../../lambdas/shared/middleware';
import { captureStdout, type Captured } from './support/capture';
import { TEST_KEY_ARN } from './support/env';
import { apiEvent, lambdaContext } from './support/events';
import { problemOf } from './support/harness';

const ddb = mockClient(DynamoDBClient);
const kms = mockClient(KMSClient);
const sm = mockClient(SageMakerClient);
const clients = {
  ddb: new DynamoDBClient({ region: 'us-east-1' }),
  kms: new KMSClient({ region: 'us-east-1' }),
  sm: new SageMakerClient({ region: 'us-east-1' }),
};
const realChecks = (): DependencyCheck[] => [
  tableCheck('auditStore', clients.ddb, 'cap-poc-audit-idempotency'),
  keyCheck('phiKey', clients.kms, TEST_KEY_ARN),
  endpointCheck('inferenceEndpoint', clients.sm, 'cap-poc-deterioration-risk'),
];
function healthy(): void {
  ddb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'ACTIVE' } });
  kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Enabled: true, KeyState: 'Enabled' } });
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' } as never);
}
const get = (handler: ReturnType<typeof httpStack>, init: Parameters<typeof apiEvent>[0] = {}) =>
  handler(
    apiEvent({ method: 'GET', resource: '/v1/health', headers: {}, subject: null, ...init }),
    lambdaContext(),
  );
const stack = (checks: DependencyCheck[], now?: () => number, cacheMs = 0) =>
  httpStack({
    routes: { '/v1/health': { GET: createHealthRoute({ checks, cacheMs, ...(now ? { now } : {}) }) } },
  });

let out: Captured;
beforeEach(() => {
  out = captureStdout();
  ddb.reset();
  kms.reset();
  sm.reset();
});
afterEach(() => out.restore());
afterAll(() => {
  ddb.restore();
  kms.restore();
  sm.restore();
});

test('all dependencies serving: 200 {status: pass, checks}', async () => {
  healthy();
  const res = await get(stack(realChecks()));
  expect(res.statusCode).toBe(200);
  const body = JSON.parse(res.body) as { status: string; checks: Record<string, { status: string }> };
  expect(body.status).toBe('pass');
  expect(Object.keys(body.checks)).toEqual(['auditStore', 'phiKey', 'inferenceEndpoint']);
  expect(Object.values(body.checks).every((c) => c.status === 'pass')).toBe(true);
  expect(ddb.commandCalls(DescribeTableCommand)[0].args[0].input).toEqual({
    TableName: 'cap-poc-audit-idempotency',
  });
  expect(res.headers?.['Cache-Control']).toBe('no-store');
  expect(out.metric('Healthy')).toEqual([1]);
});

test.each([
  [
    'table not active',
    () => ddb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'CREATING' } }),
    'auditStore',
    'not-serving',
  ],
  [
    'key disabled',
    () =>
      kms
        .on(DescribeKeyCommand)
        .resolves({ KeyMetadata: { KeyId: 'k', Enabled: false, KeyState: 'Disabled' } }),
    'phiKey',
    'not-serving',
  ],
  [
    'key pending deletion',
    () =>
      kms
        .on(DescribeKeyCommand)
        .resolves({ KeyMetadata: { KeyId: 'k', Enabled: false, KeyState: 'PendingDeletion' } }),
    'phiKey',
    'not-serving',
  ],
  [
    'endpoint failed',
    () => sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Failed' } as never),
    'inferenceEndpoint',
    'not-serving',
  ],
  [
    'DynamoDB error',
    () =>
      ddb
        .on(DescribeTableCommand)
        .rejects(Object.assign(new Error('arn:aws:dynamodb:secret'), { name: 'AccessDeniedException' })),
    'auditStore',
    'error',
  ],
] as const)(
  '%s: 503 naming the failing check, revealing no resource names or messages',
  async (_n, breakIt, check, observed) => {
    healthy();
    breakIt();
    const res = await get(stack(realChecks()));
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['Retry-After']).toBe('10');
    const body = JSON.parse(res.body) as {
      status: string;
      checks: Record<string, { status: string; observed?: string }>;
    };
    expect(body.status).toBe('fail');
    expect(body.checks[check]).toMatchObject({ status: 'fail', observed });
    expect(res.body).not.toMatch(/arn:|secret|cap-poc|AccessDenied/);
    expect(out.metric('Healthy')).toEqual([0]);
  },
);

test('endpoint states that still serve count as healthy', async () => {
  healthy();
  for (const state of ['Updating', 'SystemUpdating', 'RollingBack']) {
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: state } as never);
    expect((await get(stack(realChecks()))).statusCode).toBe(200);
  }
});

test('a hanging dependency is cut off at the check timeout and reported as a timeout', async () => {
  const hang: DependencyCheck = { name: 'slow', run: () => new Promise(() => undefined) };
  const handler = httpStack({
    routes: { '/v1/health': { GET: createHealthRoute({ checks: [hang], cacheMs: 0, timeoutMs: 100 }) } },
  });
  const started = Date.now();
  const res = await get(handler);
  expect(Date.now() - started).toBeLessThan(1000);
  expect(res.statusCode).toBe(503);
  expect(JSON.parse(res.body)).toMatchObject({ checks: { slow: { status: 'fail', observed: 'timeout' } } });
});

test('results are cached per container for the cache period', async () => {
  let now = 0;
  let runs = 0;
  const counting: DependencyCheck = { name: 'c', run: () => Promise.resolve(++runs > 0) };
  const handler = stack([counting], () => now, 10_000);
  await get(handler);
  await get(handler);
  expect(runs).toBe(1);
  now = 10_000;
  await get(handler);
  expect(runs).toBe(2);
});

test('hostile input is refused with a problem: body, query, wrong method', async () => {
  healthy();
  const handler = stack(realChecks());
  const withBody = await get(handler, { body: '{"x":1}' });
  expect(withBody.statusCode).toBe(400);
  expect(problemOf(withBody).errors![0].pointer).toBe('');
  const withQuery = await get(handler, { query: { verbose: 'true' } });
  expect(problemOf(withQuery).errors![0].pointer).toBe('query:verbose');
  const post = await handler(apiEvent({ method: 'POST', resource: '/v1/health' }), lambdaContext());
  expect(post.statusCode).toBe(405);
  expect(post.headers?.Allow).toBe('GET');
});
