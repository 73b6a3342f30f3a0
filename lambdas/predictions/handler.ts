/**
 * Lambda entry point of `POST /v1/predictions` (API Gateway REST proxy). Wires the route
 * (lambdas/predictions/app.ts) to the container's clients, circuit breaker and lazily loaded modules, behind
 * the platform's middleware stack (lambdas/shared/middleware.ts).
 *
 * Loaded at cold start: middy, Powertools, the SageMaker runtime and DynamoDB clients. Loaded on first use:
 * the SSM client of the fallback flag (first read), the Encryption SDK (first accepted request) and Powertools
 * idempotency (first request with an `Idempotency-Key`). Under provisioned concurrency both are loaded during initialisation instead, which is off
 * the request path there.
 */
import { CircuitBreaker } from '../shared/circuit-breaker';
import { dynamoDb } from '../shared/clients/dynamodb';
import { FallbackFlag, FlaggedCircuitBreaker } from '../shared/fallback-flag';
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
  const breakerOptions = { failureThreshold: config.circuit.failureThreshold, openMs: config.circuit.openMs };
  const flag = fallbackFlag();
  const predict = createPredictionRoute({
    config,
    dynamoDb,
    sageMakerRuntime,
    breaker: flag ? new FlaggedCircuitBreaker(breakerOptions, flag) : new CircuitBreaker(breakerOptions),
    envelope: loadEnvelope,
    idempotency: loadIdempotency,
  });
  if (!flag) return predict;
  return async (request) => {
    // Cached for FALLBACK_FLAG_TTL_SECONDS; an unreadable flag counts as on (lambdas/shared/fallback-flag.ts).
    await flag.refresh();
    if (flag.lastSource === 'fail-safe') logger.warn('fallback flag unreadable: serving the fallback');
    return predict(request);
  };
}

/**
 * The fleet-wide fallback switch (issue 7), when the api stack names its SSM parameter in
 * FALLBACK_PARAMETER_NAME; without it the container's own circuit breaker is the only switch.
 */
function fallbackFlag(): FallbackFlag | undefined {
  const name = process.env.FALLBACK_PARAMETER_NAME;
  if (!name) {
    logger.warn('FALLBACK_PARAMETER_NAME not set: no fleet-wide fallback switch');
    return undefined;
  }
  const ttlSeconds = Number(process.env.FALLBACK_FLAG_TTL_SECONDS ?? '30');
  return new FallbackFlag({
    ttlMs: (Number.isFinite(ttlSeconds) && ttlSeconds >= 0 ? ttlSeconds : 30) * 1000,
    // The SSM client loads on the first read (once per container), not at cold start.
    read: async () => {
      const { ssm, GetParameterCommand } = await import('../shared/clients/ssm');
      return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    },
  });
}

export const handler = httpStack({ routes: { '/v1/predictions': { POST: route() } } });
