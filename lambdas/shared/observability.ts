/**
 * The Powertools logger, tracer and metrics of a function, created once per container.
 *
 * What they may carry: request ids, route, status, decision codes, durations, model name/version/variant and
 * field names. Never PHI: no bodies, no observation values, no patient references, no raw error messages
 * from code that has seen PHI (45 CFR 164.312(b) audit controls without creating a second PHI store).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** CloudWatch namespace of every API metric (EMF). */
export const METRICS_NAMESPACE = 'ClinicalAI/Api';

/** Structured JSON logs; the service name comes from POWERTOOLS_SERVICE_NAME (the function's folder). */
export const logger = new Logger();

/**
 * X-Ray tracing. Outbound HTTP is not patched: AWS SDK clients are traced by `captureAWSv3Client`, which
 * records operation, region and resource names, never payloads.
 */
export const tracer = new Tracer({ captureHTTPsRequests: false });

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE });

/**
 * The name and HTTP status of an AWS SDK or platform error, the only parts of an error that are safe to
 * log: messages of SDK errors can echo request content.
 */
export function errorSummary(err: unknown): { name: string; httpStatus?: number } {
  if (typeof err !== 'object' || err === null) return { name: typeof err };
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const name = typeof e.name === 'string' && /^[A-Za-z0-9_.:-]{1,80}$/.test(e.name) ? e.name : 'Error';
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' ? { name, httpStatus: status } : { name };
}
