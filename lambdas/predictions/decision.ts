/**
 * Turns an inference outcome into the answer a clinician sees. The rule: a model answer is presented as
 * trusted only when the model answered and its confidence is at or above the model's clinical threshold.
 * Otherwise the answer says `requiresClinicianReview: true` and carries the documented fallback:
 * - `NEWS2` (RCP 2017) from the same observations, named with its version, when the deployment uses it and it
 *   applies to the patient (adults, not pregnant);
 * - else `no-recommendation`.
 * When the model could not be asked at all and no fallback applies, the request fails with 503 and
 * `Retry-After`; a model error (the container failed on this input) is a 502.
 */
import { ProblemError, problems } from '../shared/problem';
import type { InferenceOutcome, UnavailableReason } from './inference';
import { news2, news2Applicability, type News2Score } from './news2';
import type { Imputation, Observations, PredictionInput } from './request';

export type FallbackMode = 'news2' | 'none';

/** Why the model's answer was not used as a trusted prediction. */
export type FallbackReason =
  'low-confidence' | 'model-unavailable' | 'model-throttled' | 'circuit-open' | 'model-timeout';

/** Recorded in the audit trail and counted in metrics. */
export type DecisionCode = 'model' | 'fallback' | 'model-error' | 'model-unavailable';

export interface ModelIdentity {
  readonly name: string;
  readonly version: string;
}

export interface PredictionBody {
  readonly predictionId: string;
  readonly model: { readonly name: string; readonly version: string; readonly variant: string | null };
  /** The model's score (0-1), or null when the model was not used. */
  readonly score: number | null;
  readonly label: string | null;
  readonly confidence: number | null;
  readonly requiresClinicianReview: boolean;
  readonly fallback?: {
    readonly reason: FallbackReason;
    readonly method: 'NEWS2' | 'no-recommendation';
    readonly detail: string;
    readonly score?: News2Score;
  };
  /** What the model and the fallback were given, in canonical units, and what was imputed. */
  readonly inputs: { readonly observations: Observations; readonly imputed: readonly Imputation[] };
}

export type Decision =
  | { readonly kind: 'answer'; readonly code: 'model' | 'fallback'; readonly body: PredictionBody }
  | {
      readonly kind: 'problem';
      readonly code: 'model-error' | 'model-unavailable';
      readonly problem: ProblemError;
    };

export interface DecideArgs {
  readonly predictionId: string;
  readonly model: ModelIdentity;
  readonly outcome: InferenceOutcome;
  readonly input: PredictionInput;
  /** The model's clinical confidence threshold (0-1), from its model card. */
  readonly threshold: number;
  readonly fallbackMode: FallbackMode;
}

const UNAVAILABLE_REASON: Readonly<Record<UnavailableReason, FallbackReason>> = {
  throttled: 'model-throttled',
  'not-ready': 'model-unavailable',
  unavailable: 'model-unavailable',
  timeout: 'model-timeout',
  'circuit-open': 'circuit-open',
};

const FALLBACK_DETAIL: Readonly<Record<FallbackReason, string>> = {
  'low-confidence':
    "The model's confidence is below its clinical threshold; its answer must not be relied on.",
  'model-unavailable': 'The model endpoint is unavailable.',
  'model-throttled': 'The model endpoint is at capacity.',
  'model-timeout': 'The model endpoint did not answer within the time budget.',
  'circuit-open': 'The model endpoint has been failing; calls are paused and retried shortly.',
};

const NOT_APPLICABLE: Readonly<Record<'under-16' | 'pregnancy', string>> = {
  'under-16': 'NEWS2 is not validated for patients under 16.',
  pregnancy: 'NEWS2 is not validated in pregnancy.',
};

/** The fallback for these observations, or why there is none. */
function fallbackFor(
  input: PredictionInput,
  mode: FallbackMode,
): { method: 'NEWS2'; score: News2Score } | { method: 'no-recommendation'; why: string } {
  if (mode === 'none')
    return { method: 'no-recommendation', why: 'No rules-based fallback is configured for this model.' };
  const notApplicable = news2Applicability(input.patient);
  if (notApplicable) return { method: 'no-recommendation', why: NOT_APPLICABLE[notApplicable] };
  return { method: 'NEWS2', score: news2(input.observations) };
}

export function decide(args: DecideArgs): Decision {
  const { outcome, input } = args;
  const inputs = { observations: input.observations, imputed: input.imputed };
  if (outcome.kind === 'model-error') {
    return {
      kind: 'problem',
      code: 'model-error',
      problem: new ProblemError({
        status: 502,
        type: 'model-error',
        title: 'The model failed to score this request',
        detail:
          outcome.reason === 'invalid-response'
            ? 'The model returned an answer that does not match its serving contract.'
            : 'The model container reported an error for this input.',
      }),
    };
  }
  if (outcome.kind === 'answer' && outcome.confidence >= args.threshold) {
    return {
      kind: 'answer',
      code: 'model',
      body: {
        predictionId: args.predictionId,
        model: { ...args.model, variant: outcome.variant },
        score: outcome.score,
        label: outcome.label,
        confidence: outcome.confidence,
        requiresClinicianReview: false,
        inputs,
      },
    };
  }
  const reason: FallbackReason =
    outcome.kind === 'answer' ? 'low-confidence' : UNAVAILABLE_REASON[outcome.reason];
  const fallback = fallbackFor(input, args.fallbackMode);
  if (outcome.kind === 'unavailable' && fallback.method === 'no-recommendation') {
    return {
      kind: 'problem',
      code: 'model-unavailable',
      problem: problems.unavailable(
        reason === 'circuit-open' ? 'model-circuit-open' : 'model-unavailable',
        'The model is unavailable and no fallback applies',
        outcome.retryAfterSeconds,
        `${FALLBACK_DETAIL[reason]} ${fallback.why}`,
      ),
    };
  }
  return {
    kind: 'answer',
    code: 'fallback',
    body: {
      predictionId: args.predictionId,
      model: { ...args.model, variant: outcome.kind === 'answer' ? outcome.variant : null },
      score: outcome.kind === 'answer' ? outcome.score : null,
      label: outcome.kind === 'answer' ? outcome.label : null,
      confidence: outcome.kind === 'answer' ? outcome.confidence : null,
      requiresClinicianReview: true,
      fallback:
        fallback.method === 'NEWS2'
          ? { reason, method: 'NEWS2', detail: FALLBACK_DETAIL[reason], score: fallback.score }
          : { reason, method: 'no-recommendation', detail: `${FALLBACK_DETAIL[reason]} ${fallback.why}` },
      inputs,
    },
  };
}
