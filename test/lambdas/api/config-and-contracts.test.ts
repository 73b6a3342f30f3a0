/** Configuration parsing, the idempotency error mapping, and the contracts shared with the data tier. */
import './support/env';
import { AUDIT_KEY_PREFIX as TABLE_AUDIT_PREFIX, TTL_ATTRIBUTE } from '../../../lib/constructs/phi-table';
import { AUDIT_KEY_PREFIX, auditItem, PARTITION_KEY } from '../../../lambdas/predictions/audit';
import { loadPredictionsConfig } from '../../../lambdas/predictions/config';
import {
  IDEMPOTENCY_EXPIRY_ATTRIBUTE,
  IDEMPOTENCY_KEY_ATTRIBUTE,
  IDEMPOTENCY_KEY_PREFIX,
  idempotencyProblem,
} from '../../../lambdas/predictions/idempotency';
import { PREDICTIONS_ENV } from './support/env';

describe('loadPredictionsConfig', () => {
  test('the test environment parses, with documented defaults', () => {
    const r = loadPredictionsConfig(PREDICTIONS_ENV);
    if (!r.ok) throw new Error(r.invalid.join());
    expect(r.config).toMatchObject({
      auditTableName: 'audit',
      idempotencyTable: { tableName: 'idempotency', expiresAfterSeconds: 3600 },
      model: { name: 'deterioration-risk', version: '1.4.0' },
      confidenceThreshold: 0.7,
      fallbackMode: 'news2',
      inference: { budgetMs: 3000, reserveMs: 2500 },
      circuit: { failureThreshold: 3, openMs: 30_000 },
    });
  });

  test('invalid values are reported by variable name only, never by value', () => {
    const r = loadPredictionsConfig({
      ...PREDICTIONS_ENV,
      CONFIDENCE_THRESHOLD: '1.5',
      PHI_KEY_ARN: 'alias/secret-name',
      FALLBACK_MODE: 'magic',
      SAGEMAKER_ENDPOINT_NAME: undefined,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect([...r.invalid].sort()).toEqual(
      ['CONFIDENCE_THRESHOLD', 'FALLBACK_MODE', 'PHI_KEY_ARN', 'SAGEMAKER_ENDPOINT_NAME'].sort(),
    );
    expect(JSON.stringify(r)).not.toContain('secret-name');
  });

  test('the model card medians can be configured, and must be complete and positive', () => {
    const good = loadPredictionsConfig({
      ...PREDICTIONS_ENV,
      IMPUTATION_DEFAULTS: '{"ageYears":60,"weightKg":80,"glucoseMmolL":5.5}',
    });
    expect(good.ok && good.config.imputation).toEqual({ ageYears: 60, weightKg: 80, glucoseMmolL: 5.5 });
    for (const bad of ['{', '{"ageYears":60}', '{"ageYears":-1,"weightKg":80,"glucoseMmolL":5.5}']) {
      expect(loadPredictionsConfig({ ...PREDICTIONS_ENV, IMPUTATION_DEFAULTS: bad })).toEqual({
        ok: false,
        invalid: ['IMPUTATION_DEFAULTS'],
      });
    }
  });
});

describe('idempotency errors become problems', () => {
  const err = (name: string) => Object.assign(new Error('x'), { name });
  test.each([
    ['IdempotencyValidationError', 422, 'idempotency-key-reused'],
    ['IdempotencyAlreadyInProgressError', 409, 'idempotency-in-progress'],
    ['IdempotencyPersistenceLayerError', 503, 'idempotency-store-unavailable'],
    ['IdempotencyInconsistentStateError', 503, 'idempotency-store-unavailable'],
  ])('%s → %d %s', (name, status, type) => {
    expect(idempotencyProblem(err(name))).toMatchObject({ status, type });
  });
  test('other errors pass through', () => {
    expect(idempotencyProblem(err('ProblemError'))).toBeUndefined();
  });
});

describe('contracts with the data tier (lib/constructs/phi-table.ts)', () => {
  test('audit items use the table partition key and the AUDIT# prefix, and never carry the TTL attribute', () => {
    expect(PARTITION_KEY).toBe('pk');
    expect(AUDIT_KEY_PREFIX).toBe(TABLE_AUDIT_PREFIX);
    const item = auditItem({
      auditId: 'a-1',
      at: new Date('2026-01-02T03:04:05Z'),
      action: 'prediction.create',
      requestId: 'r',
      lambdaRequestId: 'l',
      subject: null,
      route: 'POST /v1/predictions',
      outcome: 'rejected',
      httpStatus: 401,
      inputHash: 'sha256:00',
      latencyMs: 1.234,
    });
    expect(item).toMatchObject({
      pk: { S: 'AUDIT#a-1' },
      at: { S: '2026-01-02T03:04:05.000Z' },
      subject: { NULL: true },
    });
    expect(item[TTL_ATTRIBUTE]).toBeUndefined();
    // An unauthenticated request has no subject, so it stays out of the by-subject index.
    expect(item.gsi1pk).toBeUndefined();
  });
  test('idempotency records use the table key and TTL attribute, under a prefix the table grants by', () => {
    expect(IDEMPOTENCY_KEY_ATTRIBUTE).toBe('pk');
    expect(IDEMPOTENCY_EXPIRY_ATTRIBUTE).toBe(TTL_ATTRIBUTE);
    expect(IDEMPOTENCY_KEY_PREFIX).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(IDEMPOTENCY_KEY_PREFIX.startsWith('AUDIT')).toBe(false);
  });
});

describe('SDK clients', () => {
  test('every client has connection and request timeouts that abort (not just warn) and bounded retries', async () => {
    const configs = [
      (await import('../../../lambdas/shared/clients/dynamodb')).DYNAMODB_CLIENT_CONFIG,
      (await import('../../../lambdas/shared/clients/kms')).KMS_CLIENT_CONFIG,
      (await import('../../../lambdas/shared/clients/sagemaker')).SAGEMAKER_CLIENT_CONFIG,
      (await import('../../../lambdas/shared/clients/sagemaker-runtime')).SAGEMAKER_RUNTIME_CLIENT_CONFIG,
      (await import('../../../lambdas/shared/clients/ssm')).SSM_CLIENT_CONFIG,
    ];
    for (const c of configs) {
      expect(c.maxAttempts).toBeGreaterThanOrEqual(1);
      expect(c.maxAttempts).toBeLessThanOrEqual(3);
      expect(c.requestHandler).toMatchObject({
        connectionTimeout: expect.any(Number) as number,
        requestTimeout: expect.any(Number) as number,
        throwOnRequestTimeout: true,
      });
      // Worst case of one call, all attempts at the request timeout, stays well inside the 10 s Lambda timeout.
      expect(
        c.maxAttempts * (c.requestHandler.connectionTimeout + c.requestHandler.requestTimeout),
      ).toBeLessThanOrEqual(7000);
    }
  });
});
