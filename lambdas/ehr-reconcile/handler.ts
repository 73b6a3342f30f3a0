/**
 * EHR reconciler (EventBridge schedule): publishes the reconciliation metrics and re-enqueues receipts that
 * stayed in flight too long. See lambdas/shared/ehr/reconcile.ts.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Pool } from 'pg';
import { logger, tracer } from '../shared/observability';
import { DEFAULT_RECONCILE_OPTIONS, reconcile, type ReconcileReport } from '../shared/ehr/reconcile';
import { environmentFromProcess, ingestionMetrics } from '../shared/ehr/runtime';
import type { StorageClients } from '../shared/ehr/storage';

export interface ReconcileDeps {
  readonly db: Pool;
  readonly storage: StorageClients;
  readonly metrics: Metrics;
  readonly now: () => number;
  /** Re-enqueue receipts in flight for longer than this (minutes). */
  readonly staleAfterMinutes: number;
}

/** Builds the scheduled handler (no middleware) from a dependency factory. */
export function createReconcileHandler(deps: () => ReconcileDeps) {
  return async (): Promise<ReconcileReport | 'standby'> => {
    const d = deps();
    // In the DR region the database is the global database's read-only secondary: nothing to reconcile or
    // re-enqueue here until a failover promotes it (the primary region's reconciler covers the same receipts).
    const { rows } = await d.db.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
    if (rows[0]?.transaction_read_only === 'on') {
      logger.info('standby: the database is read-only in this region');
      return 'standby';
    }
    const report = await reconcile(d, {
      ...DEFAULT_RECONCILE_OPTIONS,
      staleAfterMs: d.staleAfterMinutes * 60_000,
    });
    logger.info('reconciled', {
      received: report.received,
      stored: report.stored,
      quarantined: report.quarantined,
      inFlight: report.inFlight,
      messagesUnreconciled: report.messagesUnreconciled,
      recordsUnreconciled: report.recordsUnreconciled,
      redriven: report.redriven,
      stuck: report.stuck,
    });
    return report;
  };
}

const staleMinutes = Number(process.env.EHR_STALE_AFTER_MINUTES ?? '30');

export const handler = middy(
  createReconcileHandler(() => {
    const { db, storage } = environmentFromProcess();
    return {
      db,
      storage,
      metrics: ingestionMetrics,
      now: () => Date.now(),
      staleAfterMinutes: Number.isFinite(staleMinutes) && staleMinutes > 0 ? staleMinutes : 30,
    };
  }),
)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
  .use(logMetrics(ingestionMetrics, { captureColdStartMetric: true, throwOnEmptyMetrics: false }));
