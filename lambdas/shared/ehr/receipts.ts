/**
 * Ingestion receipts (clinical.ingestion_receipts): one per message received. The intake writes a receipt
 * (status `received`) once the payload is durable in S3 and before it is enqueued; the processor completes it
 * (`stored` or `quarantined`) in the same transaction as the records. A receipt is only ever visible to the
 * source system that submitted it.
 */
import type { Pool, PoolClient } from 'pg';
import type { MessageFormat } from './adapters/types';

export type ReceiptStatus = 'received' | 'stored' | 'quarantined';

export interface Receipt {
  readonly receiptId: string;
  readonly sourceSystem: string;
  readonly format: MessageFormat;
  readonly adapter: string | null;
  readonly sourceMessageId: string | null;
  readonly status: ReceiptStatus;
  readonly reason: string | null;
  readonly resourceCount: number;
  readonly storedCount: number;
  readonly quarantinedCount: number;
  readonly payloadObjectKey: string;
  readonly payloadSha256: string;
  readonly receivedAt: Date;
  readonly completedAt: Date | null;
}

interface ReceiptRow {
  receipt_id: string;
  source_system: string;
  message_format: MessageFormat;
  adapter: string | null;
  source_message_id: string | null;
  status: ReceiptStatus;
  reason: string | null;
  resource_count: number;
  stored_count: number;
  quarantined_count: number;
  payload_object_key: string;
  payload_sha256: string;
  received_at: Date;
  completed_at: Date | null;
}

const COLUMNS = `receipt_id, source_system, message_format, adapter, source_message_id, status, reason, resource_count,
  stored_count, quarantined_count, payload_object_key, payload_sha256, received_at, completed_at`;

const toReceipt = (r: ReceiptRow): Receipt => ({
  receiptId: r.receipt_id,
  sourceSystem: r.source_system,
  format: r.message_format,
  adapter: r.adapter,
  sourceMessageId: r.source_message_id,
  status: r.status,
  reason: r.reason,
  resourceCount: r.resource_count,
  storedCount: r.stored_count,
  quarantinedCount: r.quarantined_count,
  payloadObjectKey: r.payload_object_key,
  payloadSha256: r.payload_sha256,
  receivedAt: r.received_at,
  completedAt: r.completed_at,
});

type Queryable = Pick<Pool | PoolClient, 'query'>;

/** The receipt a source already has for one of its message ids. */
export async function findBySourceMessageId(
  db: Queryable,
  sourceSystem: string,
  sourceMessageId: string,
): Promise<Receipt | undefined> {
  const { rows } = await db.query<ReceiptRow>(
    `SELECT ${COLUMNS} FROM clinical.ingestion_receipts WHERE source_system = $1 AND source_message_id = $2`,
    [sourceSystem, sourceMessageId],
  );
  return rows[0] ? toReceipt(rows[0]) : undefined;
}

export interface NewReceipt {
  readonly receiptId: string;
  readonly sourceSystem: string;
  readonly format: MessageFormat;
  readonly adapter: string;
  readonly sourceMessageId?: string;
  readonly payloadObjectKey: string;
  readonly payloadSha256: string;
}

/**
 * Records a received message. Returns false when the source already used this message id (a concurrent
 * resend won the race): the caller then answers with the existing receipt.
 */
export async function insertReceipt(db: Queryable, r: NewReceipt): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO clinical.ingestion_receipts
       (receipt_id, source_system, message_format, adapter, source_message_id, payload_object_key, payload_sha256)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (source_system, source_message_id) DO NOTHING`,
    [
      r.receiptId,
      r.sourceSystem,
      r.format,
      r.adapter,
      r.sourceMessageId ?? null,
      r.payloadObjectKey,
      r.payloadSha256,
    ],
  );
  return rowCount === 1;
}

/** A receipt by id, only if it belongs to `sourceSystem` (another source's receipt does not exist for it). */
export async function getReceipt(
  db: Queryable,
  receiptId: string,
  sourceSystem?: string,
): Promise<Receipt | undefined> {
  const { rows } = await db.query<ReceiptRow>(
    `SELECT ${COLUMNS} FROM clinical.ingestion_receipts
     WHERE receipt_id = $1 AND ($2::text IS NULL OR source_system = $2)`,
    [receiptId, sourceSystem ?? null],
  );
  return rows[0] ? toReceipt(rows[0]) : undefined;
}

export interface QuarantinedRecord {
  readonly index: number | null;
  readonly reason: string;
  readonly detail: string | null;
}

/** The quarantined records of a receipt, in message order (at most `limit`). */
export async function quarantinedRecords(
  db: Queryable,
  receiptId: string,
  limit = 100,
): Promise<QuarantinedRecord[]> {
  const { rows } = await db.query<{
    resource_index: number | null;
    reason_code: string;
    detail: string | null;
  }>(
    `SELECT resource_index, reason_code, detail FROM clinical.quarantine_entries
     WHERE receipt_id = $1 ORDER BY resource_index NULLS FIRST, quarantined_at LIMIT $2`,
    [receiptId, limit],
  );
  return rows.map((r) => ({ index: r.resource_index, reason: r.reason_code, detail: r.detail }));
}

/** Receipts still in flight that were received before `before` (for the reconciler's re-enqueue). */
export async function staleReceipts(db: Queryable, before: Date, limit: number): Promise<Receipt[]> {
  const { rows } = await db.query<ReceiptRow>(
    `SELECT ${COLUMNS} FROM clinical.ingestion_receipts
     WHERE status = 'received' AND received_at < $1 ORDER BY received_at LIMIT $2`,
    [before, limit],
  );
  return rows.map(toReceipt);
}

/** Message and record counts per the reconciliation view, summed over all source systems. */
export interface ReconciliationCounts {
  readonly received: number;
  readonly stored: number;
  readonly quarantined: number;
  readonly inFlight: number;
  readonly oldestInFlight: Date | null;
  readonly recordsReceived: number;
  readonly recordsStored: number;
  readonly recordsQuarantined: number;
  /** Quarantine entries of completed receipts (must equal recordsQuarantined). */
  readonly quarantineEntries: number;
}

export async function reconciliationCounts(db: Queryable): Promise<ReconciliationCounts> {
  const { rows } = await db.query<Record<string, string | Date | null>>(
    `SELECT coalesce(sum(received), 0) AS received, coalesce(sum(stored), 0) AS stored,
            coalesce(sum(quarantined), 0) AS quarantined, coalesce(sum(in_flight), 0) AS in_flight,
            min(oldest_in_flight) AS oldest_in_flight,
            coalesce(sum(records_received), 0) AS records_received, coalesce(sum(records_stored), 0) AS records_stored,
            coalesce(sum(records_quarantined), 0) AS records_quarantined,
            (SELECT count(*) FROM clinical.quarantine_entries q
               JOIN clinical.ingestion_receipts r USING (receipt_id) WHERE r.status <> 'received') AS quarantine_entries
     FROM clinical.ingestion_reconciliation`,
  );
  const r = rows[0];
  const n = (k: string) => Number(r[k] ?? 0);
  return {
    received: n('received'),
    stored: n('stored'),
    quarantined: n('quarantined'),
    inFlight: n('in_flight'),
    oldestInFlight: (r.oldest_in_flight as Date | null) ?? null,
    recordsReceived: n('records_received'),
    recordsStored: n('records_stored'),
    recordsQuarantined: n('records_quarantined'),
    quarantineEntries: n('quarantine_entries'),
  };
}
