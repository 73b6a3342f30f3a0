/**
 * EHR processor: the ingestion queue's consumer. Each SQS record is one message (processor.ts); failures are
 * reported per record (Powertools batch, `ReportBatchItemFailures`), so one bad message is retried alone while
 * the rest of its batch completes. Records are processed one after another: one database connection per
 * container, and a batch's order preserved for messages of one sender.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { errorSummary, logger, tracer } from '../shared/observability';
import { processMessage, type ProcessorDeps } from '../shared/ehr/processor';
import { environmentFromProcess, ingestionMetrics } from '../shared/ehr/runtime';

const sqlState = (err: unknown): { sqlState?: string } => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? { sqlState: code } : {};
};

/** Builds the batch handler (no middleware) from a dependency factory. */
export function createBatchHandler(deps: () => ProcessorDeps) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const d = deps();
    const processor = new BatchProcessor(EventType.SQS);
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      try {
        await processMessage(record.body, d);
      } catch (err) {
        d.metrics.addMetric('MessagesFailed', MetricUnit.Count, 1);
        // Name only: errors from code that has read the payload may quote it.
        logger.warn('message failed; SQS will deliver it again', {
          messageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          errorName: errorSummary(err).name,
          // A SQLSTATE (e.g. 40001, 08006) says what kind of database failure it was, and nothing about the data.
          ...sqlState(err),
        });
        throw err;
      }
    };
    return processPartialResponse(event, recordHandler, processor, {
      context,
      processInParallel: false,
      // Every record failing (the database down) is still a partial response: SQS retries each record.
      throwOnFullBatchFailure: false,
    });
  };
}

export const handler = middy(
  createBatchHandler(() => ({
    ...environmentFromProcess(),
    metrics: ingestionMetrics,
    now: () => Date.now(),
  })),
)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
  .use(logMetrics(ingestionMetrics, { captureColdStartMetric: true, throwOnEmptyMetrics: false }));
