/**
 * Writes one normalised message to the clinical schema: every record, every quarantine entry and the
 * receipt's completion, in one transaction (all of the message or none of it).
 *
 * - Idempotent by receipt: the receipt row is locked first; a receipt that is no longer `received` was
 *   already committed (a redelivered or re-enqueued message) and nothing is written twice.
 * - Records are upserted by (source system, source id). An update replaces the stored version only when it
 *   is newer by the source's own clock (out-of-order updates are accounted for, not applied); the replaced
 *   version goes to clinical.record_history (trigger).
 * - A record the database refuses (a CHECK the adapter did not anticipate) is rolled back to its savepoint
 *   and quarantined as `rejected-by-database`, so one odd record cannot make its message fail forever.
 *   Anything else (connection lost, serialization failure) fails the message, and SQS delivers it again.
 */
import type { PoolClient } from 'pg';
import type {
  CanonicalCondition,
  CanonicalMedicationRequest,
  CanonicalObservation,
  CanonicalPatient,
  CanonicalRecord,
  QuarantineReason,
  RecordOutcome,
} from './canonical';
import { dataErrorSummary, isDataError } from './db';

/** A quarantined record with where its copy is. */
export interface QuarantineEntry {
  readonly index: number | null;
  readonly reason: QuarantineReason;
  readonly detail: string;
  readonly objectKey: string;
}

export interface CommitInput {
  readonly receiptId: string;
  readonly sourceSystem: string;
  readonly outcomes: readonly RecordOutcome[];
  /** Where each quarantined record's copy was written (by record index). */
  readonly quarantineKey: (index: number | null) => string;
  /**
   * Called when the database refuses a record, before the entry is written: writes that record's copy.
   * @default - nothing written (the entry points at the key anyway)
   */
  readonly onDatabaseRejected?: (index: number) => Promise<void>;
}

export interface CommitResult {
  /** False when the receipt was already complete (nothing written). */
  readonly committed: boolean;
  readonly status: 'stored' | 'quarantined';
  readonly stored: number;
  readonly quarantined: number;
  /** Records whose stored version was newer than, or the same as, the one received (counted as stored). */
  readonly superseded: number;
}

/** The id of a patient row, creating a placeholder when a record arrives before its patient's demographics. */
async function patientId(c: PoolClient, sourceSystem: string, sourcePatientId: string): Promise<string> {
  const { rows } = await c.query<{ patient_id: string }>(
    `WITH created AS (
       INSERT INTO clinical.patients (source_system, source_patient_id, referenced_only)
       VALUES ($1, $2, true)
       ON CONFLICT (source_system, source_patient_id) DO NOTHING
       RETURNING patient_id)
     SELECT patient_id FROM created
     UNION ALL
     SELECT patient_id FROM clinical.patients WHERE source_system = $1 AND source_patient_id = $2
     LIMIT 1`,
    [sourceSystem, sourcePatientId],
  );
  return rows[0].patient_id;
}

/**
 * The rule every upsert shares: replace when the stored version is older by the source's clock (when neither
 * version carries the source's time, the later arrival wins), and only when something actually changed, so a
 * resend neither rewrites the row nor adds a history entry.
 */
const NEWER = (t: string, columns: readonly string[]) => `(
  (EXCLUDED.source_updated_at IS NOT NULL AND (${t}.source_updated_at IS NULL OR EXCLUDED.source_updated_at > ${t}.source_updated_at)
   OR (EXCLUDED.source_updated_at IS NULL AND ${t}.source_updated_at IS NULL))
  AND (${columns.map((c) => `${t}.${c}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `EXCLUDED.${c}`).join(', ')}))`;

/** Returns true when the row was inserted or replaced, false when the stored version was newer or the same. */
async function upsertPatient(c: PoolClient, sourceSystem: string, p: CanonicalPatient): Promise<boolean> {
  const { rowCount } = await c.query(
    `INSERT INTO clinical.patients
       (source_system, source_patient_id, birth_date, administrative_gender, source_updated_at, referenced_only)
     VALUES ($1, $2, $3, $4, $5, false)
     ON CONFLICT (source_system, source_patient_id) DO UPDATE SET
       birth_date = EXCLUDED.birth_date, administrative_gender = EXCLUDED.administrative_gender,
       source_updated_at = EXCLUDED.source_updated_at, referenced_only = false, updated_at = now()
     WHERE clinical.patients.referenced_only OR ${NEWER('clinical.patients', ['birth_date', 'administrative_gender'])}`,
    [sourceSystem, p.sourcePatientId, p.birthDate ?? null, p.gender ?? null, p.sourceUpdatedAt ?? null],
  );
  return rowCount === 1;
}

async function upsertObservation(
  c: PoolClient,
  sourceSystem: string,
  receiptId: string,
  o: CanonicalObservation,
): Promise<boolean> {
  const pid = await patientId(c, sourceSystem, o.sourcePatientId);
  const { rowCount } = await c.query(
    `INSERT INTO clinical.observations
       (patient_id, loinc_code, ucum_unit, value, effective_at, status, source_system, source_observation_id,
        receipt_id, source_updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (source_system, source_observation_id) DO UPDATE SET
       patient_id = EXCLUDED.patient_id, loinc_code = EXCLUDED.loinc_code, ucum_unit = EXCLUDED.ucum_unit,
       value = EXCLUDED.value, effective_at = EXCLUDED.effective_at, status = EXCLUDED.status,
       receipt_id = EXCLUDED.receipt_id, source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
     WHERE ${NEWER('clinical.observations', ['patient_id', 'loinc_code', 'ucum_unit', 'value', 'effective_at', 'status'])}`,
    [
      pid,
      o.loinc,
      o.ucumUnit,
      o.value,
      o.effectiveAt,
      o.status,
      sourceSystem,
      o.sourceObservationId,
      receiptId,
      o.sourceUpdatedAt ?? null,
    ],
  );
  return rowCount === 1;
}

async function upsertCondition(
  c: PoolClient,
  sourceSystem: string,
  receiptId: string,
  r: CanonicalCondition,
): Promise<boolean> {
  const pid = await patientId(c, sourceSystem, r.sourcePatientId);
  const { rowCount } = await c.query(
    `INSERT INTO clinical.conditions
       (patient_id, code_system, code, clinical_status, verification_status, onset_at, recorded_at, source_system,
        source_condition_id, source_updated_at, receipt_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (source_system, source_condition_id) DO UPDATE SET
       patient_id = EXCLUDED.patient_id, code_system = EXCLUDED.code_system, code = EXCLUDED.code,
       clinical_status = EXCLUDED.clinical_status, verification_status = EXCLUDED.verification_status,
       onset_at = EXCLUDED.onset_at, recorded_at = EXCLUDED.recorded_at, source_updated_at = EXCLUDED.source_updated_at,
       receipt_id = EXCLUDED.receipt_id, updated_at = now()
     WHERE ${NEWER('clinical.conditions', ['patient_id', 'code_system', 'code', 'clinical_status', 'verification_status', 'onset_at', 'recorded_at'])}`,
    [
      pid,
      r.codeSystem,
      r.code,
      r.clinicalStatus ?? null,
      r.verificationStatus ?? null,
      r.onsetAt ?? null,
      r.recordedAt ?? null,
      sourceSystem,
      r.sourceConditionId,
      r.sourceUpdatedAt ?? null,
      receiptId,
    ],
  );
  return rowCount === 1;
}

async function upsertMedicationRequest(
  c: PoolClient,
  sourceSystem: string,
  receiptId: string,
  r: CanonicalMedicationRequest,
): Promise<boolean> {
  const pid = await patientId(c, sourceSystem, r.sourcePatientId);
  const { rowCount } = await c.query(
    `INSERT INTO clinical.medication_requests
       (patient_id, rxnorm_code, status, intent, authored_at, source_system, source_medication_request_id,
        source_updated_at, receipt_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (source_system, source_medication_request_id) DO UPDATE SET
       patient_id = EXCLUDED.patient_id, rxnorm_code = EXCLUDED.rxnorm_code, status = EXCLUDED.status,
       intent = EXCLUDED.intent, authored_at = EXCLUDED.authored_at, source_updated_at = EXCLUDED.source_updated_at,
       receipt_id = EXCLUDED.receipt_id, updated_at = now()
     WHERE ${NEWER('clinical.medication_requests', ['patient_id', 'rxnorm_code', 'status', 'intent', 'authored_at'])}`,
    [
      pid,
      r.rxnormCode,
      r.status,
      r.intent,
      r.authoredAt ?? null,
      sourceSystem,
      r.sourceMedicationRequestId,
      r.sourceUpdatedAt ?? null,
      receiptId,
    ],
  );
  return rowCount === 1;
}

async function apply(
  c: PoolClient,
  sourceSystem: string,
  receiptId: string,
  r: CanonicalRecord,
): Promise<boolean> {
  switch (r.kind) {
    case 'patient':
      return upsertPatient(c, sourceSystem, r);
    case 'observation':
      return upsertObservation(c, sourceSystem, receiptId, r);
    case 'condition':
      return upsertCondition(c, sourceSystem, receiptId, r);
    case 'medication-request':
      return upsertMedicationRequest(c, sourceSystem, receiptId, r);
  }
}

/** A receipt's reason: how many records were quarantined and why (codes only). */
export function summarise(stored: number, quarantined: QuarantineEntry[]): string | null {
  if (quarantined.length === 0) return null;
  const reasons = [...new Set(quarantined.map((q) => q.reason))].sort();
  const total = stored + quarantined.length;
  return `${quarantined.length} of ${total} record${total === 1 ? '' : 's'} quarantined: ${reasons.join(', ')}`.slice(
    0,
    1000,
  );
}

/**
 * Commits a message's outcomes. The caller owns the client (connected, not in a transaction) and releases it.
 * Throws on anything but a data error, after rolling back.
 */
export async function commitMessage(c: PoolClient, input: CommitInput): Promise<CommitResult> {
  await c.query('BEGIN');
  try {
    const { rows } = await c.query<{ status: string }>(
      'SELECT status FROM clinical.ingestion_receipts WHERE receipt_id = $1 FOR UPDATE',
      [input.receiptId],
    );
    if (rows.length === 0) throw new Error('receipt not found');
    if (rows[0].status !== 'received') {
      await c.query('ROLLBACK');
      return {
        committed: false,
        status: rows[0].status === 'quarantined' ? 'quarantined' : 'stored',
        stored: 0,
        quarantined: 0,
        superseded: 0,
      };
    }
    let stored = 0;
    let superseded = 0;
    const quarantined: QuarantineEntry[] = [];
    for (const outcome of input.outcomes) {
      if ('quarantine' in outcome) {
        quarantined.push({
          index: outcome.index,
          ...outcome.quarantine,
          objectKey: input.quarantineKey(outcome.index),
        });
        continue;
      }
      await c.query('SAVEPOINT record');
      try {
        for (const record of outcome.records) {
          if (!(await apply(c, input.sourceSystem, input.receiptId, record))) superseded++;
        }
        await c.query('RELEASE SAVEPOINT record');
        stored++;
      } catch (err) {
        if (!isDataError(err)) throw err;
        await c.query('ROLLBACK TO SAVEPOINT record');
        await input.onDatabaseRejected?.(outcome.index);
        quarantined.push({
          index: outcome.index,
          reason: 'rejected-by-database',
          detail: `the database refused the record (${dataErrorSummary(err)})`,
          objectKey: input.quarantineKey(outcome.index),
        });
      }
    }
    for (const q of quarantined) {
      await c.query(
        `INSERT INTO clinical.quarantine_entries (receipt_id, resource_index, reason_code, detail, payload_object_key)
         VALUES ($1, $2, $3, $4, $5)`,
        [input.receiptId, q.index, q.reason, q.detail.slice(0, 1000), q.objectKey],
      );
    }
    const status = stored === 0 && quarantined.length > 0 ? 'quarantined' : 'stored';
    await c.query(
      `UPDATE clinical.ingestion_receipts
       SET status = $2, resource_count = $3, stored_count = $4, quarantined_count = $5, reason = $6, completed_at = now()
       WHERE receipt_id = $1`,
      [
        input.receiptId,
        status,
        stored + quarantined.length,
        stored,
        quarantined.length,
        summarise(stored, quarantined),
      ],
    );
    await c.query('COMMIT');
    return { committed: true, status, stored, quarantined: quarantined.length, superseded };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
