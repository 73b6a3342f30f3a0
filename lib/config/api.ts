import { z } from 'zod';
import type { CapacityPlan } from './capacity';
import type { Profile } from './schema';

/**
 * The API tier's own settings (stacks/api-stack.ts). Throttling and concurrency are not here: they come from the
 * capacity plan (lib/config/capacity.ts). Every field has a default a clinical platform can start from.
 */
export const ApiSchema = z
  .object({
    /**
     * Requests one caller (one bearer token) may make in any 5-minute window before WAF blocks it for a while.
     * A hospital's clinicians usually share one egress IP, so the per-caller limit is the one that bites.
     * @default - 4 × the planned per-clinician rate over 5 minutes, at least 100
     */
    wafPerCallerLimit: z.number().int().min(10).max(2_000_000_000).optional(),
    /**
     * Requests one source IP may make in any 5-minute window (all callers behind it together): a flood guard
     * sized for a hospital NAT, well above what its clinicians generate.
     * @default 20000
     */
    wafPerIpLimit: z.number().int().min(10).max(2_000_000_000).default(20_000),
    /**
     * Largest request body accepted on routes other than the EHR intake, in bytes. `POST /v1/predictions`
     * itself answers 413 above 8 KiB (lambdas/predictions/request.ts); WAF stops larger bodies at the edge.
     * At most 64 KiB: WAF inspects at most that much of a body.
     * @default 8192
     */
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(65536, { message: 'must be at most 65536 (the WAF body inspection limit)' })
      .default(8192),
    /**
     * Days the API access logs (who called what, when, from where; never bodies) are kept.
     * @default - the profile's audit retention (access logs are an audit record, 45 CFR 164.312(b))
     */
    accessLogDays: z.number().int().optional(),
    /**
     * Seconds the health route caches its dependency checks, so Route 53's checkers (about 16 per 30 s) do
     * not each reach DynamoDB, KMS and SageMaker.
     * @default 10
     */
    healthCacheSeconds: z.number().int().min(0).max(300).default(10),
  })
  .strict();

export type ApiSettings = z.output<typeof ApiSchema>;

/** What the api stack builds from the profile and its capacity plan. */
export interface ApiPlan {
  /** Stage-wide steady-state throttle (rps) and burst, from the capacity plan. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Reserved concurrency of the predictions function (capacity plan), and its provisioned concurrency. */
  readonly predictionsReserved: number;
  readonly predictionsProvisioned: number;
  /** Reserved concurrency of the health function: Route 53's checkers and operators, a small fixed number. */
  readonly healthReserved: number;
  readonly wafPerCallerLimit: number;
  readonly wafPerIpLimit: number;
  readonly maxBodyBytes: number;
  readonly accessLogDays: number;
}

/** Route 53 health checkers call about 16 times per 30 s; a handful of executions carry them and operators. */
export const HEALTH_RESERVED_CONCURRENCY = 5;

/** Derives the API plan. Pure. */
export function planApi(profile: Profile, capacity: CapacityPlan): ApiPlan {
  const api = profile.api;
  const perClinicianIn5Min = profile.capacity.requestsPerClinicianPerMinute * 5;
  return {
    rateLimit: capacity.api.rateLimit,
    burstLimit: capacity.api.burstLimit,
    predictionsReserved: capacity.lambda.reservedConcurrency,
    predictionsProvisioned: capacity.lambda.provisionedConcurrency,
    healthReserved: HEALTH_RESERVED_CONCURRENCY,
    wafPerCallerLimit: api.wafPerCallerLimit ?? Math.max(100, Math.ceil(perClinicianIn5Min * 4)),
    wafPerIpLimit: api.wafPerIpLimit,
    maxBodyBytes: api.maxBodyBytes,
    accessLogDays: api.accessLogDays ?? profile.logRetention.auditDays,
  };
}
