/**
 * The predictions function's configuration, read once per container from its (CMK-encrypted) environment,
 * which the api stack fills from the data and inference tiers. A bad value never reaches a request: the
 * handler answers 500 and logs the offending variable names (never values).
 */
import * as z from 'zod/mini';
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
}

const name = z.string().check(z.regex(/^[A-Za-z0-9_.:/-]{1,255}$/));
const int = (min: number, max: number) => z.coerce.number().check(z.int(), z.gte(min), z.lte(max));
const positive = z.number().check(z.gt(0), z.lte(1000));

const Env = z.object({
  AUDIT_TABLE_NAME: name,
  IDEMPOTENCY_TABLE_NAME: name,
  IDEMPOTENCY_TTL_SECONDS: z._default(int(60, 7 * 24 * 3600), 3600),
  PHI_KEY_ARN: z.string().check(z.regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/)),
  SAGEMAKER_ENDPOINT_NAME: z.string().check(z.regex(/^[A-Za-z0-9](-*[A-Za-z0-9]){0,62}$/)),
  MODEL_NAME: z.string().check(z.regex(/^[A-Za-z0-9._-]{1,64}$/)),
  MODEL_VERSION: z.string().check(z.regex(/^[A-Za-z0-9._+-]{1,64}$/)),
  CONFIDENCE_THRESHOLD: z.coerce.number().check(z.gte(0), z.lte(1)),
  FALLBACK_MODE: z._default(z.enum(['news2', 'none']), 'news2'),
  INFERENCE_BUDGET_MS: z._default(int(100, 20000), 3000),
  INFERENCE_RESERVE_MS: z._default(int(0, 20000), 2500),
  CIRCUIT_FAILURE_THRESHOLD: z._default(int(1, 1000), 5),
  CIRCUIT_OPEN_SECONDS: z._default(int(1, 3600), 30),
  IMPUTATION_DEFAULTS: z.optional(z.string().check(z.maxLength(1000))),
});

const Imputation = z.strictObject({ ageYears: positive, weightKg: positive, glucoseMmolL: positive });

export type ConfigResult =
  | { readonly ok: true; readonly config: PredictionsConfig }
  | { readonly ok: false; readonly invalid: readonly string[] };

/** Validates the environment. `invalid` lists variable names only: values may be sensitive. */
export function loadPredictionsConfig(env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    return { ok: false, invalid: [...new Set(parsed.error.issues.map((i) => String(i.path[0])))] };
  }
  const e = parsed.data;
  let imputation = DEFAULT_IMPUTATION;
  if (e.IMPUTATION_DEFAULTS !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(e.IMPUTATION_DEFAULTS);
    } catch {
      return { ok: false, invalid: ['IMPUTATION_DEFAULTS'] };
    }
    const imp = Imputation.safeParse(json);
    if (!imp.success) return { ok: false, invalid: ['IMPUTATION_DEFAULTS'] };
    imputation = imp.data;
  }
  return {
    ok: true,
    config: {
      auditTableName: e.AUDIT_TABLE_NAME,
      idempotencyTable: {
        tableName: e.IDEMPOTENCY_TABLE_NAME,
        expiresAfterSeconds: e.IDEMPOTENCY_TTL_SECONDS,
      },
      phiKeyArn: e.PHI_KEY_ARN,
      endpointName: e.SAGEMAKER_ENDPOINT_NAME,
      model: { name: e.MODEL_NAME, version: e.MODEL_VERSION },
      confidenceThreshold: e.CONFIDENCE_THRESHOLD,
      fallbackMode: e.FALLBACK_MODE,
      inference: { budgetMs: e.INFERENCE_BUDGET_MS, reserveMs: e.INFERENCE_RESERVE_MS },
      circuit: { failureThreshold: e.CIRCUIT_FAILURE_THRESHOLD, openMs: e.CIRCUIT_OPEN_SECONDS * 1000 },
      imputation,
    },
  };
}
