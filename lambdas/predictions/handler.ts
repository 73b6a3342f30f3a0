/**
 * Lambda entry point of `POST /v1/predictions` (API Gateway REST proxy). Wires the route
 * (lambdas/predictions/app.ts) to the container's clients, circuit breaker and lazily loaded modules, behind
 * the platform's middleware stack (lambdas/shared/middleware.ts).
 *
 * Loaded at cold start: middy, Powertools, the SageMaker runtime and DynamoDB clients. Loaded on first use:
 * the Encryption SDK (first accepted request) and Powertools idempotency (first request with an
 * `Idempotency-Key`). Under provisioned concurrency both are loaded during initialisation instead, which is off
 * the request path there.
 */
import { CircuitBreaker } from '../shared/circuit-breaker';
import { dynamoDb } from '../shared/clients/dynamodb';
import { sageMakerRuntime } from '../shared/clients/sagemaker-runtime';
import { httpStack, type RouteHandler } from '../shared/middleware';
import { logger } from '../shared/observability';
import { problems } from '../shared/problem';
import { createPredictionRoute, type PhiSealer } from './app';
import { loadPredictionsConfig } from './config';
import type { IdempotentPredictions } from './idempotency';

const loaded = loadPredictionsConfig(process.env);

let envelope: Promise<PhiSealer> | undefined;
let idempotency: Promise<IdempotentPredictions> | undefined;

function route(): RouteHandler {
  if (!loaded.ok) {
    // A deployment defect: say which variables, once per container, and answer every request with a 500.
    logger.error('invalid configuration', { invalidVariables: loaded.invalid });
    return () => Promise.reject(problems.internal());
  }
  const { config } = loaded;
  const loadEnvelope = (): Promise<PhiSealer> =>
    (envelope ??= import('../shared/phi-envelope').then((m) => m.phiEnvelope(config.phiKeyArn)));
  const loadIdempotency = (): Promise<IdempotentPredictions> =>
    (idempotency ??= import('./idempotency').then(
      (m) => new m.IdempotentPredictions(dynamoDb, config.idempotencyTable),
    ));
  if (process.env.AWS_LAMBDA_INITIALIZATION_TYPE === 'provisioned-concurrency') {
    // Initialisation is off the request path under provisioned concurrency: pay for the lazy modules now.
    loadEnvelope().catch(() => (envelope = undefined));
    loadIdempotency().catch(() => (idempotency = undefined));
  }
  return createPredictionRoute({
    config,
    dynamoDb,
    sageMakerRuntime,
    breaker: new CircuitBreaker({
      failureThreshold: config.circuit.failureThreshold,
      openMs: config.circuit.openMs,
    }),
    envelope: loadEnvelope,
    idempotency: loadIdempotency,
  });
}

export const handler = httpStack({ routes: { '/v1/predictions': { POST: route() } } });
