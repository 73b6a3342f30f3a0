/**
 * EHR ingestion end to end, against the real PostgreSQL server (a fresh migrated database, reached as the
 * clinical_ingestion role) and moto_server (KMS, S3, SQS): the intake handler behind the platform middleware,
 * the processor behind the Powertools batch processor, and the event-source mapping played by `pump`.
 */
import './support/quiet';
import { HeadObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createIntakeHandler } from '../../../lambdas/ehr-intake/handler';
import { createBatchHandler } from '../../../lambdas/ehr-processor/handler';
import { reconcile, reconcileCounts } from '../../../lambdas/shared/ehr/reconcile';
import { putObject, rawKey, sha256Hex } from '../../../lambdas/shared/ehr/storage';
import { pump, queueDepth, startAws, type TestAws } from './support/aws';
import { migratedDatabase, type TestDatabase } from './support/database';
import { ingestEvent, lambdaContext, type IngestEventInit } from './support/events';
import { authoredBytes, authoredJson, sampleBytes, sampleJson, SOURCES } from './support/fixtures';
import { RecordingMetrics } from './support/metrics';

let aws: TestAws;
let db: TestDatabase;
const metrics = new RecordingMetrics();

beforeAll(async () => {
  [aws, db] = await Promise.all([startAws(), migratedDatabase('ehr_it')]);
});
afterAll(async () => {
  await Promise.all([aws?.stop(), db?.close()]);
});

const intake = createIntakeHandler(() => ({
  sources: SOURCES,
  storage: aws.storage(),
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

const call = (init: IngestEventInit): Promise<APIGatewayProxyResult> =>
  intake(ingestEvent(init), lambdaContext());

const postFhir = (body: unknown, clientId = 'client-meridian', extra: Partial<IngestEventInit> = {}) =>
  call({
    resource: '/v1/ehr/fhir',
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    contentType: 'application/fhir+json',
    clientId,
    ...extra,
  });

const postHl7 = (body: Buffer | string, clientId = 'client-acme', extra: Partial<IngestEventInit> = {}) =>
  call({
    resource: '/v1/ehr/hl7v2',
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    contentType: 'x-application/hl7-v2+er7',
    clientId,
    ...extra,
  });

const getReceipt = async (id: string, clientId = 'client-meridian') => {
  const res = await call({ resource: '/v1/ehr/receipts/{id}', pathParameters: { id }, clientId });
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
};

const receiptOf = (res: APIGatewayProxyResult): string => {
  const id = (JSON.parse(res.body) as { receiptId?: string }).receiptId;
  if (!id) throw new Error(`no receipt in ${res.statusCode} ${res.body}`);
  return id;
};

/** MSA-1 and MSA-3 of an ACK. */
const msa = (ack: string) => {
  const seg = ack
    .split('\r')
    .find((s) => s.startsWith('MSA|'))!
    .split('|');
  return { code: seg[1], controlId: seg[2], text: seg[3] };
};

const drain = () =>
  pump(aws.sqs, aws.queueUrl, processor, {
    done: async () => (await queueDepth(aws.sqs, aws.queueUrl)) === 0,
    timeoutMs: 60_000,
  });

const observations = async (source: string) =>
  (
    await db.admin.query<{
      source_observation_id: string;
      loinc_code: string;
      ucum_unit: string;
      value: string;
      effective_at: Date;
      status: string;
    }>(
      `SELECT source_observation_id, loinc_code, ucum_unit, value, effective_at, status FROM clinical.observations
       WHERE source_system = $1 ORDER BY loinc_code, source_observation_id`,
      [source],
    )
  ).rows;

describe('FHIR intake and processing', () => {
  test('a US Core observation: 202 with a receipt, stored encrypted under the CMK, enqueued without PHI, then stored', async () => {
    const res = await postFhir(sampleBytes('fhir-r4/us-core/heart-rate.json'));
    expect(res.statusCode).toBe(202);
    expect(res.headers?.['Content-Type']).toMatch(/^application\/fhir\+json/);
    const receiptId = receiptOf(res);
    expect(res.headers?.Location).toBe(`/v1/ehr/receipts/${receiptId}`);

    // Durable before the 202: the object is there, under SSE-KMS with the platform key; the receipt row exists.
    const raw = await db.admin.query<{ payload_object_key: string; status: string }>(
      'SELECT payload_object_key, status FROM clinical.ingestion_receipts WHERE receipt_id = $1',
      [receiptId],
    );
    expect(raw.rows[0].status).toBe('received');
    const head = await aws.s3.send(
      new HeadObjectCommand({ Bucket: aws.bucket, Key: raw.rows[0].payload_object_key }),
    );
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toContain(aws.kmsKeyArn.split('/').pop());
    expect(raw.rows[0].payload_object_key).toMatch(
      /^ehr\/raw\/meridian-fhir\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.json$/,
    );

    // The queue message is ids and a checksum only.
    const peek = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: aws.queueUrl, VisibilityTimeout: 0 }),
    );
    const message = JSON.parse(peek.Messages![0].Body!) as Record<string, unknown>;
    expect(Object.keys(message).sort()).toEqual([
      'adapter',
      'format',
      'objectKey',
      'receiptId',
      'sha256',
      'sourceSystem',
      'v',
    ]);
    expect(peek.Messages![0].Body).not.toMatch(/Patient|example|8867/);

    expect((await getReceipt(receiptId)).body).toMatchObject({ receiptId, status: 'received' });
    await drain();
    expect((await getReceipt(receiptId)).body).toMatchObject({
      status: 'stored',
      records: { total: 1, stored: 1, quarantined: 0 },
    });
    const rows = await observations('meridian-fhir');
    expect(rows).toEqual([
      expect.objectContaining({
        source_observation_id: 'heart-rate',
        loinc_code: '8867-4',
        ucum_unit: '/min',
        value: '44',
      }),
    ]);
  });

  test('two dialects of the same facts normalise to the same canonical observations', async () => {
    const a = await postFhir(authoredJson('fhir-r4-us-core/vitals-bundle.json'), 'client-meridian');
    const b = await postFhir(authoredJson('fhir-r4-flowsheet/vitals-bundle.json'), 'client-northwind');
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    await drain();
    const canon = async (source: string, patient: string) =>
      (
        await db.admin.query<{ loinc_code: string; ucum_unit: string; value: string; effective_at: Date }>(
          `SELECT o.loinc_code, o.ucum_unit, round(o.value, 4)::text AS value, o.effective_at
           FROM clinical.observations o JOIN clinical.patients p USING (patient_id)
           WHERE o.source_system = $1 AND p.source_patient_id = $2 ORDER BY o.loinc_code`,
          [source, patient],
        )
      ).rows;
    const standard = await canon('meridian-fhir', 'pat-4007');
    const flowsheet = await canon('northwind-fhir', 'E4007');
    expect(standard).toHaveLength(6);
    expect(flowsheet).toEqual(standard);
    expect(standard).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ loinc_code: '8310-5', ucum_unit: 'Cel', value: '38.0000' }),
        expect.objectContaining({ loinc_code: '29463-7', ucum_unit: 'kg', value: '68.0389' }),
        expect.objectContaining({ loinc_code: '8480-6', ucum_unit: 'mm[Hg]', value: '98.0000' }),
        expect.objectContaining({ loinc_code: '2345-7', ucum_unit: 'mg/dL', value: '162.0000' }),
      ]),
    );
    // Identity per dialect: logical id for one, the site's MRN for the other.
    const patients = await db.admin.query<{
      source_system: string;
      source_patient_id: string;
      birth_date: Date;
    }>(
      `SELECT source_system, source_patient_id, birth_date FROM clinical.patients
       WHERE source_patient_id IN ('pat-4007', 'E4007') ORDER BY source_system`,
    );
    expect(patients.rows.map((r) => [r.source_system, r.source_patient_id])).toEqual([
      ['meridian-fhir', 'pat-4007'],
      ['northwind-fhir', 'E4007'],
    ]);
  });

  test('a Bundle with bad entries among good ones: the good are stored, each bad one quarantined with its reason', async () => {
    const bundle = authoredJson('fhir-r4-us-core/vitals-bundle.json') as {
      identifier: { value: string };
      entry: unknown[];
    };
    bundle.identifier.value = 'uc-batch-mixed-1';
    const hr = (id: string, value: number, extra: Record<string, unknown> = {}) => ({
      fullUrl: `https://ehr.standard-vendor.example/fhir/Observation/${id}`,
      resource: {
        resourceType: 'Observation',
        id,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: 'Patient/pat-4007' },
        effectiveDateTime: '2024-03-05T15:00:00Z',
        valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
        ...extra,
      },
    });
    bundle.entry.push(
      hr('hr-impossible', 900),
      hr('hr-invalid', 80, { status: 'bogus' }), // structurally invalid (required binding)
      hr('hr-no-subject', 80, { subject: undefined }),
      hr('hr-unknown-code', 80, { code: { coding: [{ system: 'http://loinc.org', code: '1234-6' }] } }), // check digit ok, not catalogued
      hr('hr-no-unit', 80, { valueQuantity: { value: 80 } }),
      hr('hr-free-text', 80, { valueQuantity: undefined, valueString: 'irregular, about 80' }),
    );
    const res = await postFhir(bundle);
    expect(res.statusCode).toBe(202);
    const accepted = JSON.parse(res.body) as {
      receiptId: string;
      outcome: { issue: { expression?: string[] }[] };
    };
    // The sender is told now which entry will be quarantined as invalid.
    expect(accepted.outcome.issue.map((i) => i.expression?.[0])).toContain('Bundle.entry[7].resource.status');
    await drain();
    const receipt = await getReceipt(accepted.receiptId);
    expect(receipt.body).toMatchObject({
      status: 'stored',
      records: { total: 12, stored: 6, quarantined: 6 },
    });
    const quarantined = receipt.body.quarantined as { index: number; reason: string }[];
    expect(quarantined.map((q) => [q.index, q.reason])).toEqual([
      [6, 'impossible-value'],
      [7, 'invalid-resource'],
      [8, 'missing-subject'],
      [9, 'unknown-code'],
      [10, 'missing-unit'],
      [11, 'non-numeric-value'],
    ]);
    expect(String(receipt.body.reason)).toBe(
      '6 of 12 records quarantined: impossible-value, invalid-resource, missing-subject, missing-unit, non-numeric-value, unknown-code',
    );
    // Each quarantined record has its encrypted copy under the quarantine prefix; details never quote values.
    const entries = await db.admin.query<{ payload_object_key: string; detail: string }>(
      'SELECT payload_object_key, detail FROM clinical.quarantine_entries WHERE receipt_id = $1 ORDER BY resource_index',
      [accepted.receiptId],
    );
    for (const e of entries.rows) {
      expect(e.payload_object_key).toMatch(
        new RegExp(`^ehr/quarantine/meridian-fhir/${accepted.receiptId}/\\d+\\.json$`),
      );
      const head = await aws.s3.send(
        new HeadObjectCommand({ Bucket: aws.bucket, Key: e.payload_object_key }),
      );
      expect(head.ServerSideEncryption).toBe('aws:kms');
      expect(e.detail).not.toMatch(/900|irregular|bogus/);
    }
    const copy = await aws.s3.send(
      new GetObjectCommand({ Bucket: aws.bucket, Key: entries.rows[0].payload_object_key }),
    );
    expect(JSON.parse(await copy.Body!.transformToString())).toMatchObject({
      resource: { id: 'hr-impossible' },
    });
  });

  test.each([
    ['not JSON', '{"resourceType": "Patient",', 400, 'invalid', undefined],
    ['JSON but not FHIR', '{"hello": "world"}', 422, 'structure', undefined],
    ['an unknown resource type', '{"resourceType": "Patientt"}', 422, 'not-supported', 'resourceType'],
    [
      'a resource type this route does not take',
      '{"resourceType": "Practitioner", "id": "p1"}',
      422,
      'not-supported',
      'resourceType',
    ],
    [
      'an invalid Observation',
      JSON.stringify({
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'x' },
        valueQuantity: { value: 'high' },
      }),
      422,
      'structure',
      'Observation.value[x].value',
    ],
    [
      'an unknown element',
      JSON.stringify({ resourceType: 'Patient', id: 'x', favouriteColour: 'blue' }),
      422,
      'structure',
      'Patient.favouriteColour',
    ],
  ])('%s is refused with an OperationOutcome (%#)', async (_name, body, status, code, expression) => {
    const before = await db.admin.query('SELECT count(*)::int AS n FROM clinical.ingestion_receipts');
    const res = await postFhir(body);
    expect(res.statusCode).toBe(status);
    expect(res.headers?.['Content-Type']).toMatch(/^application\/fhir\+json/);
    const outcome = JSON.parse(res.body) as {
      resourceType: string;
      issue: { code: string; expression?: string[] }[];
    };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0].code).toBe(code);
    if (expression) expect(outcome.issue.map((i) => i.expression?.[0])).toContain(expression);
    expect(res.body).not.toMatch(/blue|high/);
    const after = await db.admin.query('SELECT count(*)::int AS n FROM clinical.ingestion_receipts');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  test('media type, encoding and size are checked before anything is stored', async () => {
    expect((await postFhir('{}', 'client-meridian', { contentType: 'text/plain' })).statusCode).toBe(415);
    expect(
      (await postFhir('{}', 'client-meridian', { contentType: 'application/fhir+json; charset=iso-8859-1' }))
        .statusCode,
    ).toBe(415);
    expect((await postFhir(Buffer.from([0x7b, 0xff, 0x7d]))).statusCode).toBe(400);
    expect((await postFhir(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20))).statusCode).toBe(413);
    // A byte-order mark is tolerated.
    const bom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      sampleBytes('fhir-r4/us-core/observation-serum-glucose.json'),
    ]);
    expect((await postFhir(bom)).statusCode).toBe(202);
  });
});

describe('HL7 v2 intake and processing', () => {
  test('a Cerner ELR ORU^R01 (CR separators): ACK AA with the receipt id, then stored', async () => {
    const res = await postHl7(
      sampleBytes('hl7v2/node-hl7-complete/cerner/cerner_lead.hl7'),
      'client-statelab',
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['Content-Type']).toMatch(/^x-application\/hl7-v2\+er7/);
    const ack = msa(res.body);
    expect(ack.code).toBe('AA');
    expect(ack.controlId).toBe('201010010913000772');
    const receiptId = String(res.headers!['X-Receipt-Id']);
    expect(ack.text).toBe(`receipt ${receiptId}`);
    await drain();
    expect((await getReceipt(receiptId, 'client-statelab')).body).toMatchObject({
      status: 'stored',
      records: { total: 2, stored: 2, quarantined: 0 },
    });
    expect(await observations('state-lab-hl7')).toEqual([
      expect.objectContaining({ loinc_code: '10368-9', ucum_unit: 'ug/dL', value: '50', status: 'final' }),
    ]);
  });

  test('character sets: 8859/1 as declared is accepted; UTF-8 declared over Latin-1 bytes is refused with AE', async () => {
    const ok = await postHl7(authoredBytes('hl7v2/oru-latin1.hl7'));
    expect(msa(ok.body).code).toBe('AA');
    const mixed = await postHl7(authoredBytes('hl7v2/oru-utf8-declared-latin1-bytes.hl7'));
    expect(mixed.statusCode).toBe(422);
    expect(msa(mixed.body).code).toBe('AE');
    expect(mixed.body).toMatch(/ERR\|\|MSH\^1\^18\|102\^Data type error\^HL70357\|E/);
    await drain();
    const rows = await observations('acme-lab-hl7');
    expect(rows).toEqual([
      expect.objectContaining({ loinc_code: '2093-3', ucum_unit: 'mg/dL', value: '212' }),
    ]);
  });

  test.each([
    [
      'segments joined by spaces (the malformed real sample)',
      'hl7v2/node-hl7-complete/healthcare-it-systems/adt-example.hl7',
      422,
      'AE',
      '100',
    ],
  ])('%s is refused with an ACK (%#)', async (_n, file, status, code, error) => {
    const res = await postHl7(sampleBytes(file));
    expect(res.statusCode).toBe(status);
    expect(msa(res.body).code).toBe(code);
    expect(res.body).toContain(`|${error}^`);
  });

  test('unsupported message types, versions and processing ids are rejected with AR; garbage with AR 400', async () => {
    const msg = (type: string, version = '2.5.1', processing = 'P') =>
      `MSH|^~\\&|A|ACME|B|CAP|20240305081500||${type}|X-${type}-${version}-${processing}|${processing}|${version}\rEVN|A04|20240305081500\rPID|1||123^^^^MR\rPV1|1|I\r`;
    const a04 = await postHl7(msg('ADT^A04'));
    expect([a04.statusCode, msa(a04.body).code]).toEqual([422, 'AR']);
    expect(a04.body).toContain('|201^Unsupported event code^HL70357|');
    const v22 = await postHl7(msg('ADT^A01', '2.2'));
    expect(v22.statusCode).toBe(422);
    expect(v22.body).toContain('|203^Unsupported version id^HL70357|');
    const garbage = await postHl7('hello, world');
    expect([garbage.statusCode, msa(garbage.body).code]).toEqual([400, 'AR']);
    // A processing id the source is not registered for.
    const processing = await postHl7(msg('ADT^A01', '2.5.1', 'X'));
    expect(processing.body).toContain('|202^Unsupported processing id^HL70357|');
  });

  test('ADT^A01 then A08 update the patient; the A01 arriving late does not undo the A08', async () => {
    const adt = (event: string, id: string, at: string, sex: string) =>
      `MSH|^~\\&|ADT|ACME|CAI|CAP|${at}||ADT^${event}^ADT_${event}|${id}|P|2.5.1\rEVN|${event}|${at}\rPID|1||MRN-31^^^ACME^MR||DOE^JO||19800202|${sex}\rPV1|1|I\r`;
    expect(msa((await postHl7(adt('A08', 'ADT-2', '20240305100000-0600', 'F'))).body).code).toBe('AA');
    expect(msa((await postHl7(adt('A01', 'ADT-1', '20240305090000-0600', 'U'))).body).code).toBe('AA');
    await drain();
    const p = await db.admin.query<{ administrative_gender: string; source_updated_at: Date }>(
      `SELECT administrative_gender, source_updated_at FROM clinical.patients WHERE source_system = 'acme-lab-hl7' AND source_patient_id = 'MRN-31'`,
    );
    expect(p.rows[0]).toEqual({
      administrative_gender: 'female',
      source_updated_at: new Date('2024-03-05T16:00:00Z'),
    });
  });
});

describe('per-vendor authentication', () => {
  test('no token, a token without the ingest scope, an ID token or an unknown client: 403, nothing stored', async () => {
    const body = sampleBytes('fhir-r4/us-core/heart-rate.json');
    for (const extra of [
      { clientId: null },
      { scope: 'openid profile' },
      { tokenUse: 'id' },
      { clientId: 'client-unknown' },
    ] as Partial<IngestEventInit>[]) {
      const res = await postFhir(body, 'client-meridian', extra);
      expect(res.statusCode).toBe(403);
      expect((JSON.parse(res.body) as { issue: { code: string }[] }).issue[0].code).toBe('forbidden');
    }
    const hl7 = await postHl7(
      sampleBytes('hl7v2/node-hl7-complete/cerner/cerner_lead.hl7'),
      'client-statelab',
      { scope: 'x' },
    );
    expect([hl7.statusCode, msa(hl7.body).code]).toEqual([403, 'AR']);
  });

  test('a vendor can never submit as another: the credential decides, payload claims are checked or ignored', async () => {
    // The FHIR vendor cannot use the HL7 route, nor the HL7 vendor the FHIR route.
    expect(
      (await postHl7(sampleBytes('hl7v2/node-hl7-complete/cerner/cerner_lead.hl7'), 'client-northwind'))
        .statusCode,
    ).toBe(403);
    expect((await postFhir(sampleBytes('fhir-r4/us-core/heart-rate.json'), 'client-acme')).statusCode).toBe(
      403,
    );
    // The state lab's credential with a sending facility it is not registered for.
    const foreign = sampleBytes('hl7v2/node-hl7-complete/cerner/cerner_lead.hl7')
      .toString('latin1')
      .replace('Baseline West MC^33D1234567^L', 'Mercy General^99X^L');
    const res = await postHl7(Buffer.from(foreign, 'latin1'), 'client-statelab');
    expect([res.statusCode, msa(res.body).code]).toEqual([403, 'AR']);
    expect(res.body).toContain('MSH^1^4');
    // A FHIR payload naming another source in meta.source is still stored as its sender's.
    const obs = {
      ...sampleJson('fhir-r4/us-core/heart-rate.json'),
      id: 'claimed-elsewhere',
      meta: { source: 'https://meridian.example' },
    };
    const posted = await postFhir(obs, 'client-northwind');
    expect(posted.statusCode).toBe(202);
    await drain();
    const rows = await db.admin.query<{ source_system: string }>(
      'SELECT source_system FROM clinical.ingestion_receipts WHERE receipt_id = $1',
      [receiptOf(posted)],
    );
    expect(rows.rows[0].source_system).toBe('northwind-fhir');
  });

  test("a vendor cannot read another vendor's receipt (404, the same as an unknown id)", async () => {
    const id = receiptOf(await postFhir(sampleBytes('fhir-r4/hl7-fhir-r4-examples/Observation-f001.json')));
    expect((await getReceipt(id, 'client-meridian')).status).toBe(200);
    expect((await getReceipt(id, 'client-northwind')).status).toBe(404);
    expect((await getReceipt('00000000-0000-4000-8000-000000000000', 'client-meridian')).status).toBe(404);
    expect((await getReceipt('not-a-uuid', 'client-meridian')).status).toBe(404);
    await drain();
  });
});

describe('duplicates, redelivery and out-of-order updates', () => {
  test('a resent Bundle (same identifier) gets the same receipt; the same id with other content is 409', async () => {
    const bundle = authoredJson('fhir-r4-us-core/vitals-bundle.json');
    (bundle.identifier as { value: string }).value = 'uc-dup-1';
    const first = receiptOf(await postFhir(bundle));
    const again = await postFhir(bundle);
    expect(receiptOf(again)).toBe(first);
    expect(JSON.parse(again.body)).toMatchObject({ duplicate: true });
    (bundle.entry as unknown[]).pop();
    const changed = await postFhir(bundle);
    expect(changed.statusCode).toBe(409);
    const count = await db.admin.query(
      `SELECT count(*)::int AS n FROM clinical.ingestion_receipts WHERE source_message_id = 'https://ehr.standard-vendor.example/bundles|uc-dup-1'`,
    );
    expect(count.rows[0]).toEqual({ n: 1 });
    await drain();
  });

  test('a resent HL7 message (same MSH-10) is acknowledged with the same receipt; reused MSH-10 is AR 205', async () => {
    const text = authoredBytes('hl7v2/oru-latin1.hl7').toString('latin1').replace('NL-000731', 'NL-DUP-1');
    const a = await postHl7(Buffer.from(text, 'latin1'));
    const b = await postHl7(Buffer.from(text, 'latin1'));
    expect(b.headers!['X-Receipt-Id']).toBe(a.headers!['X-Receipt-Id']);
    const reused = await postHl7(Buffer.from(text.replace('|212|', '|213|'), 'latin1'));
    expect([reused.statusCode, msa(reused.body).code]).toEqual([409, 'AR']);
    expect(reused.body).toContain('|205^Duplicate key identifier^HL70357|');
    await drain();
  });

  test('a redelivered queue message stores once', async () => {
    const res = await postFhir(sampleBytes('fhir-r4/hl7-fhir-r4-examples/Observation-f005.json'));
    const receiptId = receiptOf(res);
    const peek = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: aws.queueUrl, VisibilityTimeout: 0 }),
    );
    const body = peek.Messages!.find((m) => m.Body!.includes(receiptId))!.Body!;
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrl, MessageBody: body }));
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrl, MessageBody: body }));
    const duplicatesBefore = metrics.sum('DuplicateDeliveries');
    await drain();
    expect(metrics.sum('DuplicateDeliveries') - duplicatesBefore).toBe(2);
    const rows = await db.admin.query(
      `SELECT count(*)::int AS n FROM clinical.observations WHERE source_system = 'meridian-fhir' AND source_observation_id = 'f005'`,
    );
    expect(rows.rows[0]).toEqual({ n: 1 });
    const history = await db.admin.query(
      `SELECT count(*)::int AS n FROM clinical.record_history h JOIN clinical.observations o ON o.observation_id = h.record_id
       WHERE o.source_observation_id = 'f005'`,
    );
    expect(history.rows[0]).toEqual({ n: 0 });
  });

  test('out-of-order updates: the newest version by the source clock wins, and replaced versions are kept', async () => {
    const version = (v: number, at: string, value: number) => ({
      resourceType: 'Observation',
      id: 'glucose-ooo',
      meta: { versionId: String(v), lastUpdated: at },
      status: v === 1 ? 'preliminary' : 'corrected',
      code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
      subject: { reference: 'Patient/example' },
      effectiveDateTime: '2024-03-01T08:00:00Z',
      valueQuantity: { value, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
    });
    await postFhir(version(2, '2024-03-01T10:00:00Z', 120));
    await drain();
    await postFhir(version(1, '2024-03-01T09:00:00Z', 100)); // late: must not overwrite version 2
    await drain();
    const now = async () =>
      (
        await db.admin.query<{ value: string; status: string; observation_id: string }>(
          `SELECT value, status, observation_id FROM clinical.observations WHERE source_observation_id = 'glucose-ooo'`,
        )
      ).rows[0];
    expect(await now()).toMatchObject({ value: '120', status: 'corrected' });
    expect(metrics.sum('RecordsSuperseded')).toBeGreaterThanOrEqual(1);
    await postFhir(version(3, '2024-03-01T11:00:00Z', 130));
    await drain();
    const current = await now();
    expect(current).toMatchObject({ value: '130' });
    const history = await db.admin.query<{ previous: { value: number } }>(
      `SELECT previous FROM clinical.record_history WHERE table_name = 'observations' AND record_id = $1`,
      [current.observation_id],
    );
    expect(history.rows.map((h) => Number(h.previous.value))).toEqual([120]);
  });

  test('an observation before its patient creates a placeholder that the demographics complete', async () => {
    const obs = {
      resourceType: 'Observation',
      id: 'fs-8-placeholder',
      status: 'final',
      code: { coding: [{ system: 'urn:oid:2.16.840.1.113883.19.5.99.707679', code: '8' }] },
      subject: { identifier: { system: 'urn:oid:2.16.840.1.113883.19.5.99.1', value: 'E-LATE' } },
      effectiveDateTime: '2024-03-05T08:00:00-06:00',
      valueString: '64',
    };
    await postFhir(obs, 'client-northwind');
    await drain();
    const patient = () =>
      db.admin
        .query<{ referenced_only: boolean; birth_date: Date | null }>(
          `SELECT referenced_only, birth_date FROM clinical.patients WHERE source_system = 'northwind-fhir' AND source_patient_id = 'E-LATE'`,
        )
        .then((r) => r.rows[0]);
    expect(await patient()).toEqual({ referenced_only: true, birth_date: null });
    await postFhir(
      {
        resourceType: 'Patient',
        id: 'x1',
        identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5.99.1', value: 'E-LATE' }],
        birthDate: '1960-01-02',
      },
      'client-northwind',
    );
    await drain();
    expect(await patient()).toMatchObject({ referenced_only: false });
  });
});

describe('reconciliation', () => {
  test('received = stored + quarantined + in flight, and every record of a completed message is accounted for', async () => {
    const inFlight = receiptOf(
      await postFhir(
        sampleBytes('fhir-r4/us-core/observation-serum-glucose.json')
          .toString()
          .replace('serum-glucose', 'sg-2'),
      ),
    );
    const during = await reconcileCounts(db.pool);
    expect(during.inFlight).toBeGreaterThanOrEqual(1);
    expect(during.received).toBe(during.stored + during.quarantined + during.inFlight);
    expect(during.messagesUnreconciled).toBe(0);
    await drain();
    const after = await reconcileCounts(db.pool);
    expect(after).toMatchObject({ inFlight: 0, messagesUnreconciled: 0, recordsUnreconciled: 0 });
    expect(after.received).toBe(after.stored + after.quarantined);
    expect(after.recordsReceived).toBe(after.recordsStored + after.recordsQuarantined);
    expect((await getReceipt(inFlight)).body.status).toBe('stored');
  });

  test('a receipt whose queue message was lost is re-enqueued by the reconciler and completes', async () => {
    // The intake crashed between the receipt and the queue: the payload is in S3, the receipt in flight.
    const bytes = sampleBytes('fhir-r4/hl7-fhir-r4-examples/Observation-body-height.json');
    const receiptId = '5d0c8f3e-1d2b-4c3a-9e8f-7a6b5c4d3e2f';
    const key = rawKey('meridian-fhir', receiptId, 'fhir-r4', new Date());
    await putObject(aws.storage(), key, bytes, 'fhir-r4');
    await db.pool.query(
      `INSERT INTO clinical.ingestion_receipts (receipt_id, source_system, message_format, adapter, payload_object_key, payload_sha256, received_at)
       VALUES ($1, 'meridian-fhir', 'fhir-r4', 'fhir-r4-us-core', $2, $3, now() - interval '2 hours')`,
      [receiptId, key, sha256Hex(bytes)],
    );
    const recorder = new RecordingMetrics();
    const report = await reconcile(
      { db: db.pool, storage: aws.storage(), metrics: recorder.asMetrics(), now: () => Date.now() },
      { staleAfterMs: 60 * 60_000, maxRedrives: 1, batch: 10 },
    );
    expect(report.redriven).toBe(1);
    expect(recorder.last('MessagesInFlight')).toBe(1);
    expect(recorder.last('OldestInFlightAge')).toBeGreaterThanOrEqual(7000);
    await drain();
    expect((await getReceipt(receiptId)).body.status).toBe('stored');
    const later = await reconcile(
      { db: db.pool, storage: aws.storage(), metrics: recorder.asMetrics(), now: () => Date.now() },
      { staleAfterMs: 60 * 60_000, maxRedrives: 1, batch: 10 },
    );
    expect(later).toMatchObject({
      redriven: 0,
      stuck: 0,
      inFlight: 0,
      messagesUnreconciled: 0,
      recordsUnreconciled: 0,
    });
    expect(recorder.last('MessagesUnreconciled')).toBe(0);
  });
});
