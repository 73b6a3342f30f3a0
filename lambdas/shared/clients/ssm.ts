/**
 * The SSM client of the predictions function (the fleet-wide fallback flag, lambdas/shared/fallback-flag.ts):
 * created once per container on first import, two attempts with short timeouts, since the flag read sits in
 * front of a prediction (at most once per flag TTL).
 * `throwOnRequestTimeout` makes the request timeout abort the request: without it the SDK only warns.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { tracer } from '../observability';

export const SSM_CLIENT_CONFIG = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 500, requestTimeout: 500, throwOnRequestTimeout: true },
} as const;

export const ssm: SSMClient = tracer.captureAWSv3Client(new SSMClient(SSM_CLIENT_CONFIG));

export { GetParameterCommand } from '@aws-sdk/client-ssm';
