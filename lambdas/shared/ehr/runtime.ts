/**
 * What the ingestion functions share at run time: one metrics namespace, AWS clients created once per
 * container with explicit timeouts and bounded retries, and the configuration read from the environment.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Pool } from 'pg';
import { tracer } from '../observability';
import type { SourceSystem } from './adapters/types';
import { databaseConfig, parseSourceSystems, storageConfig } from './config';
import { ingestionPool } from './db';
import type { StorageClients } from './storage';

/** CloudWatch namespace of every ingestion metric (EMF). */
export const INGESTION_METRICS_NAMESPACE = 'ClinicalAI/Ingestion';

export const ingestionMetrics = new Metrics({ namespace: INGESTION_METRICS_NAMESPACE });

/** Per-attempt limits; the SDK retries throttling with back-off up to `maxAttempts`. */
export const CLIENT_CONFIG = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 5000 },
} as const;

export interface Environment {
  readonly sources: readonly SourceSystem[];
  readonly storage: StorageClients;
  readonly db: Pool;
}

let environment: Environment | undefined;

/** The container's configuration and clients, built on first use from `process.env`. */
export function environmentFromProcess(): Environment {
  if (!environment) {
    const env = process.env;
    environment = {
      sources: parseSourceSystems(env.EHR_SOURCE_SYSTEMS),
      storage: {
        s3: tracer.captureAWSv3Client(new S3Client(CLIENT_CONFIG)),
        sqs: tracer.captureAWSv3Client(new SQSClient(CLIENT_CONFIG)),
        config: storageConfig(env),
      },
      db: ingestionPool(databaseConfig(env)),
    };
  }
  return environment;
}
