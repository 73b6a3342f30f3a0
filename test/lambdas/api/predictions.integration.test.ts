/**
 * The deployed predictions handler (lambdas/predictions/handler.ts, module-scope clients and all) over the wire
 * against moto_server: real KMS data keys through the Encryption SDK, real DynamoDB writes (audit records and
 * Powertools idempotency with its conditional writes), SageMaker runtime with configured results. A
 * fault-injecting proxy between the SDK and moto produces SageMaker 424/429/503/timeouts, KMS outages and
 * DynamoDB throttling, and each has an asserted outcome.
 */
import { PREDICTIONS_ENV } from './support/env';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { inputHash } from '../../../lambdas/predictions/audit';
import { PhiEnvelope } from '../../../lambdas/shared/phi-envelope';
import { MOTO_CREDENTIALS, startMoto, type MotoServer } from '../../helpers/moto-server';
import { captureStdout, type Captured } from './support/capture';
import { newContainer as newContainerOf, type Handler } from './support/container';
import { apiEvent, lambdaContext, VALID_BODY } from './support/events';
import { on, startFaultProxy, type FaultProxy } from './support/fault-proxy';
import { problemOf } from './support/harness';

const REGION = 'us-east-1';
const TABLE = 'cap-test-audit-idempotency';
let moto: MotoServer;
let proxy: FaultProxy;
let dynamo: DynamoDBClient;
let kms: KMSClient;
let keyArn: string;
let handler: Handler;
let out: Captured;

const newContainer = () => newContainerOf('predictions');

/** Queues answers of the (moto) SageMaker endpoint, consumed one per invocation. */
async function queueAnswers(
  ...answers: { score: number; confidence: number; variant?: string }[]
): Promise<void> {
  const res = await fetch(`${moto.endpoint}/moto-api/static/sagemaker/endpoint-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      region: REGION,
      results: answers.map((a) => ({
        Body: JSON.stringify({
          score: a.score,
          label: a.score >= 0.5 ? 'high-risk' : 'low-risk',
          confidence: a.confidence,
        }),
        ContentType: 'application/json',
        InvokedProductionVariant: a.variant ?? 'primary',
        CustomAttributes: '',
      })),
    }),
  });
  expect(res.ok).toBe(true);
}

const post = (h: Handler, init: { body?: unknown; key?: string; subject?: string } = {}) =>
  h(
    apiEvent({
      body: JSON.stringify(init.body ?? VALID_BODY),
      headers: {
        'Content-Type': 'application/json',
        ...(init.key ? { 'Idempotency-Key': init.key } : {}),
      },
      ...(init.subject ? { subject: init.subject } : {}),
    }),
    lambdaContext(10_000),
  );

async function auditItem(id: string): Promise<Record<string, AttributeValue> | undefined> {
  return (await dynamo.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `AUDIT#${id}` } } })))
    .Item;
}
async function allItems(): Promise<Record<string, AttributeValue>[]> {
  return (await dynamo.send(new ScanCommand({ TableName: TABLE }))).Items ?? [];
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  const direct = { region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS };
  dynamo = new DynamoDBClient(direct);
  kms = new KMSClient(direct);
  keyArn = (await kms.send(new CreateKeyCommand({ Description: 'phi-data (test)' }))).KeyMetadata!.Arn!;
  await dynamo.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'auditBySubject',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  Object.assign(process.env, {
    ...PREDICTIONS_ENV,
    AWS_ENDPOINT_URL: proxy.endpoint,
    AUDIT_TABLE_NAME: TABLE,
    IDEMPOTENCY_TABLE_NAME: TABLE,
    PHI_KEY_ARN: keyArn,
    // Above the SDK's throttling back-off (up to 1 s before the second attempt: 500 ms base, full jitter), so a
    // throttled endpoint is reported as throttled, not as a timeout; still short enough for the hang test.
    INFERENCE_BUDGET_MS: '1800',
    INFERENCE_RESERVE_MS: '500',
    CIRCUIT_FAILURE_THRESHOLD: '3',
  });
  handler = await newContainer();
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

describe('KMS unavailable (a new container: nothing cached)', () => {
  test('an idempotent request: 503 encryption-unavailable, fail closed: nothing with PHI reaches DynamoDB', async () => {
    const cold = await newContainer();
    proxy.inject(on.kms, { kind: 'error', status: 500, errorType: 'KMSInternalException', protocol: 'json' });
    await queueAnswers({ score: 0.8, confidence: 0.9 });
    const res = await post(cold, { key: 'kms-down-1' });
    expect(res.statusCode).toBe(503);
    expect(problemOf(res).type).toBe('urn:clinical-ai:problem:encryption-unavailable');
    const items = await allItems();
    // The audit record of the failure; the idempotency record was removed when the attempt failed.
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      outcome: { S: 'failed' },
      problemType: { S: 'encryption-unavailable' },
    });
    const stored = JSON.stringify(items);
    for (const phi of ['MRN-00042', '101.3', '38.5', '176 lb', 'high-risk'])
      expect(stored).not.toContain(phi);
    expect(proxy.seen.filter(on.kms).length).toBeGreaterThanOrEqual(1);
  });

  test('a request without an Idempotency-Key stores no PHI and is answered without KMS', async () => {
    const cold = await newContainer();
    proxy.inject(on.kms, { kind: 'error', status: 500, errorType: 'KMSInternalException', protocol: 'json' });
    const kmsBefore = proxy.seen.filter(on.kms).length;
    await queueAnswers({ score: 0.8, confidence: 0.9 });
    expect((await post(cold)).statusCode).toBe(200);
    expect(proxy.seen.filter(on.kms).length).toBe(kmsBefore);
  });
});

describe('answered over the wire', () => {
  test('confident answer: 200, and its audit record in DynamoDB holds who, when, model, confidence, decision, hash', async () => {
    await queueAnswers({ score: 0.83, confidence: 0.92, variant: 'primary' });
    const res = await post(handler);
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as {
      predictionId: string;
      model: unknown;
      requiresClinicianReview: boolean;
    };
    expect(body).toMatchObject({
      model: { name: 'deterioration-risk', version: '1.4.0', variant: 'primary' },
      score: 0.83,
      confidence: 0.92,
      requiresClinicianReview: false,
    });
    const item = await auditItem(body.predictionId);
    expect(item).toMatchObject({
      subject: { S: 'clinician#4f1c2d3e-aaaa-bbbb-cccc-0123456789ab' },
      outcome: { S: 'model' },
      confidence: { N: '0.92' },
      model: { M: { name: { S: 'deterioration-risk' }, version: { S: '1.4.0' }, variant: { S: 'primary' } } },
    });
    expect(inputHash(body.predictionId, Buffer.from(JSON.stringify(VALID_BODY)))).toBe(item!.inputHash.S);
    expect(JSON.stringify(item)).not.toMatch(/MRN-00042|101\.3|38\.5/);
  });

  test('low confidence: NEWS2 fallback with requiresClinicianReview', async () => {
    await queueAnswers({ score: 0.83, confidence: 0.41 });
    const body = JSON.parse((await post(handler)).body) as Record<string, unknown>;
    expect(body).toMatchObject({
      requiresClinicianReview: true,
      fallback: { reason: 'low-confidence', method: 'NEWS2', score: { name: 'NEWS2', version: 'RCP 2017' } },
    });
  });

  test('KMS calls stay below 10 per 1,000 idempotent requests under steady load (data-key cache)', async () => {
    const n = 40;
    await queueAnswers(...Array.from({ length: n }, () => ({ score: 0.3, confidence: 0.9 })));
    const before = proxy.seen.filter(on.kms).length;
    for (let i = 0; i < n; i++) expect((await post(handler, { key: `steady-${i}` })).statusCode).toBe(200);
    // One GenerateDataKey for the first message at most; every later message reuses the cached data key.
    expect(proxy.seen.filter(on.kms).length - before).toBeLessThanOrEqual(1);
  });
});

describe('idempotency (Powertools on DynamoDB)', () => {
  test('a retry with the same key and body replays the answer; the idempotency item holds it sealed only', async () => {
    await queueAnswers({ score: 0.66, confidence: 0.95 });
    const first = await post(handler, { key: 'idem-1' });
    const second = await post(handler, { key: 'idem-1' });
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(second.headers?.['Idempotent-Replayed']).toBe('true');
    expect(JSON.parse(second.body)).toEqual(JSON.parse(first.body));
    const predictionId = (JSON.parse(first.body) as { predictionId: string }).predictionId;
    const idem = (await allItems()).filter(
      (i) => i.pk.S!.startsWith('predictions-v1#') && i.data?.M?.predictionId?.S === predictionId,
    );
    expect(idem).toHaveLength(1);
    expect(idem[0]).toMatchObject({
      status: { S: 'COMPLETED' },
      expiresAt: { N: expect.any(String) as string },
    });
    expect(JSON.stringify(idem[0])).not.toMatch(/MRN|101\.3|38\.5|idem-1|high-risk|low-risk/);
    const data = idem[0].data.M!;
    expect(data.predictionId).toEqual({ S: predictionId });
    // The sealed answer opens with the real (emulated) KMS key, and is the answer the clinician got.
    const envelope = new PhiEnvelope({ keyArn, kmsClient: kms });
    const opened = await envelope.open('prediction-answer', Buffer.from(data.sealed.S!, 'base64'));
    expect(JSON.parse(opened.toString())).toEqual(JSON.parse(first.body));
    // Replays are audited too.
    const replays = (await allItems()).filter(
      (i) => i.outcome?.S === 'replay' && i.replayOf?.S === predictionId,
    );
    expect(replays).toHaveLength(1);
  });

  test('the same key with a different body: 422', async () => {
    await queueAnswers({ score: 0.2, confidence: 0.95 });
    expect((await post(handler, { key: 'idem-2' })).statusCode).toBe(200);
    const res = await post(handler, { key: 'idem-2', body: { ...VALID_BODY, patientRef: 'MRN-99' } });
    expect(res.statusCode).toBe(422);
    expect(problemOf(res).type).toBe('urn:clinical-ai:problem:idempotency-key-reused');
  });

  test('the same key from another clinician is a different request', async () => {
    await queueAnswers({ score: 0.2, confidence: 0.95 }, { score: 0.3, confidence: 0.95 });
    const a = await post(handler, { key: 'idem-3', subject: 'clinician-a' });
    const b = await post(handler, { key: 'idem-3', subject: 'clinician-b' });
    expect(b.headers?.['Idempotent-Replayed']).toBeUndefined();
    expect(JSON.parse(b.body)).not.toEqual(JSON.parse(a.body));
  });

  test('a concurrent request with the same key while the first runs: 409 with Retry-After', async () => {
    await queueAnswers({ score: 0.2, confidence: 0.95 });
    proxy.inject(on.invokeEndpoint, { kind: 'delay', ms: 400 }, 1);
    const [a, b] = await Promise.all([
      post(handler, { key: 'idem-4' }),
      new Promise<APIGatewayProxyResult>((r) => setTimeout(() => r(post(handler, { key: 'idem-4' })), 100)),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const conflict = a.statusCode === 409 ? a : b;
    expect(conflict.headers?.['Retry-After']).toBe('1');
  });

  test('a failed attempt leaves no idempotency record: the retry is computed afresh', async () => {
    proxy.inject(
      on.invokeEndpoint,
      { kind: 'error', status: 424, errorType: 'ModelError', protocol: 'rest-json' },
      1,
    );
    expect((await post(handler, { key: 'idem-5' })).statusCode).toBe(502);
    await queueAnswers({ score: 0.2, confidence: 0.95 });
    const retry = await post(handler, { key: 'idem-5' });
    expect(retry.statusCode).toBe(200);
    expect(retry.headers?.['Idempotent-Replayed']).toBeUndefined();
  });

  test('DynamoDB throttling the idempotency store: 503, nothing answered', async () => {
    proxy.inject(on.dynamo('PutItem'), {
      kind: 'error',
      status: 400,
      errorType: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      protocol: 'json',
    });
    const res = await post(handler, { key: 'idem-6' });
    expect(res.statusCode).toBe(503);
    expect(problemOf(res).type).toBe('urn:clinical-ai:problem:idempotency-store-unavailable');
  });
});

describe('fault injection: SageMaker', () => {
  test('ModelError (424): 502 problem, audited', async () => {
    proxy.inject(
      on.invokeEndpoint,
      { kind: 'error', status: 424, errorType: 'ModelError', protocol: 'rest-json' },
      1,
    );
    const res = await post(handler);
    expect(res.statusCode).toBe(502);
    expect(problemOf(res).type).toBe('urn:clinical-ai:problem:model-error');
  });

  test('throttling (429): NEWS2 fallback, reason model-throttled', async () => {
    proxy.inject(on.invokeEndpoint, {
      kind: 'error',
      status: 429,
      errorType: 'ThrottlingException',
      protocol: 'rest-json',
    });
    const res = await post(handler);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      fallback: { reason: 'model-throttled', method: 'NEWS2' },
      score: null,
    });
  });

  test('unavailable (503): NEWS2 fallback, reason model-unavailable', async () => {
    proxy.inject(
      on.invokeEndpoint,
      { kind: 'error', status: 503, errorType: 'ServiceUnavailable', protocol: 'rest-json' },
      2,
    );
    const res = await post(handler);
    expect(JSON.parse(res.body)).toMatchObject({
      fallback: { reason: 'model-unavailable', method: 'NEWS2' },
    });
  });

  test('timeout: the budget cuts the call and the fallback answers within it', async () => {
    const fresh = await newContainer();
    proxy.inject(on.invokeEndpoint, { kind: 'hang' });
    const started = Date.now();
    const res = await post(fresh);
    expect(Date.now() - started).toBeLessThan(1800 + 1500);
    expect(JSON.parse(res.body)).toMatchObject({ fallback: { reason: 'model-timeout', method: 'NEWS2' } });
  });

  test('repeated failures open the circuit: the endpoint is no longer called', async () => {
    const fresh = await newContainer();
    proxy.inject(on.invokeEndpoint, {
      kind: 'error',
      status: 503,
      errorType: 'ServiceUnavailable',
      protocol: 'rest-json',
    });
    for (let i = 0; i < 3; i++) await post(fresh);
    const calls = proxy.seen.filter(on.invokeEndpoint).length;
    const res = await post(fresh);
    expect(JSON.parse(res.body)).toMatchObject({ fallback: { reason: 'circuit-open' } });
    expect(proxy.seen.filter(on.invokeEndpoint)).toHaveLength(calls);
  });
});

describe('fault injection: DynamoDB', () => {
  test('throttled audit writes: 503 audit-unavailable, the answer is withheld', async () => {
    await queueAnswers({ score: 0.5, confidence: 0.95 });
    proxy.inject(on.dynamo('PutItem'), {
      kind: 'error',
      status: 400,
      errorType: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
      protocol: 'json',
    });
    const res = await post(handler);
    expect(res.statusCode).toBe(503);
    expect(problemOf(res).type).toBe('urn:clinical-ai:problem:audit-unavailable');
    expect(res.body).not.toContain('predictionId');
  });

  test('throttled audit writes do not turn a refusal into a 5xx', async () => {
    proxy.inject(on.dynamo('PutItem'), {
      kind: 'error',
      status: 400,
      errorType: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
      protocol: 'json',
    });
    const res = await post(handler, { body: { observations: {} } });
    expect(res.statusCode).toBe(422);
  });
});
