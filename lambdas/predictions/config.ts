/**
 * The predictions function's configuration, read once per container from its (CMK-encrypted) environment,
 * which the api stack fills from the data and inference tiers. A bad value never reaches a request: the
 * handler answers 500 and logs the offending variable names (never values).
 */
import { EnvReader, KMS_KEY_ARN, RESOURCE_NAME } from '../shared/env';
import type { FallbackMode, ModelIdentity } from './decision';
import type { IdempotencyTable } from './idempotency';
import { DEFAULT_IMPUTATION, type ImputationDefaults } from './request';

export interface PredictionsConfig {
  /** The data tier's audit table (lib/constructs/phi-table.ts). */
  readonly auditTableName: string;
  readonly idempotencyTable: IdempotencyTable;
  /** The region's `phi-data` key: the Encryption SDK's KMS keyring. */
  readonly phiKeyArn: string;
  readonly endpointName: string;
  readonly model: ModelIdentity;
  /** Confidence below this (0-1) is not trusted: the answer needs clinician review and carries the fallback. */
  readonly confidenceThreshold: number;
  readonly fallbackMode: FallbackMode;
  readonly inference: { readonly budgetMs: number; readonly reserveMs: number };
  readonly circuit: { readonly failureThreshold: number; readonly openMs: number };
  readonly imputation: ImputationDefaults;
  /**
   * The Cognito group a caller must be in (`cognito:groups`).
   * @default - any authenticated caller
   */
  readonly requiredGroup?: string;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: PredictionsConfig }
  | { readonly ok: false; readonly invalid: readonly string[] };

const positive = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 1000;

/** Validates the environment. `invalid` lists variable names only: values may be sensitive. */
export function loadPredictionsConfig(env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const e = new EnvReader(env);
  const config: PredictionsConfig = {
    auditTableName: e.string('AUDIT_TABLE_NAME', RESOURCE_NAME),
    idempotencyTable: {
      tableName: e.string('IDEMPOTENCY_TABLE_NAME', RESOURCE_NAME),
      expiresAfterSeconds: e.int('IDEMPOTENCY_TTL_SECONDS', 60, 7 * 24 * 3600, 3600),
    },
    phiKeyArn: e.string('PHI_KEY_ARN', KMS_KEY_ARN),
    endpointName: e.string('SAGEMAKER_ENDPOINT_NAME', /^[A-Za-z0-9](-*[A-Za-z0-9]){0,62}$/),
    model: {
      name: e.string('MODEL_NAME', /^[A-Za-z0-9._-]{1,64}$/),
      version: e.string('MODEL_VERSION', /^[A-Za-z0-9._+-]{1,64}$/),
    },
    confidenceThreshold: e.number('CONFIDENCE_THRESHOLD', 0, 1),
    fallbackMode: e.oneOf('FALLBACK_MODE', ['news2', 'none'] as const, 'news2'),
    inference: {
      budgetMs: e.int('INFERENCE_BUDGET_MS', 100, 20000, 3000),
      reserveMs: e.int('INFERENCE_RESERVE_MS', 0, 20000, 2500),
    },
    circuit: {
      failureThreshold: e.int('CIRCUIT_FAILURE_THRESHOLD', 1, 1000, 5),
      openMs: e.int('CIRCUIT_OPEN_SECONDS', 1, 3600, 30) * 1000,
    },
    imputation: DEFAULT_IMPUTATION,
  };
  const requiredGroup = e.optional('REQUIRED_GROUP', /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u);
  const raw = e.optional('IMPUTATION_DEFAULTS', /^[\s\S]{1,1000}$/);
  let imputation = DEFAULT_IMPUTATION;
  if (raw !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const o = json as Record<string, unknown> | undefined;
    const keys = o && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o).sort().join() : '';
    if (
      keys !== 'ageYears,glucoseMmolL,weightKg' ||
      !positive(o!.ageYears) ||
      !positive(o!.weightKg) ||
      !positive(o!.glucoseMmolL)
    ) {
      return { ok: false, invalid: [...e.invalid, 'IMPUTATION_DEFAULTS'] };
    }
    imputation = { ageYears: o!.ageYears, weightKg: o!.weightKg, glucoseMmolL: o!.glucoseMmolL };
  }
  if (e.invalid.length > 0) return { ok: false, invalid: e.invalid };
  return {
    ok: true,
    config: { ...config, imputation, ...(requiredGroup === undefined ? {} : { requiredGroup }) },
  };
}
