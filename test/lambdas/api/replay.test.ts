/**
 * The idempotent path of the predictions route with an injected idempotency runner (the real Powertools runner
 * on DynamoDB is exercised against moto_server in predictions.integration.test.ts).
 */
import './support/env';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type {
  IdempotentPredictions,
  IdempotentRun,
  StoredAnswer,
} from '../../../lambdas/predictions/idempotency';
import { ProblemError } from '../../../lambdas/shared/problem';
import { captureStdout, type Captured } from './support/capture';
import { apiEvent, lambdaContext, VALID_BODY } from './support/events';
import { harness, problemOf, release, type Harness } from './support/harness';

/** Remembers answers by (subject, key); a second call with the same scope replays. */
class MemoryIdempotency {
  readonly stored = new Map<string, { bodyHash: string; answer: StoredAnswer }>();
  readonly scopes: { subject: string; key: string; bodyHash: string }[] = [];
  async execute<T>(
    scope: { subject: string; key: string; bodyHash: string },
    _context: Context,
    work: () => Promise<{ stored: StoredAnswer; value: T }>,
  ): Promise<IdempotentRun<T>> {
    this.scopes.push(scope);
    const k = `${scope.subject}#${scope.key}`;
    const hit = this.stored.get(k);
    if (hit) {
      if (hit.bodyHash !== scope.bodyHash) {
        throw new ProblemError({ status: 422, type: 'idempotency-key-reused', title: 'reused' });
      }
      return { replayed: true, stored: hit.answer };
    }
    const r = await work();
    this.stored.set(k, { bodyHash: scope.bodyHash, answer: r.stored });
    return { replayed: false, stored: r.stored, fresh: r.value };
  }
}

let out: Captured;
let h: Harness;
let memory: MemoryIdempotency;
beforeEach(() => {
  out = captureStdout();
  memory = new MemoryIdempotency();
  h = harness({ idempotency: () => Promise.resolve(memory as unknown as IdempotentPredictions) });
});
afterEach(() => {
  release(h);
  out.restore();
});

const post = (key: string, body: unknown = VALID_BODY, subject?: string) =>
  h.handler(
    apiEvent({
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      ...(subject ? { subject } : {}),
    }),
    lambdaContext(),
  );

test('a retry gets the original answer, opened from the original audit record, and is audited as a replay', async () => {
  h.answer(0.83, 0.91);
  const first = await post('k-1');
  expect(first.statusCode).toBe(200);
  const second = await post('k-1');
  expect(second.statusCode).toBe(200);
  expect(second.headers?.['Idempotent-Replayed']).toBe('true');
  expect(JSON.parse(second.body)).toEqual(JSON.parse(first.body));
  expect(h.sm.calls()).toHaveLength(1);
  const items = [...h.table.values()];
  expect(items).toHaveLength(2);
  const predictionId = (JSON.parse(first.body) as { predictionId: string }).predictionId;
  expect(items[1]).toMatchObject({
    action: { S: 'prediction.replay' },
    outcome: { S: 'replay' },
    replayOf: { S: predictionId },
  });
  expect(items[1].sealedRecord).toBeUndefined();
  expect(out.metric('IdempotentReplay')).toEqual([0, 1]);
});

test('the key is scoped to the clinician, and the body hash covers subject, key and body', async () => {
  h.answer(0.83, 0.91);
  await post('k-1', VALID_BODY, 'clinician-a');
  await post('k-1', VALID_BODY, 'clinician-b');
  expect(h.sm.calls()).toHaveLength(2);
  expect(memory.scopes[0].bodyHash).not.toBe(memory.scopes[1].bodyHash);
  expect(memory.scopes[0].bodyHash).toMatch(/^[0-9a-f]{64}$/);
});

test('the same key with a different body is refused', async () => {
  h.answer(0.83, 0.91);
  await post('k-1');
  const res = await post('k-1', { ...VALID_BODY, patientRef: 'MRN-00043' });
  expect(res.statusCode).toBe(422);
});

test('the original audit record unreadable: 503; missing: 500', async () => {
  h.answer(0.83, 0.91);
  await post('k-1');
  h.ddb.on(GetItemCommand).rejects(Object.assign(new Error('x'), { name: 'ThrottlingException' }));
  const unreadable = await post('k-1');
  expect(unreadable.statusCode).toBe(503);
  expect(problemOf(unreadable).type).toBe('urn:clinical-ai:problem:audit-unavailable');
  h.ddb.on(GetItemCommand).resolves({});
  const missing = await post('k-1');
  expect(missing.statusCode).toBe(500);
});

test('KMS unavailable on replay: 503, nothing released', async () => {
  h.answer(0.83, 0.91);
  await post('k-1');
  h.kms.setDown(true);
  // A new container: its data-key cache is empty, so the replay needs KMS.
  const fresh = harness({ idempotency: () => Promise.resolve(memory as unknown as IdempotentPredictions) });
  for (const [k, v] of h.table) fresh.table.set(k, v);
  fresh.kms.setDown(true);
  const res = await fresh.handler(
    apiEvent({
      body: JSON.stringify(VALID_BODY),
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k-1' },
    }),
    lambdaContext(),
  );
  expect(res.statusCode).toBe(503);
  expect(problemOf(res).type).toBe('urn:clinical-ai:problem:encryption-unavailable');
  release(fresh);
});
