/**
 * `POST /v1/predictions` behind the real middleware stack, with in-process fakes for AWS (support/harness.ts):
 * every branch of validation, inference outcome, confidence gate, fallback, encryption and audit.
 */
import './support/env';
import { InvokeEndpointCommand, ModelError, ServiceUnavailable } from '@aws-sdk/client-sagemaker-runtime';
import { PutItemCommand, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { captureStdout, type Captured } from './support/capture';
import { apiEvent, lambdaContext, VALID_BODY } from './support/events';
import { harness, problemOf, release, type Harness } from './support/harness';

const post = (h: Harness, body: unknown = VALID_BODY, init: Parameters<typeof apiEvent>[0] = {}) =>
  h.handler(
    apiEvent({ body: typeof body === 'string' ? body : JSON.stringify(body), ...init }),
    lambdaContext(),
  );

let out: Captured;
beforeEach(() => (out = captureStdout()));
afterEach(() => out.restore());

function auditItems(h: Harness) {
  return [...h.table.values()];
}
describe('refused requests: problem documents naming the offence, audited without PHI', () => {
  let h: Harness;
  beforeAll(() => (h = harness()));
  afterAll(() => release(h));

  test('no authenticated subject: 401', async () => {
    const res = await post(h, VALID_BODY, { subject: null });
    expect(res.statusCode).toBe(401);
    expect(problemOf(res).type).toBe('urn:clinical-ai:problem:unauthenticated');
    expect(res.headers?.['WWW-Authenticate']).toBe('Bearer');
  });

  test.each([
    [{ 'Content-Type': 'text/plain' }],
    [{}],
    [{ 'Content-Type': 'application/json; charset=latin1' }],
  ])('wrong or missing media type %j: 415 with Accept-Post', async (headers) => {
    const res = await post(h, VALID_BODY, { headers });
    expect(res.statusCode).toBe(415);
    expect(res.headers?.['Accept-Post']).toBe('application/json');
    expect(problemOf(res).errors![0].pointer).toBe('header:content-type');
  });

  test('Content-Type with charset utf-8 and odd case is accepted', async () => {
    h.answer(0.2, 0.9);
    const res = await post(h, VALID_BODY, {
      headers: { 'content-TYPE': 'Application/JSON; charset="UTF-8"' },
    });
    expect(res.statusCode).toBe(200);
  });

  test('oversized body: 413 with the limit', async () => {
    const res = await post(h, { ...VALID_BODY, patientRef: 'x'.repeat(9000) });
    expect(res.statusCode).toBe(413);
    expect(problemOf(res).limitBytes).toBe(8192);
  });

  test.each([
    ['', /empty/],
    ['{"observations": {', /not valid JSON/],
    ['{"a": 1} trailing', /not valid JSON \(at character \d+\)/],
  ])('malformed body %j: 400', async (body, detail) => {
    const res = await post(h, body);
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).detail).toMatch(detail);
  });

  test('base64 bodies are decoded; invalid base64 and invalid UTF-8 are 400', async () => {
    h.answer(0.2, 0.9);
    const ok = await h.handler(
      apiEvent({ body: Buffer.from(JSON.stringify(VALID_BODY)).toString('base64'), isBase64Encoded: true }),
      lambdaContext(),
    );
    expect(ok.statusCode).toBe(200);
    const bad = await h.handler(apiEvent({ body: '!!!', isBase64Encoded: true }), lambdaContext());
    expect(problemOf(bad).detail).toMatch(/base64/);
    const latin = await h.handler(
      apiEvent({ body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), isBase64Encoded: true }),
      lambdaContext(),
    );
    expect(problemOf(latin).detail).toMatch(/UTF-8/);
  });

  test('the JSON parser message, which quotes the body, never reaches the client', async () => {
    const res = await post(h, '{"patientRef": "MRN-SECRET-1" oops}');
    expect(res.body).not.toContain('MRN-SECRET-1');
  });

  test('invalid fields: 422 naming each field, counted as a validation failure, audited as rejected', async () => {
    const before = h.table.size;
    const res = await post(h, { observations: { hr: 'fast', temp: 101.3 }, extra: true });
    expect(res.statusCode).toBe(422);
    const doc = problemOf(res);
    expect(doc.errors!.map((e) => e.pointer)).toEqual(
      expect.arrayContaining([
        '/extra',
        '/observations/hr',
        '/observations/temp',
        '/observations/respiratoryRate',
      ]),
    );
    expect(h.table.size).toBe(before + 1);
    const item = auditItems(h).at(-1)!;
    expect(item).toMatchObject({
      outcome: { S: 'rejected' },
      httpStatus: { N: '422' },
      problemType: { S: 'invalid-request' },
      action: { S: 'prediction.create' },
      actor: { S: 'api:predictions' },
    });
    expect(item.sealedRecord).toBeUndefined();
    expect(item.inputHash.S).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(out.metric('ValidationFailure')).toContain(1);
  });

  test('query parameters are refused', async () => {
    const res = await post(h, VALID_BODY, { query: { debug: '1' } });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).errors![0].pointer).toBe('query:debug');
  });

  test.each([
    [{ 'Content-Type': 'application/json', 'Idempotency-Key': 'has space' }],
    [{ 'Content-Type': 'application/json', 'Idempotency-Key': '' }],
  ])('invalid Idempotency-Key %j: 400', async (headers) => {
    const res = await post(h, VALID_BODY, { headers });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).errors![0].pointer).toBe('header:idempotency-key');
  });

  test('a header sent twice is refused as ambiguous', async () => {
    const res = await h.handler(
      apiEvent({
        body: JSON.stringify(VALID_BODY),
        headers: { 'Content-Type': 'application/json' },
        multiValueHeaders: { 'Content-Type': ['application/json', 'text/plain'] },
      }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(400);
  });

  test('a refused request is still refused when the audit table is down (best effort), and says so in metrics', async () => {
    h.ddb
      .on(PutItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'x', $metadata: {} }));
    const res = await post(h, { observations: {} });
    expect(res.statusCode).toBe(422);
    expect(out.metric('AuditWriteFailure')).toEqual([1]);
  });
});

describe('answered predictions', () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => release(h));

  test('confident model answer: trusted, no fallback, audit record with model/version/variant/confidence', async () => {
    h.answer(0.83, 0.91, 'primary');
    const res = await post(h);
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    expect(res.headers?.['Strict-Transport-Security']).toMatch(/^max-age=\d+; includeSubDomains$/);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      model: { name: 'deterioration-risk', version: '1.4.0', variant: 'primary' },
      score: 0.83,
      label: 'high-risk',
      confidence: 0.91,
      requiresClinicianReview: false,
      inputs: { observations: { temperatureC: 38.5, weightKg: 79.83, glucoseMmolL: 9.99 } },
    });
    expect(body.fallback).toBeUndefined();
    const [item] = auditItems(h);
    expect(item).toMatchObject({
      pk: { S: `AUDIT#${body.predictionId as string}` },
      subject: { S: 'clinician#4f1c2d3e-aaaa-bbbb-cccc-0123456789ab' },
      gsi1pk: { S: 'clinician#4f1c2d3e-aaaa-bbbb-cccc-0123456789ab' },
      outcome: { S: 'model' },
      httpStatus: { N: '200' },
      confidence: { N: '0.91' },
      requiresClinicianReview: { BOOL: false },
      model: { M: { name: { S: 'deterioration-risk' }, version: { S: '1.4.0' }, variant: { S: 'primary' } } },
    });
    expect(item.gsi1sk.S).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT.*#${body.predictionId as string}$`));
    // The endpoint's data-capture record and the audit record share the prediction id.
    expect(h.sm.commandCalls(InvokeEndpointCommand)[0].args[0].input.InferenceId).toBe(body.predictionId);
    expect(out.metric('FallbackUsed')).toEqual([0]);
    expect(out.metric('LowConfidence')).toEqual([0]);
    expect(out.metric('CircuitState')).toEqual([0]);
    expect(out.metric('ValidationFailure')).toEqual([0]);
    expect(out.metric('HttpLatency')).toHaveLength(1);
    expect(out.metric('InferenceLatency')).toHaveLength(1);
  });

  test('the audit record holds no PHI: no values, no patient reference, only a salted hash of the input', async () => {
    h.answer(0.83, 0.91);
    await post(h);
    const [item] = auditItems(h);
    const stored = JSON.stringify(item);
    for (const phi of ['MRN-00042', '101.3', '176 lb', 'mg/dL', '38.5', '79.83', '104/66']) {
      expect(stored).not.toContain(phi);
    }
    expect(item.sealedRecord).toBeUndefined();
  });

  test('the input hash is salted with the audit id and verifiable by whoever holds the body', async () => {
    h.answer(0.83, 0.91);
    await post(h);
    await post(h);
    const [a, b] = auditItems(h);
    expect(a.inputHash.S).not.toBe(b.inputHash.S);
    const { inputHash } = await import('../../../lambdas/predictions/audit');
    expect(inputHash(a.auditId.S!, Buffer.from(JSON.stringify(VALID_BODY)))).toBe(a.inputHash.S);
  });

  test('a request without an Idempotency-Key persists no PHI, so it never calls KMS (and survives a KMS outage)', async () => {
    h.answer(0.83, 0.91);
    h.kms.setDown(true);
    const res = await post(h);
    expect(res.statusCode).toBe(200);
    expect(h.kms.total()).toBe(0);
  });

  test('low confidence: requiresClinicianReview with the NEWS2 fallback named and versioned', async () => {
    h.answer(0.83, 0.55);
    const res = await post(h);
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as { fallback: Record<string, unknown> } & Record<string, unknown>;
    expect(body).toMatchObject({
      requiresClinicianReview: true,
      confidence: 0.55,
      fallback: {
        reason: 'low-confidence',
        method: 'NEWS2',
        score: { name: 'NEWS2', version: 'RCP 2017', total: 7 },
      },
    });
    expect(auditItems(h)[0]).toMatchObject({
      outcome: { S: 'fallback' },
      fallbackMethod: { S: 'NEWS2' },
      fallbackReason: { S: 'low-confidence' },
      requiresClinicianReview: { BOOL: true },
    });
    expect(out.metric('LowConfidence')).toEqual([1]);
    expect(out.metric('FallbackUsed')).toEqual([1]);
  });

  test('endpoint unavailable: NEWS2 fallback, 200, model fields null', async () => {
    h.sm
      .on(InvokeEndpointCommand)
      .rejects(new ServiceUnavailable({ message: 'x', $metadata: { httpStatusCode: 503 } }));
    const res = await post(h);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      score: null,
      confidence: null,
      model: { variant: null },
      requiresClinicianReview: true,
      fallback: { reason: 'model-unavailable', method: 'NEWS2' },
    });
    expect(out.metric('ModelUnavailable')).toEqual([1]);
  });

  test('model error: 502 problem, audited with its sealed record', async () => {
    h.sm
      .on(InvokeEndpointCommand)
      .rejects(new ModelError({ message: 'x', $metadata: { httpStatusCode: 424 } }));
    const res = await post(h);
    expect(res.statusCode).toBe(502);
    expect(problemOf(res).type).toBe('urn:clinical-ai:problem:model-error');
    const [item] = auditItems(h);
    expect(item).toMatchObject({
      outcome: { S: 'model-error' },
      httpStatus: { N: '502' },
      problemType: { S: 'model-error' },
    });
    expect(out.metric('ModelError')).toEqual([1]);
  });

  test('repeated endpoint failures open the circuit: later requests fail fast to the fallback', async () => {
    h.sm
      .on(InvokeEndpointCommand)
      .rejects(new ServiceUnavailable({ message: 'x', $metadata: { httpStatusCode: 503 } }));
    for (let i = 0; i < h.config.circuit.failureThreshold; i++) expect((await post(h)).statusCode).toBe(200);
    expect(h.breaker.state).toBe('open');
    expect(out.metric('CircuitOpened')).toEqual([1]);
    const calls = h.sm.commandCalls(InvokeEndpointCommand).length;
    const res = await post(h);
    expect(JSON.parse(res.body)).toMatchObject({ fallback: { reason: 'circuit-open', method: 'NEWS2' } });
    expect(h.sm.commandCalls(InvokeEndpointCommand)).toHaveLength(calls);
    expect(out.metric('CircuitState').at(-1)).toBe(2);
  });

  test('DynamoDB throttling on the audit write: 503, the answer is withheld', async () => {
    h.answer(0.83, 0.91);
    h.ddb
      .on(PutItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'x', $metadata: {} }));
    const res = await post(h);
    expect(res.statusCode).toBe(503);
    expect(problemOf(res).type).toBe('urn:clinical-ai:problem:audit-unavailable');
    expect(res.body).not.toContain('predictionId');
    expect(out.metric('AuditWriteFailure')).toEqual([1]);
  });
});

describe('authorisation by group', () => {
  let h: Harness;
  beforeAll(() => {
    h = harness({ env: { REQUIRED_GROUP: 'clinicians' } });
    h.answer(0.2, 0.9);
  });
  afterAll(() => release(h));

  test.each(['clinicians', '[clinicians, nurses]', 'admins,clinicians', '[admins clinicians]'])(
    'a member (cognito:groups %j) is served',
    async (groups) => {
      expect((await post(h, VALID_BODY, { groups })).statusCode).toBe(200);
    },
  );

  test.each([undefined, '', 'admins', '[clinicians-readonly]'])(
    'anyone else (cognito:groups %j) gets 403, audited as rejected',
    async (groups) => {
      const res = await post(h, VALID_BODY, groups === undefined ? {} : { groups });
      expect(res.statusCode).toBe(403);
      expect(problemOf(res).type).toBe('urn:clinical-ai:problem:forbidden');
      expect([...h.table.values()].at(-1)).toMatchObject({
        outcome: { S: 'rejected' },
        httpStatus: { N: '403' },
      });
      expect(h.sm.commandCalls(InvokeEndpointCommand).length).toBeLessThanOrEqual(4);
    },
  );
});

describe('fallback mode none', () => {
  let h: Harness;
  beforeAll(() => (h = harness({ env: { FALLBACK_MODE: 'none' } })));
  afterAll(() => release(h));
  test('endpoint throttled and no fallback: 503 with Retry-After, audited', async () => {
    h.sm
      .on(InvokeEndpointCommand)
      .rejects(
        Object.assign(new Error('x'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } }),
      );
    const res = await post(h);
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['Retry-After']).toBe('2');
    expect(problemOf(res).type).toBe('urn:clinical-ai:problem:model-unavailable');
    expect([...h.table.values()][0]).toMatchObject({ outcome: { S: 'model-unavailable' } });
  });
  test('low confidence and no fallback: 200 with no recommendation, never a trusted answer', async () => {
    h.answer(0.9, 0.1);
    const body = JSON.parse((await post(h)).body) as Record<string, unknown>;
    expect(body).toMatchObject({ requiresClinicianReview: true, fallback: { method: 'no-recommendation' } });
  });
});

describe('logs and metrics carry no PHI', () => {
  let h: Harness;
  beforeAll(() => (h = harness()));
  afterAll(() => release(h));
  test('a full answered request and a refused one leave only ids, codes, field names and timings', async () => {
    h.answer(0.83, 0.55);
    await post(h);
    await post(h, { patientRef: 'MRN-00042', observations: { temp: 'MRN-00042-°F', 'MRN-00042': 1 } });
    const text = out.text();
    expect(text).toContain('request completed');
    expect(text).toContain('"problemType":"invalid-request"');
    // The answered request's one log line carries the decision, not the values behind it.
    expect(text).toMatch(/"request completed".*"decision":"fallback".*"fallbackMethod":"NEWS2"/);
    for (const phi of ['MRN-00042', '101.3', '38.5', '176 lb', '104/66']) expect(text).not.toContain(phi);
  });
});
