/**
 * The predictions route behind the real middleware stack, with in-process fakes for AWS: aws-sdk-client-mock on
 * SageMaker runtime and DynamoDB (an in-memory audit table), the fake KMS behind the real Encryption SDK.
 */
import { randomUUID } from 'node:crypto';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { createPredictionRoute, type PredictionDeps } from '../../../../lambdas/predictions/app';
import { loadPredictionsConfig, type PredictionsConfig } from '../../../../lambdas/predictions/config';
import type { IdempotentPredictions } from '../../../../lambdas/predictions/idempotency';
import { CircuitBreaker } from '../../../../lambdas/shared/circuit-breaker';
import { httpStack } from '../../../../lambdas/shared/middleware';
import { PhiEnvelope } from '../../../../lambdas/shared/phi-envelope';
import { PREDICTIONS_ENV, TEST_KEY_ARN } from './env';
import { fakeKms, type FakeKms } from './fake-kms';

export const dynamo = new DynamoDBClient({ region: 'us-east-1' });
export const sageMaker = new SageMakerRuntimeClient({ region: 'us-east-1' });
export const kmsClient = new KMSClient({ region: 'us-east-1' });

export interface Harness {
  readonly handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  readonly config: PredictionsConfig;
  readonly breaker: CircuitBreaker;
  readonly kms: FakeKms;
  readonly sm: AwsClientStub<SageMakerRuntimeClient>;
  readonly ddb: AwsClientStub<DynamoDBClient>;
  /** Items put into the audit table, by partition key. */
  readonly table: Map<string, Record<string, AttributeValue>>;
  /** Every PutItem input, in order. */
  readonly puts: PutItemCommandInput[];
  /** Answers the next invocations with a model result. */
  answer(score: number, confidence: number, variant?: string): void;
}

export interface HarnessOptions {
  readonly env?: Record<string, string>;
  readonly idempotency?: () => Promise<IdempotentPredictions>;
  readonly envelope?: PredictionDeps['envelope'];
}

/** Builds a fresh harness (fresh breaker, table, mocks). Call `restore()` on the mocks in afterAll. */
export function harness(options: HarnessOptions = {}): Harness {
  const loaded = loadPredictionsConfig({ ...PREDICTIONS_ENV, ...options.env });
  if (!loaded.ok) throw new Error(`test config invalid: ${loaded.invalid.join(', ')}`);
  const config = loaded.config;
  const kms = fakeKms(TEST_KEY_ARN);
  const sm = mockClient(sageMaker);
  const ddb = mockClient(dynamo);
  const table = new Map<string, Record<string, AttributeValue>>();
  const puts: PutItemCommandInput[] = [];
  ddb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
    puts.push(input);
    const pk = input.Item!.pk.S!;
    if (table.has(pk)) {
      throw Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' });
    }
    table.set(pk, input.Item!);
    return {};
  });
  ddb
    .on(GetItemCommand)
    .callsFake((input: { Key: { pk: { S: string } } }) => ({ Item: table.get(input.Key.pk.S) }));
  const breaker = new CircuitBreaker({
    failureThreshold: config.circuit.failureThreshold,
    openMs: config.circuit.openMs,
  });
  const envelope = new PhiEnvelope({ keyArn: config.phiKeyArn, kmsClient });
  const route = createPredictionRoute({
    config,
    dynamoDb: dynamo,
    sageMakerRuntime: sageMaker,
    breaker,
    envelope: options.envelope ?? (() => Promise.resolve(envelope)),
    idempotency:
      options.idempotency ?? (() => Promise.reject(new Error('idempotency not configured in this harness'))),
    newId: randomUUID,
  });
  const handler = httpStack({ routes: { '/v1/predictions': { POST: route } } });
  const h: Harness = {
    handler,
    config,
    breaker,
    kms,
    sm,
    ddb,
    table,
    puts,
    answer: (score, confidence, variant = 'primary') => {
      sm.on(InvokeEndpointCommand).resolves({
        Body: new TextEncoder().encode(
          JSON.stringify({ score, label: score >= 0.5 ? 'high-risk' : 'low-risk', confidence }),
        ) as never,
        InvokedProductionVariant: variant,
        $metadata: {},
      });
    },
  };
  return h;
}

/** The problem document of a response, checked for the RFC 9457 shape. */
export function problemOf(res: APIGatewayProxyResult): {
  type: string;
  title: string;
  status: number;
  detail?: string;
  requestId: string;
  instance: string;
  errors?: { pointer: string; detail: string }[];
  [k: string]: unknown;
} {
  expect(res.headers?.['Content-Type']).toBe('application/problem+json');
  const doc = JSON.parse(res.body) as ReturnType<typeof problemOf>;
  expect(doc.status).toBe(res.statusCode);
  expect(doc.type).toMatch(/^urn:clinical-ai:problem:[a-z-]+$/);
  expect(typeof doc.title).toBe('string');
  expect(doc.requestId).toBe(res.headers?.['X-Request-Id']);
  expect(doc.instance).toBe(`urn:clinical-ai:request:${doc.requestId}`);
  return doc;
}

/** Restores the mocked clients of a harness; only one harness may be live at a time. */
export function release(h: Harness): void {
  h.sm.restore();
  h.ddb.restore();
  h.kms.stub.restore();
}
