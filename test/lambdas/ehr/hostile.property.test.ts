/**
 * Hostile input, generated (fast-check): at least 10,000 payloads per route through the intake handler behind
 * the platform middleware, plus the adapters on valid-but-strange resources. The properties: no 5xx, every
 * answer is in the route's format (OperationOutcome, HL7 ACK, problem), nothing rejects unhandled, and an
 * adapter never throws on data (a throw would make a message fail until the dead-letter queue).
 *
 * AWS and the database are in-process fakes here that always succeed: this is the HTTP boundary and the
 * parsers under attack; the real services are exercised by the integration tests.
 */
import './support/quiet';
import * as fc from 'fast-check';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Pool } from 'pg';
import { createIntakeHandler } from '../../../lambdas/ehr-intake/handler';
import { ADAPTERS } from '../../../lambdas/shared/ehr/adapters';
import type { FhirAdapter, Hl7Adapter } from '../../../lambdas/shared/ehr/adapters/types';
import { validateFhir, isError } from '../../../lambdas/shared/ehr/fhir/validate';
import { decodeHl7, Hl7Error, parseHl7 } from '../../../lambdas/shared/ehr/hl7v2/message';
import { ingestEvent, lambdaContext } from './support/events';
import { authoredJson, sampleBytes, sampleFiles, sampleJson, SOURCES } from './support/fixtures';
import { RecordingMetrics } from './support/metrics';

const RUNS = 10_000;

let unhandled = 0;
const onUnhandled = () => {
  unhandled++;
};
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});
afterEach(() => expect(unhandled).toBe(0));

const fakeSend = { send: () => Promise.resolve({}) };
/** A database that knows no receipts and accepts every insert. */
const fakeDb = {
  query: (sql: string) =>
    Promise.resolve(
      sql.trimStart().startsWith('INSERT') ? { rowCount: 1, rows: [] } : { rowCount: 0, rows: [] },
    ),
} as unknown as Pool;

const intake = createIntakeHandler(() => ({
  sources: SOURCES,
  storage: {
    s3: fakeSend as unknown as S3Client,
    sqs: fakeSend as unknown as SQSClient,
    config: { bucket: 'b', kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k', queueUrl: 'q' },
  },
  db: fakeDb,
  metrics: new RecordingMetrics().asMetrics(),
  now: () => new Date(),
}));

const CLIENTS = SOURCES.map((s) => s.clientId!);
const FHIR_SAMPLES = sampleFiles('fhir-r4', '.json').map((f) => sampleJson(f));
const HL7_SAMPLES = sampleFiles('hl7v2', '.hl7').map((f) => sampleBytes(f).toString('latin1'));

/** Content types senders actually send, and some they should not. */
const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/fhir+json',
    'application/fhir+json; charset=utf-8',
    'application/json',
    'x-application/hl7-v2+er7',
    'application/hl7-v2',
    'text/plain; charset=ISO-8859-1',
    'application/fhir+json; charset=utf-16',
    'application/xml',
    '',
  ),
  fc.string({ maxLength: 40 }),
);

// Mostly a valid partner credential, so that most payloads reach validation (where the hostile part is); the rest
// is a forged, foreign or malformed credential, which must get a 403.
const claims = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      clientId: fc.constantFrom(...CLIENTS),
      scope: fc.constantFrom('ehr/ingest', 'openid ehr/ingest'),
      tokenUse: fc.constant('access'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      clientId: fc.oneof(fc.constantFrom(...CLIENTS), fc.constant(null), fc.string({ maxLength: 20 })),
      scope: fc.oneof(
        fc.constant('ehr/ingest'),
        fc.constant('openid ehr/ingest'),
        fc.string({ maxLength: 20 }),
      ),
      tokenUse: fc.oneof(fc.constant('access'), fc.constant('id'), fc.string({ maxLength: 5 })),
    }),
  },
);

const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'resourceType',
  'entry',
  'resource',
  'extension',
  'id',
  'meta',
  '',
];

/** A JSON path into a value, and a replacement there: the shape of a vendor bug or an attack. */
function mutate(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[path[0] % keys.length];
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
    ? [...(value as unknown[])]
    : { ...(value as Record<string, unknown>) };
  (copy as Record<string, unknown>)[key] = mutate(
    (value as Record<string, unknown>)[key],
    path.slice(1),
    replacement,
  );
  return copy;
}

const jsonish = fc.jsonValue({ maxDepth: 4 });

const nested = fc.integer({ min: 50, max: 5000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth));

const fhirBodies: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 2, arbitrary: jsonish.map((v) => JSON.stringify(v)) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        resourceType: fc.oneof(
          fc.constantFrom(
            'Patient',
            'Observation',
            'Condition',
            'MedicationRequest',
            'Bundle',
            'Practitioner',
            'Binary',
            '__proto__',
          ),
          fc.string({ maxLength: 12 }),
        ),
        extra: fc.dictionary(
          fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 8 })),
          jsonish,
          { maxKeys: 5 },
        ),
      })
      .map(({ resourceType, extra }) => JSON.stringify({ ...extra, resourceType })),
  },
  {
    weight: 6,
    arbitrary: fc
      .record({
        sample: fc.constantFrom(...FHIR_SAMPLES, authoredJson('fhir-r4-flowsheet/vitals-bundle.json')),
        path: fc.array(fc.nat(), { maxLength: 6 }),
        replacement: fc.oneof(
          jsonish,
          fc.constantFrom(null, -1e308, 1e308, '', '\u0000', '9999-99-99', [], {}),
        ),
      })
      .map(({ sample, path, replacement }) => JSON.stringify(mutate(sample, path, replacement))),
  },
  { weight: 1, arbitrary: nested },
);

const event = (init: Parameters<typeof ingestEvent>[0], hostileEnvelope: number): APIGatewayProxyEvent => {
  const e = ingestEvent(init);
  switch (hostileEnvelope % 8) {
    case 1:
      return { ...e, isBase64Encoded: true, body: '%%%not base64%%%' };
    case 2:
      return {
        ...e,
        headers: { ...e.headers, 'content-type': 'application/fhir+json' },
        multiValueHeaders: { 'Content-Type': ['a', 'b'] },
      };
    case 3:
      return {
        ...e,
        headers: { ...e.headers, 'Idempotency-Key': '\u0000 not a token' },
        multiValueHeaders: {},
      };
    case 4:
      return { ...e, queryStringParameters: { _format: 'xml' } };
    default:
      return e;
  }
};

const isOperationOutcome = (body: string): boolean => {
  const doc = JSON.parse(body) as { resourceType?: string; issue?: unknown[] };
  return doc.resourceType === 'OperationOutcome' && Array.isArray(doc.issue) && doc.issue.length > 0;
};

describe(`hostile payloads, ${RUNS} per route`, () => {
  test('POST /v1/ehr/fhir: never 5xx; errors are OperationOutcomes; accepted payloads get a receipt', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fhirBodies,
        contentTypes,
        claims,
        fc.nat(),
        async (body, contentType, auth, envelope) => {
          const res = await intake(
            event(
              { resource: '/v1/ehr/fhir', body, contentType, ...auth, base64: envelope % 2 === 0 },
              envelope,
            ),
            lambdaContext(),
          );
          expect(res.statusCode).toBeLessThan(500);
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          if (res.statusCode === 202) expect(JSON.parse(res.body)).toHaveProperty('receiptId');
          else expect(isOperationOutcome(res.body)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
    // The generators reach every outcome, acceptance included.
    // (About 25 of 10,000 are accepted: a valid credential, content type and envelope around an unbroken sample.)
    for (const status of [202, 400, 403, 415, 422]) {
      expect([status, (statuses.get(status) ?? 0) > 0]).toEqual([status, true]);
    }
  });

  const hl7Bodies: fc.Arbitrary<Buffer> = fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.string({ maxLength: 6 }),
          fc.array(fc.string({ maxLength: 30 }), { maxLength: 20 }),
          fc.constantFrom('\r', '\n', '\r\n', ' '),
        )
        .map(([enc, fields, sep]) =>
          Buffer.from(`MSH${enc}${fields.join('|')}${sep}PID|${fields.join('^')}${sep}`, 'latin1'),
        ),
    },
    {
      weight: 6,
      arbitrary: fc
        .record({
          sample: fc.constantFrom(...HL7_SAMPLES),
          edits: fc.array(
            fc.record({
              at: fc.nat(),
              remove: fc.nat({ max: 4 }),
              insert: fc.oneof(
                fc.constantFrom(
                  '|',
                  '^',
                  '~',
                  '\\',
                  '&',
                  '\r',
                  '\n',
                  '\\X0D\\',
                  '\\F\\',
                  'ÿ',
                  '\u0000',
                  'MSH|',
                  'OBX|1|NM|',
                ),
                fc.string({ maxLength: 5 }),
              ),
            }),
            { maxLength: 6 },
          ),
        })
        .map(({ sample, edits }) => {
          let s = sample;
          for (const e of edits) {
            const at = e.at % (s.length + 1);
            s = s.slice(0, at) + e.insert + s.slice(at + e.remove);
          }
          return Buffer.from(s, 'latin1');
        }),
    },
  );

  test('POST /v1/ehr/hl7v2: never 5xx; every answer is an HL7 ACK', async () => {
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        hl7Bodies,
        contentTypes,
        claims,
        fc.nat(),
        async (body, contentType, auth, envelope) => {
          const ct = envelope % 3 === 0 ? 'x-application/hl7-v2+er7' : contentType;
          const res = await intake(
            event(
              {
                resource: '/v1/ehr/hl7v2',
                body,
                contentType: ct,
                ...auth,
                clientId: auth.clientId ?? 'client-acme',
              },
              envelope,
            ),
            lambdaContext(),
          );
          expect(res.statusCode).toBeLessThan(500);
          const segments = res.body.split('\r');
          expect(segments[0]).toMatch(/^MSH\|\^~\\&\|/);
          expect(segments[1]).toMatch(/^MSA\|(AA|AE|AR)\|/);
          if (res.statusCode === 200) expect(segments[1]).toMatch(/^MSA\|AA\|/);
          const code = segments[1].slice(4, 6);
          codes.set(code, (codes.get(code) ?? 0) + 1);
        },
      ),
      { numRuns: RUNS },
    );
    for (const code of ['AA', 'AE', 'AR']) expect(codes.get(code) ?? 0).toBeGreaterThan(0);
  });

  test('GET /v1/ehr/receipts/{id}: never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uuid(), fc.string({ maxLength: 60 }), fc.constant('../../etc/passwd')),
        claims,
        fc.boolean(),
        async (id, auth, nullParams) => {
          const res = await intake(
            ingestEvent({
              resource: '/v1/ehr/receipts/{id}',
              pathParameters: nullParams ? null : { id },
              ...auth,
            }),
            lambdaContext(),
          );
          expect(res.statusCode).toBeLessThan(500);
          expect([200, 403, 404]).toContain(res.statusCode);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('adapters never throw on data that passed structural validation', () => {
  const ctx = { source: SOURCES[0], now: Date.now() };

  test('FHIR dialects', () => {
    const dialects = ['fhir-r4-us-core', 'fhir-r4-flowsheet'].map((id) => ADAPTERS.get(id) as FhirAdapter);
    let validated = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(
          ...FHIR_SAMPLES,
          authoredJson('fhir-r4-flowsheet/vitals-bundle.json'),
          authoredJson('fhir-r4-us-core/vitals-bundle.json'),
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.oneof(
          jsonish,
          fc.constantFrom(
            '2024-02-30',
            '1850-01-01',
            '2999-01-01T00:00:00Z',
            'Patient/x',
            '#med',
            'urn:uuid:1',
            1e9,
            -5,
          ),
        ),
        (sample, path, replacement) => {
          const resource = mutate(sample, path, replacement) as Record<string, unknown>;
          if (validateFhir(resource).some(isError)) return;
          validated++;
          for (const a of dialects) {
            const { outcomes } = a.normalise(resource, ctx);
            for (const o of outcomes) expect('records' in o || 'quarantine' in o).toBe(true);
          }
        },
      ),
      { numRuns: 1500 },
    );
    expect(validated).toBeGreaterThan(150);
  });

  test('HL7 dialects', () => {
    const dialects = ['hl7v2-standard', 'hl7v2-elr'].map((id) => ADAPTERS.get(id) as Hl7Adapter);
    let parsed = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...HL7_SAMPLES),
        fc.array(fc.record({ at: fc.nat(), text: fc.string({ maxLength: 6 }) }), { maxLength: 4 }),
        (sample, edits) => {
          let s = sample;
          for (const e of edits) {
            const at = e.at % (s.length + 1);
            s = s.slice(0, at) + e.text + s.slice(at);
          }
          let message;
          try {
            const { text, charset } = decodeHl7(Buffer.from(s, 'latin1'));
            message = parseHl7(text, { processingIds: ['P', 'T', 'D'], charset });
          } catch (err) {
            if (err instanceof Hl7Error) return;
            throw err;
          }
          parsed++;
          for (const a of dialects) a.normalise(message, ctx);
        },
      ),
      { numRuns: 1500 },
    );
    expect(parsed).toBeGreaterThan(150);
  });
});
