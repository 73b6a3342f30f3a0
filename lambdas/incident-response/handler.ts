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
const deps = {
  ssm: tracer.captureAWSv3Client(new SSMClient({ maxAttempts: 5 })),
  sageMaker: tracer.captureAWSv3Client(new SageMakerClient({ maxAttempts: 3 })),
  dynamoDb: tracer.captureAWSv3Client(new DynamoDBClient({ maxAttempts: 5 })),
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
