/**
 * Lambda entry point of the incident-response function (EventBridge: the sustained-endpoint-errors alarm's
 * state changes). The logic is in ./respond.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SSMClient } from '@aws-sdk/client-ssm';
import { errorSummary, logger, tracer } from '../shared/observability';
import { IgnoredEvent, parseConfig, respond, type IncidentResult } from './respond';

const config = parseConfig(process.env);
/**
 * Created once per container, with explicit per-attempt timeouts (`throwOnRequestTimeout` aborts the request; without
 * it the SDK only warns) and bounded retries. Worst case, every attempt timing out: SSM read and write 2 × 4 × 1.5 s,
 * one DescribeEndpoint per endpoint 2 × 1.5 s, the audit write 4 × 1.5 s: 21 s plus back-off for one endpoint, inside
 * the function's 30 s timeout; a failure is retried by EventBridge, then kept by the dead-letter queue.
 */
const requestHandler = {
  connectionTimeout: 1000,
  requestTimeout: 1500,
  throwOnRequestTimeout: true,
} as const;
const deps = {
  ssm: tracer.captureAWSv3Client(new SSMClient({ maxAttempts: 4, requestHandler })),
  sageMaker: tracer.captureAWSv3Client(new SageMakerClient({ maxAttempts: 2, requestHandler })),
  dynamoDb: tracer.captureAWSv3Client(new DynamoDBClient({ maxAttempts: 4, requestHandler })),
};

export async function handler(event: unknown): Promise<IncidentResult | { ignored: string }> {
  try {
    const result = await respond(event, config, deps);
    logger.info('fallback flag decision', { ...result });
    return result;
  } catch (err) {
    if (err instanceof IgnoredEvent) {
      logger.warn('event ignored', { reason: err.message });
      return { ignored: err.message };
    }
    // Rethrow: EventBridge retries, then the function's dead-letter queue keeps the event.
    logger.error('incident response failed', { error: errorSummary(err) });
    throw err;
  }
}
