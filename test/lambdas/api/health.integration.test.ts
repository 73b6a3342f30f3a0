/**
 * The deployed health handler (lambdas/health/handler.ts) over the wire against moto_server: DescribeTable,
 * DescribeKey and DescribeEndpoint on real (emulated) resources, and what it reports when one is not serving.
 */
import { PREDICTIONS_ENV } from './support/env';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { MOTO_CREDENTIALS, startMoto, type MotoServer } from '../../helpers/moto-server';
import { captureStdout, type Captured } from './support/capture';
import { newContainer as newContainerOf, type Handler } from './support/container';
import { apiEvent, lambdaContext } from './support/events';
import { on, startFaultProxy, type FaultProxy } from './support/fault-proxy';

const REGION = 'us-east-1';
const TABLE = 'cap-test-audit-idempotency';
const ENDPOINT = 'cap-test-deterioration-risk';
let moto: MotoServer;
let proxy: FaultProxy;
let kms: KMSClient;
let dynamo: DynamoDBClient;
let keyId: string;
let out: Captured;

const newContainer = () => newContainerOf('health');
const get = (h: Handler) =>
  h(apiEvent({ method: 'GET', resource: '/v1/health', headers: {}, subject: null }), lambdaContext(5000));
const createTable = () =>
  dynamo.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  const direct = { region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS };
  dynamo = new DynamoDBClient(direct);
  kms = new KMSClient(direct);
  const sm = new SageMakerClient(direct);
  const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
  keyId = key.KeyId!;
  await createTable();
  await sm.send(
    new CreateModelCommand({
      ModelName: 'm',
      ExecutionRoleArn: 'arn:aws:iam::123456789012:role/sagemaker',
      PrimaryContainer: { Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1' },
    }),
  );
  await sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: 'c',
      ProductionVariants: [
        { VariantName: 'primary', ModelName: 'm', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' },
      ],
    }),
  );
  await sm.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: 'c' }));
  Object.assign(process.env, {
    ...PREDICTIONS_ENV,
    POWERTOOLS_SERVICE_NAME: 'health',
    AWS_ENDPOINT_URL: proxy.endpoint,
    AUDIT_TABLE_NAME: TABLE,
    IDEMPOTENCY_TABLE_NAME: TABLE,
    PHI_KEY_ARN: key.Arn!,
    SAGEMAKER_ENDPOINT_NAME: ENDPOINT,
    HEALTH_CACHE_SECONDS: '0',
  });
}, 60_000);

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL;
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(() => (out = captureStdout()));
afterEach(() => {
  out.restore();
  proxy.clear();
});

test('every dependency serving: 200 pass, one DescribeTable for the shared audit/idempotency table', async () => {
  const res = await get(await newContainer());
  expect(res.statusCode).toBe(200);
  expect(JSON.parse(res.body)).toMatchObject({
    status: 'pass',
    checks: {
      auditStore: { status: 'pass' },
      phiKey: { status: 'pass' },
      inferenceEndpoint: { status: 'pass' },
    },
  });
  expect(proxy.seen.filter(on.dynamo('DescribeTable'))).toHaveLength(1);
});

test('the PHI key disabled: 503, phiKey not serving (the API would fail closed)', async () => {
  await kms.send(new DisableKeyCommand({ KeyId: keyId }));
  try {
    const res = await get(await newContainer());
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({
      status: 'fail',
      checks: { phiKey: { status: 'fail', observed: 'not-serving' } },
    });
  } finally {
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
  }
});

test('the table gone: 503, auditStore error', async () => {
  await dynamo.send(new DeleteTableCommand({ TableName: TABLE }));
  try {
    const res = await get(await newContainer());
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({
      checks: { auditStore: { status: 'fail', observed: 'error' } },
    });
    expect(res.body).not.toContain(TABLE);
  } finally {
    await createTable();
  }
});

test('SageMaker control plane hanging: cut off in time, reported as a timeout', async () => {
  proxy.inject((r) => r.target === 'SageMaker.DescribeEndpoint', { kind: 'hang' });
  const handler = await newContainer();
  const started = Date.now();
  const res = await get(handler);
  // Route 53 waits 2 s for the response; the check gives up at 1.2 s.
  expect(Date.now() - started).toBeLessThan(2000);
  expect(res.statusCode).toBe(503);
  expect(JSON.parse(res.body)).toMatchObject({
    checks: { inferenceEndpoint: { status: 'fail', observed: 'timeout' } },
  });
});
