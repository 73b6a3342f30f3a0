/**
 * Lambda entry point of `GET /v1/health` (API Gateway REST proxy), the one route without an authorizer:
 * Route 53 health checkers cannot authenticate. See lambdas/health/checks.ts for what it checks and reveals.
 */
import { dynamoDb } from '../shared/clients/dynamodb';
import { kms } from '../shared/clients/kms';
import { sageMaker } from '../shared/clients/sagemaker';
import { httpStack, type RouteHandler } from '../shared/middleware';
import { EnvReader, KMS_KEY_ARN, RESOURCE_NAME } from '../shared/env';
import { logger } from '../shared/observability';
import { problems } from '../shared/problem';
import { createHealthRoute, endpointCheck, keyCheck, tableCheck, type DependencyCheck } from './checks';

function route(): RouteHandler {
  const env = new EnvReader(process.env);
  const e = {
    AUDIT_TABLE_NAME: env.string('AUDIT_TABLE_NAME', RESOURCE_NAME),
    IDEMPOTENCY_TABLE_NAME: env.string('IDEMPOTENCY_TABLE_NAME', RESOURCE_NAME),
    PHI_KEY_ARN: env.string('PHI_KEY_ARN', KMS_KEY_ARN),
    SAGEMAKER_ENDPOINT_NAME: env.string('SAGEMAKER_ENDPOINT_NAME', RESOURCE_NAME),
    HEALTH_CACHE_SECONDS: env.int('HEALTH_CACHE_SECONDS', 0, 300, 10),
  };
  if (env.invalid.length > 0) {
    logger.error('invalid configuration', { invalidVariables: env.invalid });
    return () => Promise.reject(problems.internal());
  }
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
