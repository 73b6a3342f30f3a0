/**
 * Lambda entry point of `GET /v1/health` (API Gateway REST proxy), the one route without an authorizer:
 * Route 53 health checkers cannot authenticate. See lambdas/health/checks.ts for what it checks and reveals.
 */
import * as z from 'zod/mini';
import { dynamoDb } from '../shared/clients/dynamodb';
import { kms } from '../shared/clients/kms';
import { sageMaker } from '../shared/clients/sagemaker';
import { httpStack, type RouteHandler } from '../shared/middleware';
import { logger } from '../shared/observability';
import { problems } from '../shared/problem';
import { createHealthRoute, endpointCheck, keyCheck, tableCheck, type DependencyCheck } from './checks';

const Env = z.object({
  AUDIT_TABLE_NAME: z.string().check(z.minLength(1)),
  IDEMPOTENCY_TABLE_NAME: z.string().check(z.minLength(1)),
  PHI_KEY_ARN: z.string().check(z.regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/)),
  SAGEMAKER_ENDPOINT_NAME: z.string().check(z.minLength(1)),
  HEALTH_CACHE_SECONDS: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(300)), 10),
});

function route(): RouteHandler {
  const env = Env.safeParse(process.env);
  if (!env.success) {
    logger.error('invalid configuration', {
      invalidVariables: [...new Set(env.error.issues.map((i) => String(i.path[0])))],
    });
    return () => Promise.reject(problems.internal());
  }
  const e = env.data;
  const checks: DependencyCheck[] = [tableCheck('auditStore', dynamoDb, e.AUDIT_TABLE_NAME)];
  if (e.IDEMPOTENCY_TABLE_NAME !== e.AUDIT_TABLE_NAME) {
    checks.push(tableCheck('idempotencyStore', dynamoDb, e.IDEMPOTENCY_TABLE_NAME));
  }
  checks.push(
    keyCheck('phiKey', kms, e.PHI_KEY_ARN),
    endpointCheck('inferenceEndpoint', sageMaker, e.SAGEMAKER_ENDPOINT_NAME),
  );
  return createHealthRoute({ checks, cacheMs: e.HEALTH_CACHE_SECONDS * 1000 });
}

export const handler = httpStack({ routes: { '/v1/health': { GET: route() } } });
