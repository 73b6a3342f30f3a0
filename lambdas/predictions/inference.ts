/**
 * Calls the SageMaker endpoint inside a timeout budget, behind the circuit breaker, and classifies every
 * outcome: a usable answer, a model error (the container failed on this input: 502), or the endpoint being
 * unavailable (throttled, not ready, down, too slow, or the circuit open: fallback or 503).
 *
 * Timeout budget: one attempt is bounded by the client's request timeout (lambdas/shared/clients), and the
 * whole call, retries included, by an abort signal set to min(configured budget, time left before the Lambda
 * deadline minus a reserve for audit, encryption and the response). The Lambda timeout is well inside API
 * Gateway's 29-second integration timeout, so the client always gets our answer, never a gateway timeout.
 */
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { CircuitBreaker } from '../shared/circuit-breaker';
import type { ModelFeatures } from './request';

/**
 * What the endpoint receives: one observation set as flat JSON, in canonical units, with the feature names the
 * inference tier's drift monitor baselines (`respiration_rate`, `spo2`, `supplemental_oxygen`, `systolic_bp`,
 * `pulse`, `consciousness`, `temperature`; lib/config/profiles), so data capture is monitorable as sent.
 */
export function modelPayload(f: ModelFeatures): Record<string, number | string> {
  return {
    respiration_rate: f.respiratoryRate,
    spo2: f.spo2,
    spo2_scale: f.spo2Scale,
    supplemental_oxygen: f.supplementalOxygen ? 1 : 0,
    systolic_bp: f.systolicBp,
    pulse: f.heartRate,
    consciousness: f.consciousness,
    temperature: f.temperatureC,
    age: f.ageYears,
    weight: f.weightKg,
    glucose: f.glucoseMmolL,
  };
}

/** What the model container returns (the serving contract in docs/api.md#model-contract). */
interface ModelAnswer {
  readonly score: number;
  readonly label: string;
  readonly confidence: number;
}

const probability = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 1;

/** The model's answer, or undefined when the body breaks the serving contract. Extra members are ignored. */
export function readModelAnswer(body: Uint8Array | undefined): ModelAnswer | undefined {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body ?? new Uint8Array()).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { score, label, confidence } = json as Record<string, unknown>;
  if (!probability(score) || !probability(confidence)) return undefined;
  if (typeof label !== 'string' || label.length < 1 || label.length > 64) return undefined;
  return { score, label, confidence };
}

export type UnavailableReason = 'throttled' | 'not-ready' | 'unavailable' | 'timeout' | 'circuit-open';

export type InferenceOutcome =
  | {
      readonly kind: 'answer';
      readonly score: number;
      readonly label: string;
      readonly confidence: number;
      /** The production variant that answered (blue/green or shadow deployments name theirs). */
      readonly variant: string | null;
      readonly latencyMs: number;
    }
  | {
      readonly kind: 'model-error';
      readonly reason: 'model-error' | 'invalid-response';
      readonly latencyMs: number;
    }
  | {
      readonly kind: 'unavailable';
      readonly reason: UnavailableReason;
      readonly retryAfterSeconds: number;
      readonly latencyMs: number;
    };

export interface InferenceSettings {
  readonly endpointName: string;
  /** Upper bound of one inference, retries included (ms). */
  readonly budgetMs: number;
  /** Time kept back from the Lambda deadline for audit, encryption and the response (ms). */
  readonly reserveMs: number;
}

export interface InferenceCall {
  readonly features: ModelFeatures;
  /** Ties the endpoint's data-capture record to the audit record. */
  readonly predictionId: string;
  /** Milliseconds left before the Lambda deadline. */
  readonly remainingMs: number;
  /** The request's deadline signal: when it fires, the request is over and the error propagates. */
  readonly signal: AbortSignal;
}

/** The smallest budget worth trying: below it the call would only add latency before the fallback. */
export const MIN_BUDGET_MS = 100;

const VARIANT = /^[A-Za-z0-9](-*[A-Za-z0-9]){0,62}$/;

/** How an SDK error maps onto an outcome; `failure` says whether it counts against the circuit. */
export function classifyInvokeError(err: unknown): {
  kind: 'model-error' | 'unavailable';
  reason: 'model-error' | UnavailableReason;
  retryAfterSeconds: number;
} {
  const name = err instanceof Error ? err.name : '';
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  if (name === 'ModelError' || status === 424)
    return { kind: 'model-error', reason: 'model-error', retryAfterSeconds: 0 };
  if (name === 'ModelNotReadyException')
    return { kind: 'unavailable', reason: 'not-ready', retryAfterSeconds: 5 };
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException' || status === 429) {
    return { kind: 'unavailable', reason: 'throttled', retryAfterSeconds: 2 };
  }
  if (
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    name === 'RequestTimeout' ||
    /timed? ?out/i.test(name)
  ) {
    return { kind: 'unavailable', reason: 'timeout', retryAfterSeconds: 2 };
  }
  return { kind: 'unavailable', reason: 'unavailable', retryAfterSeconds: 5 };
}

/**
 * Runs one inference. Never throws for endpoint problems (they are outcomes); rethrows only when the
 * request's own deadline signal fired.
 */
export async function infer(
  client: SageMakerRuntimeClient,
  breaker: CircuitBreaker,
  settings: InferenceSettings,
  call: InferenceCall,
): Promise<InferenceOutcome> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const admission = breaker.admit();
  if (!admission.allowed) {
    return {
      kind: 'unavailable',
      reason: 'circuit-open',
      retryAfterSeconds: Math.ceil(admission.retryAfterMs / 1000),
      latencyMs: elapsed(),
    };
  }
  const budget = Math.min(settings.budgetMs, call.remainingMs - settings.reserveMs);
  if (budget < MIN_BUDGET_MS) {
    breaker.recordNeutral();
    return { kind: 'unavailable', reason: 'timeout', retryAfterSeconds: 1, latencyMs: elapsed() };
  }
  // One controller for the call, aborted by the budget or by the request's deadline; the timer and the listener
  // are released as soon as the call settles (AbortSignal.timeout/any would keep both alive for the whole budget).
  const controller = new AbortController();
  let budgetSpent = false;
  const timer = setTimeout(() => {
    budgetSpent = true;
    controller.abort();
  }, budget);
  const onDeadline = (): void => controller.abort();
  call.signal.addEventListener('abort', onDeadline, { once: true });
  let body: Uint8Array | undefined;
  let variant: string | null = null;
  try {
    const out = await client.send(
      new InvokeEndpointCommand({
        EndpointName: settings.endpointName,
        ContentType: 'application/json',
        Accept: 'application/json',
        InferenceId: call.predictionId,
        Body: new TextEncoder().encode(JSON.stringify(modelPayload(call.features))),
      }),
      { abortSignal: controller.signal },
    );
    body = out.Body;
    variant =
      typeof out.InvokedProductionVariant === 'string' && VARIANT.test(out.InvokedProductionVariant)
        ? out.InvokedProductionVariant
        : null;
  } catch (err) {
    if (call.signal.aborted) {
      breaker.recordNeutral();
      throw err;
    }
    const c = classifyInvokeError(budgetSpent ? Object.assign(new Error(), { name: 'TimeoutError' }) : err);
    breaker.recordFailure();
    return c.kind === 'model-error'
      ? { kind: 'model-error', reason: 'model-error', latencyMs: elapsed() }
      : {
          kind: 'unavailable',
          reason: c.reason as UnavailableReason,
          retryAfterSeconds: c.retryAfterSeconds,
          latencyMs: elapsed(),
        };
  } finally {
    clearTimeout(timer);
    call.signal.removeEventListener('abort', onDeadline);
  }
  const answer = readModelAnswer(body);
  if (!answer) {
    // A 200 the platform cannot read means the deployed model broke its contract: count it against the circuit.
    breaker.recordFailure();
    return { kind: 'model-error', reason: 'invalid-response', latencyMs: elapsed() };
  }
  breaker.recordSuccess();
  return { kind: 'answer', ...answer, variant, latencyMs: elapsed() };
}
