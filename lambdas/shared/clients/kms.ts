/**
 * The KMS client of a function: created once per container (on first import), explicit timeouts, bounded
 * retries. Used by the Encryption SDK keyring and by the health check.
 * `throwOnRequestTimeout` makes the request timeout abort the request: without it the SDK only warns.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { tracer } from '../observability';

export const KMS_CLIENT_CONFIG = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 1000, throwOnRequestTimeout: true },
} as const;

export const kms: KMSClient = tracer.captureAWSv3Client(new KMSClient(KMS_CLIENT_CONFIG));
