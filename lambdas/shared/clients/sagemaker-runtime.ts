/**
 * The SageMaker runtime client of the predictions function: created once per container. Each attempt is
 * bounded by the request timeout and there is at most one retry; the caller also passes an abort signal
 * carrying the request's whole inference budget, so retries can never outlast it.
 * `throwOnRequestTimeout` makes the request timeout abort the request: without it the SDK only warns.
 */
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { tracer } from '../observability';

/** Per-attempt limits; the inference budget (see lambdas/predictions/inference.ts) bounds the total. */
export const SAGEMAKER_RUNTIME_CLIENT_CONFIG = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 2500, throwOnRequestTimeout: true },
} as const;

export const sageMakerRuntime: SageMakerRuntimeClient = tracer.captureAWSv3Client(
  new SageMakerRuntimeClient(SAGEMAKER_RUNTIME_CLIENT_CONFIG),
);
