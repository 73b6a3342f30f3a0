/**
 * In-process fakes for the AWS calls of the benchmark: SDK request handlers that answer like the services do,
 * without a network. The SDK itself (serialisation, signing, retries, deserialisation) runs for real, so the
 * measured overhead includes every SDK call a handler makes, not just its own code.
 */
import { randomBytes } from 'node:crypto';

interface Request {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}
interface Response {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}
export interface FakeHandler {
  handle(request: Request): Promise<{ response: Response }>;
  updateHttpClientConfig(): void;
  httpHandlerConfigs(): Record<string, unknown>;
}
type Answer = (
  target: string,
  body: Record<string, unknown>,
  request: Request,
) => { status?: number; json: unknown; headers?: Record<string, string> };

const text = (body: unknown): string => {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return '';
};

function fake(answer: Answer): FakeHandler {
  return {
    handle: (request) => {
      const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '';
      const raw = text(request.body);
      const parsed = raw.startsWith('{') ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const a = answer(target, parsed, request);
      return Promise.resolve({
        response: {
          statusCode: a.status ?? 200,
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-requestid': 'bench',
            ...a.headers,
          },
          body: Buffer.from(typeof a.json === 'string' ? a.json : JSON.stringify(a.json)),
        },
      });
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
}

/** A SageMaker endpoint answering every invocation with the same confident answer. */
export const fakeSageMakerRuntime = (): FakeHandler =>
  fake(() => ({
    json: { score: 0.42, label: 'low-risk', confidence: 0.93 },
    headers: { 'content-type': 'application/json', 'x-amzn-invoked-production-variant': 'primary' },
  }));

/** DynamoDB accepting every write; reads find nothing; tables are active. */
export const fakeDynamoDb = (): FakeHandler =>
  fake((target) => {
    if (target.endsWith('.DescribeTable'))
      return { json: { Table: { TableName: 't', TableStatus: 'ACTIVE' } } };
    return { json: {} };
  });

/** KMS with real data keys, counting calls by operation. */
export function fakeKms(keyArn: string): FakeHandler & { calls: Record<string, number> } {
  const keys = new Map<string, string>();
  const calls: Record<string, number> = {};
  const handler = fake((target, body) => {
    const op = target.split('.')[1] ?? '?';
    calls[op] = (calls[op] ?? 0) + 1;
    if (op === 'GenerateDataKey') {
      const plaintext = randomBytes(32).toString('base64');
      const blob = randomBytes(64).toString('base64');
      keys.set(blob, plaintext);
      return { json: { KeyId: keyArn, Plaintext: plaintext, CiphertextBlob: blob } };
    }
    if (op === 'Decrypt') {
      return {
        json: {
          KeyId: keyArn,
          Plaintext: keys.get(String(body.CiphertextBlob)),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        },
      };
    }
    if (op === 'DescribeKey')
      return { json: { KeyMetadata: { KeyId: keyArn, Arn: keyArn, Enabled: true, KeyState: 'Enabled' } } };
    return { status: 400, json: { __type: 'UnsupportedOperationException', message: op } };
  });
  return Object.assign(handler, { calls });
}

/** The SageMaker control plane: the endpoint is in service. */
export const fakeSageMaker = (): FakeHandler =>
  fake(() => ({
    json: {
      EndpointName: 'e',
      EndpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/e',
      EndpointConfigName: 'c',
      EndpointStatus: 'InService',
      CreationTime: 1,
      LastModifiedTime: 1,
    },
  }));

/** Points an SDK client at a fake (the client reads its request handler on every send). */
export function useFake(client: { config: unknown }, handler: FakeHandler): void {
  (client.config as { requestHandler: FakeHandler }).requestHandler = handler;
}
