/**
 * Reconciliation: every message received is stored, quarantined or in flight, at every moment, and every
 * record of a completed message is stored or quarantined.
 *
 * - Messages: received = stored + quarantined + in flight. The intake writes the receipt before it
 *   acknowledges, and the processor completes it in the same transaction as its records, so the identity
 *   holds by construction; what can go wrong is a receipt that stays in flight (its queue message lost before
 *   it was sent, or dead-lettered). The reconciler reports the oldest in-flight age, re-enqueues receipts in
 *   flight for longer than `staleAfterMs` (at most `maxRedrives` times each; processing is idempotent), and
 *   counts those it gave up on (`StuckReceipts`, alarmed).
 * - Records: for completed receipts, records received = stored + quarantined, and the quarantine table holds
 *   exactly the quarantined count. A difference is `RecordsUnreconciled` (alarmed; it must stay 0).
 *
 * Metrics only carry counts: nothing about any patient or message content.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Pool } from 'pg';
import { reconciliationCounts, staleReceipts, type ReconciliationCounts } from './receipts';
import { enqueue, type StorageClients } from './storage';

export interface ReconcileOptions {
  /** A receipt in flight for longer than this is re-enqueued (ms). */
  readonly staleAfterMs: number;
  /** Re-enqueues per receipt before it is reported stuck. */
  readonly maxRedrives: number;
  /** Receipts re-enqueued per run at most. */
  readonly batch: number;
}

export const DEFAULT_RECONCILE_OPTIONS: ReconcileOptions = {
  staleAfterMs: 30 * 60_000,
  maxRedrives: 3,
  batch: 100,
};

export interface ReconcileReport extends ReconciliationCounts {
  /** received - stored - quarantined - in flight (0 unless the data is corrupt). */
  readonly messagesUnreconciled: number;
  /** |records received - stored - quarantined| + |quarantine entries - quarantined|. */
  readonly recordsUnreconciled: number;
  readonly redriven: number;
  readonly stuck: number;
}

/** Computes the reconciliation (no side effects). */
export async function reconcileCounts(db: Pick<Pool, 'query'>): Promise<ReconcileReport> {
  const c = await reconciliationCounts(db);
  return {
    ...c,
    messagesUnreconciled: c.received - c.stored - c.quarantined - c.inFlight,
    recordsUnreconciled:
      Math.abs(c.recordsReceived - c.recordsStored - c.recordsQuarantined) +
      Math.abs(c.quarantineEntries - c.recordsQuarantined),
    redriven: 0,
    stuck: 0,
  };
}

/** One reconciler run: counts, re-enqueues stale receipts, publishes the metrics. */
export async function reconcile(
  deps: { db: Pool; storage: StorageClients; metrics: Metrics; now: () => number },
  options: ReconcileOptions = DEFAULT_RECONCILE_OPTIONS,
): Promise<ReconcileReport> {
  const now = deps.now();
  let redriven = 0;
  let stuck = 0;
  const stale = await staleReceipts(deps.db, new Date(now - options.staleAfterMs), options.batch);
  for (const r of stale) {
    const { rows } = await deps.db.query<{ redrive_count: number }>(
      `UPDATE clinical.ingestion_receipts SET redrive_count = redrive_count + 1
       WHERE receipt_id = $1 AND status = 'received' AND redrive_count < $2 RETURNING redrive_count`,
      [r.receiptId, options.maxRedrives],
    );
    if (rows.length === 0) {
      stuck++;
      continue;
    }
    await enqueue(deps.storage, {
      v: 1,
      receiptId: r.receiptId,
      sourceSystem: r.sourceSystem,
      format: r.format,
      adapter: r.adapter ?? '',
      objectKey: r.payloadObjectKey,
      sha256: r.payloadSha256,
    });
    redriven++;
  }
  const report = { ...(await reconcileCounts(deps.db)), redriven, stuck };
  const m = deps.metrics;
  m.addMetric('MessagesReceivedTotal', MetricUnit.Count, report.received);
  m.addMetric('MessagesStoredTotal', MetricUnit.Count, report.stored);
  m.addMetric('MessagesQuarantinedTotal', MetricUnit.Count, report.quarantined);
  m.addMetric('MessagesInFlight', MetricUnit.Count, report.inFlight);
  m.addMetric('MessagesUnreconciled', MetricUnit.Count, report.messagesUnreconciled);
  m.addMetric('RecordsUnreconciled', MetricUnit.Count, report.recordsUnreconciled);
  m.addMetric(
    'OldestInFlightAge',
    MetricUnit.Seconds,
    report.oldestInFlight ? Math.max(0, Math.round((now - report.oldestInFlight.getTime()) / 1000)) : 0,
  );
  m.addMetric('ReceiptsRedriven', MetricUnit.Count, redriven);
  m.addMetric('StuckReceipts', MetricUnit.Count, stuck);
  return report;
}
