/**
 * The SageMaker control-plane client of the health function: one attempt with short timeouts, because a
 * health check must answer Route 53 within its 2-second window and report what it saw, not retry.
 * `throwOnRequestTimeout` makes the request timeout abort the request: without it the SDK only warns.
 */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { tracer } from '../observability';

export const SAGEMAKER_CLIENT_CONFIG = {
  maxAttempts: 1,
  requestHandler: { connectionTimeout: 500, requestTimeout: 1000, throwOnRequestTimeout: true },
} as const;

export const sageMaker: SageMakerClient = tracer.captureAWSv3Client(
  new SageMakerClient(SAGEMAKER_CLIENT_CONFIG),
);
