/**
 * The idempotent path of the predictions route with an injected idempotency runner (the real Powertools runner
 * on DynamoDB is exercised against moto_server in predictions.integration.test.ts).
 */
import './support/env';
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

test('a retry gets the original answer, opened from the sealed copy, and is audited as a replay', async () => {
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

test('the answer is stored sealed: the idempotency store never sees it in plain', async () => {
  h.answer(0.83, 0.91);
  const first = await post('k-1');
  const [stored] = [...memory.stored.values()];
  const predictionId = (JSON.parse(first.body) as { predictionId: string }).predictionId;
  expect(stored.answer.predictionId).toBe(predictionId);
  const sealed = Buffer.from(stored.answer.sealed, 'base64');
  expect(sealed.includes(Buffer.from('high-risk'))).toBe(false);
  expect(sealed.includes(Buffer.from(predictionId))).toBe(false);
  expect(h.kms.calls.generateDataKey).toBe(1);
});

test('KMS unavailable on an idempotent request: 503, nothing stored, the audit record says so', async () => {
  h.answer(0.83, 0.91);
  h.kms.setDown(true);
  const res = await post('k-2');
  expect(res.statusCode).toBe(503);
  expect(res.headers?.['Retry-After']).toBe('2');
  expect(problemOf(res).type).toBe('urn:clinical-ai:problem:encryption-unavailable');
  expect(memory.stored.size).toBe(0);
  expect([...h.table.values()]).toMatchObject([
    { outcome: { S: 'failed' }, httpStatus: { N: '503' }, problemType: { S: 'encryption-unavailable' } },
  ]);
  for (const phi of ['MRN-00042', '101.3', '38.5', 'high-risk'])
    expect(JSON.stringify(h.puts)).not.toContain(phi);
  expect(out.metric('PhiEncryptionFailure')).toEqual([1]);
});

test('a stored answer that does not open (tampered or KMS refusing): 503, nothing released', async () => {
  h.answer(0.83, 0.91);
  await post('k-3');
  const [k, entry] = [...memory.stored.entries()][0];
  const bytes = Buffer.from(entry.answer.sealed, 'base64');
  bytes[bytes.length - 10] ^= 0xff;
  memory.stored.set(k, { ...entry, answer: { ...entry.answer, sealed: bytes.toString('base64') } });
  const res = await post('k-3');
  expect(res.statusCode).toBe(503);
  expect(res.body).not.toContain('high-risk');
});

test('the Encryption SDK failing to load is a 500 with nothing but the request id', async () => {
  const broken = harness({
    idempotency: () => Promise.resolve(memory as unknown as IdempotentPredictions),
    envelope: () => Promise.reject(new Error('Cannot find module /var/task/chunks/phi-envelope.mjs')),
  });
  broken.answer(0.83, 0.91);
  const res = await broken.handler(
    apiEvent({
      body: JSON.stringify(VALID_BODY),
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k-4' },
    }),
    lambdaContext(),
  );
  release(broken);
  expect(res.statusCode).toBe(500);
  expect(problemOf(res).type).toBe('urn:clinical-ai:problem:internal-error');
  expect(res.body).not.toMatch(/Cannot find module|var\/task|\.mjs/);
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
