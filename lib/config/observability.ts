import { z } from 'zod';

/**
 * Alarm thresholds and incident-response timing of the observability tier (stacks/observability-stack.ts).
 * Every field has a default a clinical platform can start from; a profile overrides what it must.
 *
 * The model endpoint's own thresholds (p99 model latency, error rate) live in `inference.alarms`, where the
 * deployment guardrails read them too, so there is one number for "the model is too slow".
 */

const percent = z.number().gt(0).max(100);
const positiveInt = z.number().int().positive();

export const ObservabilitySchema = z
  .object({
    api: z
      .object({
        /** p99 API latency (ms) above which clinicians wait too long. */
        p99LatencyMs: positiveInt.max(29000).default(2000),
        /** Share of requests answered 5xx, in percent. */
        serverErrorRatePercent: percent.default(1),
        /** Share of requests answered 4xx, in percent (a client or authorizer regression). */
        clientErrorRatePercent: percent.default(15),
      })
      .strict()
      .default({ p99LatencyMs: 2000, serverErrorRatePercent: 1, clientErrorRatePercent: 15 }),
    lambda: z
      .object({
        /** Share of invocations that fail, in percent. */
        errorRatePercent: percent.default(1),
        /** Throttled invocations per minute that page (reserved concurrency exhausted). */
        throttlesPerMinute: positiveInt.default(1),
      })
      .strict()
      .default({ errorRatePercent: 1, throttlesPerMinute: 1 }),
    model: z
      .object({
        /** Average CPU of the serving instances, percent of one instance's total (SageMaker reports up to 100 × vCPUs). */
        cpuUtilizationPercent: z.number().positive().default(80),
      })
      .strict()
      .default({ cpuUtilizationPercent: 80 }),
    business: z
      .object({
        /** Share of answered predictions that carried the rules-based fallback, in percent. */
        fallbackRatePercent: percent.default(5),
        /** Share of model answers below the confidence threshold, in percent (often the first sign of drift). */
        lowConfidenceRatePercent: percent.default(20),
        /** Share of requests refused by validation, in percent (an EHR integration sending bad data). */
        validationFailureRatePercent: percent.default(10),
      })
      .strict()
      .default({ fallbackRatePercent: 5, lowConfidenceRatePercent: 20, validationFailureRatePercent: 10 }),
    replication: z
      .object({
        /** Aurora global database replication lag (ms) that threatens the database RPO. */
        auroraLagMs: positiveInt.default(5000),
        /** DynamoDB global table replication latency (ms). */
        dynamoLatencyMs: positiveInt.default(5000),
        /** S3 replication latency (s); Replication Time Control commits to 900 s for 99.99% of objects. */
        s3LatencySeconds: positiveInt.default(900),
        /** S3 operations pending replication. */
        s3PendingOperations: positiveInt.default(1000),
      })
      .strict()
      .default({
        auroraLagMs: 5000,
        dynamoLatencyMs: 5000,
        s3LatencySeconds: 900,
        s3PendingOperations: 1000,
      }),
    ingestion: z
      .object({
        /** Share of received EHR messages quarantined, in percent. */
        quarantineRatePercent: percent.default(5),
        /** Messages in the dead-letter queue that page (1: any message). */
        dlqMessages: positiveInt.default(1),
      })
      .strict()
      .default({ quarantineRatePercent: 5, dlqMessages: 1 }),
    incident: z
      .object({
        /** Consecutive 1-minute periods of endpoint errors before the API is switched to fallback mode. */
        fallbackAfterMinutes: positiveInt.max(60).default(3),
        /** Consecutive healthy 1-minute periods before fallback mode is switched off again. */
        recoverAfterMinutes: positiveInt.max(120).default(10),
        /** How long the API caches the fallback flag (s): the delay between a flip and every container obeying it. */
        flagCacheSeconds: positiveInt.max(300).default(30),
      })
      .strict()
      .default({ fallbackAfterMinutes: 3, recoverAfterMinutes: 10, flagCacheSeconds: 30 }),
  })
  .strict();

export type ObservabilityConfig = z.output<typeof ObservabilitySchema>;

/** The API's public DNS name and the Route 53 zone it lives in (multi-region profiles: failover records). */
export const DnsSchema = z
  .object({
    hostedZoneId: z
      .string()
      .regex(/^Z[A-Z0-9]{4,32}$/, { message: 'must be a Route 53 hosted zone id (Z...)' }),
    domainName: z.string().regex(/^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
      message: 'must be a lower-case fully qualified domain name such as api.example.org',
    }),
  })
  .strict();
