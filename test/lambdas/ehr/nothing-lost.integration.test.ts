/**
 * Nothing is lost: N messages, valid and invalid, FHIR and HL7 v2, some sent twice and concurrently, pushed
 * through the intake and the processor while faults are injected:
 *
 * - SQS throttles a third of the intake's SendMessage calls (beyond the SDK's retries);
 * - the database goes down for a while, once during intake and once during processing;
 * - the processor "crashes" mid-batch twice (its batch response is lost after it committed some messages,
 *   so everything in the batch is delivered again), and deleting one batch is throttled.
 *
 * Senders behave as senders do: they resend on 503 / AR until acknowledged. Then every acknowledged receipt
 * must end stored or quarantined, the counts must reconcile exactly at every moment they are sampled and at
 * the end, and the canonical tables must hold each record exactly once.
 */
import './support/quiet';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createIntakeHandler } from '../../../lambdas/ehr-intake/handler';
import { createBatchHandler } from '../../../lambdas/ehr-processor/handler';
import { reconcile, reconcileCounts } from '../../../lambdas/shared/ehr/reconcile';
import { clientConfig, pump, queueDepth, startAws, type TestAws } from './support/aws';
import { migratedDatabase, type TestDatabase } from './support/database';
import { ingestEvent, lambdaContext } from './support/events';
import { SOURCES } from './support/fixtures';
import { RecordingMetrics } from './support/metrics';

let aws: TestAws;
let db: TestDatabase;

beforeAll(async () => {
  [aws, db] = await Promise.all([
    startAws({ visibilityTimeoutSeconds: 1, maxReceiveCount: 1000 }),
    migratedDatabase('ehr_lost'),
  ]);
});
afterAll(async () => {
  await Promise.all([aws?.stop(), db?.close()]);
});

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Message {
  readonly name: string;
  readonly route: '/v1/ehr/fhir' | '/v1/ehr/hl7v2';
  readonly clientId: string;
  readonly body: Buffer;
  /** Refused at the intake (never acknowledged). */
  readonly invalid: boolean;
  /** Canonical observation rows it must leave, and quarantine entries. */
  readonly observations: number;
  readonly quarantined: number;
}

const hr = (id: string, patient: string, value: number) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: '2024-03-05T14:00:00Z',
  valueQuantity: { value, unit: 'beats/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

function corpus(n: number): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < n; i++) {
    const patient = `nl-pat-${i % 5}`;
    switch (i % 5) {
      case 0: // a single observation, no message id: a resend after a 503 is a new receipt
        out.push({
          name: `obs-${i}`,
          route: '/v1/ehr/fhir',
          clientId: 'client-meridian',
          body: Buffer.from(JSON.stringify(hr(`nl-hr-${i}`, patient, 60 + i))),
          invalid: false,
          observations: 1,
          quarantined: 0,
        });
        break;
      case 1: // a Bundle with two good entries, an impossible value and a structurally invalid entry
        out.push({
          name: `bundle-${i}`,
          route: '/v1/ehr/fhir',
          clientId: 'client-meridian',
          body: Buffer.from(
            JSON.stringify({
              resourceType: 'Bundle',
              identifier: { system: 'urn:test:nothing-lost', value: `bundle-${i}` },
              type: 'batch',
              entry: [
                {
                  resource: hr(`nl-b${i}-a`, patient, 70),
                  request: { method: 'PUT', url: `Observation/nl-b${i}-a` },
                },
                {
                  resource: hr(`nl-b${i}-b`, patient, 71),
                  request: { method: 'PUT', url: `Observation/nl-b${i}-b` },
                },
                {
                  resource: hr(`nl-b${i}-c`, patient, 7100),
                  request: { method: 'PUT', url: `Observation/nl-b${i}-c` },
                },
                {
                  resource: { ...hr(`nl-b${i}-d`, patient, 72), status: 'not-a-status' },
                  request: { method: 'PUT', url: `Observation/nl-b${i}-d` },
                },
              ],
            }),
          ),
          invalid: false,
          observations: 2,
          quarantined: 2,
        });
        break;
      case 2: // an ORU^R01 with a good result and one in a code nobody maps
        out.push({
          name: `oru-${i}`,
          route: '/v1/ehr/hl7v2',
          clientId: 'client-acme',
          body: Buffer.from(
            `MSH|^~\\&|LAB|ACME|CAI|CAP|20240305081500||ORU^R01^ORU_R01|NL-${i}|P|2.5.1\r` +
              `PID|1||NL-MRN-${i % 3}^^^ACME^MR||DOE^J||19700101|F\r` +
              `OBR|1|P-${i}|NL-ORD-${i}|24331-1^Lipid^LN|||20240305070000\r` +
              `OBX|1|NM|2093-3^Cholesterol^LN||${180 + i}|mg/dL|||||F|||20240305070000\r` +
              `OBX|2|NM|XYZ^Mystery^99LOCAL||1|mg/dL|||||F|||20240305070000\r`,
          ),
          invalid: false,
          observations: 1,
          quarantined: 1,
        });
        break;
      case 3: // invalid FHIR: refused at the intake with 422
        out.push({
          name: `bad-fhir-${i}`,
          route: '/v1/ehr/fhir',
          clientId: 'client-meridian',
          body: Buffer.from(
            JSON.stringify({ ...hr(`nl-bad-${i}`, patient, 1), valueQuantity: { value: 'x' } }),
          ),
          invalid: true,
          observations: 0,
          quarantined: 0,
        });
        break;
      default: // invalid HL7: refused with AE
        out.push({
          name: `bad-hl7-${i}`,
          route: '/v1/ehr/hl7v2',
          clientId: 'client-acme',
          body: Buffer.from(
            `MSH|^~\\&|LAB|ACME|CAI|CAP|20240305081500||ORU^R01|NL-${i}|P|2.5.1\rOBX|1|NM|x\r`,
          ),
          invalid: true,
          observations: 0,
          quarantined: 0,
        });
    }
  }
  return out;
}

test('every acknowledged message ends stored or quarantined; counts reconcile exactly; no duplicate rows', async () => {
  const rand = random(20240305);
  const metrics = new RecordingMetrics();

  // SQS that throttles the intake: a third of SendMessage calls fail after the SDK's own retries.
  const throttledSqs = new SQSClient(clientConfig(aws.moto.endpoint));
  throttledSqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'SendMessageCommand' && rand() < 0.33) {
        throw Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectThrottling' },
  );
  const intake = createIntakeHandler(() => ({
    sources: SOURCES,
    storage: aws.storage({ sqs: throttledSqs }),
    db: db.pool,
    metrics: metrics.asMetrics(),
    now: () => new Date(),
  }));
  const processor = createBatchHandler(() => ({
    sources: SOURCES,
    storage: aws.storage(),
    db: db.pool,
    metrics: metrics.asMetrics(),
    now: () => Date.now(),
  }));

  // Reconciliation is sampled throughout, not only at the end.
  const violations: string[] = [];
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        const c = await reconcileCounts(db.admin);
        samples++;
        if (c.messagesUnreconciled !== 0 || c.recordsUnreconciled !== 0) violations.push(JSON.stringify(c));
      } catch {
        // the sampler reads through its own connection; nothing to do if a read fails
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  const messages = corpus(50);
  // Some messages are sent twice, concurrently with their first copy.
  const sends = [...messages, ...messages.filter((_, i) => i % 7 === 1 || i % 7 === 2)];
  const acknowledged = new Map<string, string>(); // message name -> receipt id
  const refused = new Set<string>();
  let unavailable = 0;

  const send = async (m: Message): Promise<void> => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const res: APIGatewayProxyResult = await intake(
        ingestEvent({
          resource: m.route,
          body: m.body,
          contentType: m.route === '/v1/ehr/fhir' ? 'application/fhir+json' : 'x-application/hl7-v2+er7',
          clientId: m.clientId,
        }),
        lambdaContext(),
      );
      if (res.statusCode === 503) {
        unavailable++;
        await new Promise((r) => setTimeout(r, 50 + rand() * 100));
        continue;
      }
      if (res.statusCode >= 400) {
        refused.add(m.name);
        return;
      }
      const receiptId =
        m.route === '/v1/ehr/fhir'
          ? (JSON.parse(res.body) as { receiptId: string }).receiptId
          : String(res.headers!['X-Receipt-Id']);
      const prior = acknowledged.get(m.name);
      // A duplicate with a message id gets the same receipt; one without may get a new one.
      if (prior && m.route === '/v1/ehr/hl7v2') expect(receiptId).toBe(prior);
      acknowledged.set(m.name, prior ?? receiptId);
      return;
    }
    throw new Error(`${m.name} was never acknowledged`);
  };

  // Intake, four senders at a time, with the database down for a while in the middle.
  const outage = setTimeout(() => {
    db.proxy.down();
    setTimeout(() => db.proxy.up(), 1200);
  }, 300);
  const queue = [...sends];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let m = queue.shift(); m; m = queue.shift()) await send(m);
    }),
  );
  clearTimeout(outage);
  db.proxy.up();

  const valid = messages.filter((m) => !m.invalid);
  expect(new Set(acknowledged.keys())).toEqual(new Set(valid.map((m) => m.name)));
  expect(refused).toEqual(new Set(messages.filter((m) => m.invalid).map((m) => m.name)));
  expect(unavailable).toBeGreaterThan(0); // the faults really happened
  expect(metrics.sum('IntakeUnavailable')).toBe(unavailable);

  // Processing: the database down for a few batches, two crashes after commits, one throttled delete. The
  // reconciler runs alongside, as its schedule would, and re-enqueues receipts whose message never made it.
  const reconcileDeps = {
    db: db.pool,
    storage: aws.storage(),
    metrics: metrics.asMetrics(),
    now: () => Date.now(),
  };
  const batches = await pump(aws.sqs, aws.queueUrl, processor, {
    batchSize: 5,
    timeoutMs: 240_000,
    beforeBatch: async (b) => {
      if (b === 2) {
        db.proxy.down();
        await new Promise((r) => setTimeout(r, 100));
        setTimeout(() => db.proxy.up(), 2000);
      }
      if (b % 6 === 0)
        await reconcile(reconcileDeps, { staleAfterMs: 1500, maxRedrives: 5, batch: 50 }).catch(
          () => undefined,
        );
    },
    crashed: (b) => b === 7 || b === 10,
    deleteThrottled: (b) => b === 12,
    done: async () => {
      if ((await queueDepth(aws.sqs, aws.queueUrl)) > 0) return false;
      const c = await reconcileCounts(db.admin);
      if (c.inFlight === 0) return true;
      await reconcile(reconcileDeps, { staleAfterMs: 1500, maxRedrives: 5, batch: 50 });
      return false;
    },
  });
  sampling = false;
  await sampler;
  expect(batches).toBeGreaterThan(12);

  // Every acknowledged receipt is complete.
  const ids = [...acknowledged.values()];
  const receipts = await db.admin.query<{ receipt_id: string; status: string }>(
    'SELECT receipt_id, status FROM clinical.ingestion_receipts WHERE receipt_id = ANY($1::uuid[])',
    [ids],
  );
  expect(receipts.rows).toHaveLength(ids.length);
  for (const r of receipts.rows) expect(['stored', 'quarantined']).toContain(r.status);

  // The counts reconcile exactly, and did at every sample.
  const end = await reconcileCounts(db.admin);
  expect(end).toMatchObject({ inFlight: 0, messagesUnreconciled: 0, recordsUnreconciled: 0 });
  expect(end.received).toBe(end.stored + end.quarantined);
  expect(samples).toBeGreaterThan(5);
  expect(violations).toEqual([]);

  // Each record exactly once: the canonical rows and the quarantine entries are what the messages carry.
  const count = async (sql: string) => (await db.admin.query<{ n: number }>(sql)).rows[0].n;
  expect(await count('SELECT count(*)::int AS n FROM clinical.observations')).toBe(
    valid.reduce((a, m) => a + m.observations, 0),
  );
  expect(await count('SELECT count(*)::int AS n FROM clinical.quarantine_entries')).toBe(
    valid.reduce((a, m) => a + m.quarantined, 0),
  );
  expect(await count('SELECT count(*)::int AS n FROM clinical.record_history')).toBe(0);
  expect(
    await count(
      `SELECT count(*)::int AS n FROM (SELECT receipt_id FROM clinical.quarantine_entries GROUP BY receipt_id, resource_index HAVING count(*) > 1) d`,
    ),
  ).toBe(0);

  // The faults made the processor fail (database down) and see messages again (crashes), and it stored once.
  expect(metrics.sum('MessagesFailed')).toBeGreaterThan(0);
  expect(metrics.sum('DuplicateDeliveries')).toBeGreaterThan(0);
  const dlq = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: aws.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe('0');
  throttledSqs.destroy();
});
