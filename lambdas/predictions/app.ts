/**
 * `POST /v1/predictions`: validate, normalise, infer, gate on confidence, fall back, audit, answer.
 *
 * Order of work for one request, and what happens when a step fails:
 * 1. Authenticated subject (401), media type (415), size (413), JSON (400), fields (422), headers (400).
 *    A refused request is audited (best effort) with its problem type and the hash of what was sent.
 * 2. With an `Idempotency-Key`: Powertools idempotency around steps 3-5 (409 in progress, 422 key reused,
 *    503 store unavailable); a retry gets the original answer back and leaves an audit record of the replay.
 * 3. Inference inside its time budget, behind the circuit breaker (lambdas/predictions/inference.ts).
 * 4. Decision: trusted model answer, or `requiresClinicianReview` with the fallback; 502 for a model error,
 *    503 with `Retry-After` when the model is unavailable and no fallback applies.
 * 5. The audit record (no PHI: who, when, model, confidence, decision, input hash). DynamoDB unavailable: 503,
 *    the answer is not released without its audit record.
 *
 * PHI is persisted in one place only: the answer of an idempotent request, kept for the idempotency window so a
 * retry can be answered, sealed with the Encryption SDK before it is stored (KMS unavailable: 503, nothing stored
 * in plaintext, an audit record without PHI says so). A request without an `Idempotency-Key` stores no PHI, so it
 * never loads the Encryption SDK. The model's input and output are kept by the endpoint's data capture (S3, PHI
 * key), under the prediction id, which the audit record carries.
 *
 * Everything here is injected (clients, breaker, lazy modules, clock, ids) so tests and the benchmark can run
 * it with fakes; lambdas/predictions/handler.ts wires the real ones.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { CIRCUIT_STATE_VALUE, type CircuitBreaker } from '../shared/circuit-breaker';
import {
  bodyBytes,
  jsonResponse,
  mediaType,
  singleHeader,
  type ApiEvent,
  type ApiResult,
} from '../shared/http';
import type { HttpRequest, RouteHandler } from '../shared/middleware';
import { errorSummary, logger, metrics } from '../shared/observability';
import type { PhiPurpose } from '../shared/phi-envelope';
import { ProblemError, problems, type FieldIssue } from '../shared/problem';
import { inputHash, writeAudit, type AuditEntry } from './audit';
import type { PredictionsConfig } from './config';
import { decide, type Decision, type PredictionBody } from './decision';
// Types only: the idempotency module (Powertools idempotency, JMESPath) loads on first use.
import type { IdempotentPredictions, StoredAnswer } from './idempotency';
import { infer } from './inference';
import { MAX_BODY_BYTES, parseIdempotencyKey, parsePredictionRequest, type PredictionInput } from './request';

export const ROUTE = 'POST /v1/predictions';

/** The Encryption SDK purpose of an answer kept for idempotent retries (lambdas/shared/phi-envelope.ts). */
export const ANSWER_PURPOSE = 'prediction-answer';

/** Seals and opens PHI (lambdas/shared/phi-envelope.ts); loaded lazily. */
export interface PhiSealer {
  seal(purpose: PhiPurpose, plaintext: Uint8Array | string): Promise<Uint8Array>;
  open(purpose: PhiPurpose, ciphertext: Uint8Array): Promise<Buffer>;
}

export interface PredictionDeps {
  readonly config: PredictionsConfig;
  readonly dynamoDb: DynamoDBClient;
  readonly sageMakerRuntime: SageMakerRuntimeClient;
  readonly breaker: CircuitBreaker;
  /** Loads the Encryption SDK envelope (lazily, once). */
  readonly envelope: () => Promise<PhiSealer>;
  /** Loads the idempotency runner (lazily, once). */
  readonly idempotency: () => Promise<IdempotentPredictions>;
  /**
   * Clock.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
  /**
   * Id generator for audit records and predictions.
   * @default crypto.randomUUID
   */
  readonly newId?: () => string;
}

/** What one request has established before the prediction work starts. */
interface RequestFacts {
  readonly req: HttpRequest;
  readonly auditId: string;
  readonly occurredAt: Date;
  readonly subject: string | null;
  raw: Buffer;
}

interface Validated {
  readonly input: PredictionInput;
  readonly raw: Buffer;
  readonly subject: string;
  readonly idempotencyKey: string | undefined;
}

const SUBJECT = /^[A-Za-z0-9:@._+-]{1,128}$/;

function claimsOf(event: ApiEvent): Record<string, unknown> {
  const claims: unknown = (event?.requestContext as { authorizer?: { claims?: unknown } } | undefined)
    ?.authorizer?.claims;
  return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : {};
}

/** The authenticated clinician: the Cognito user pool authorizer's `sub` claim. */
export function subjectOf(event: ApiEvent): string | null {
  const sub = claimsOf(event).sub;
  return typeof sub === 'string' && SUBJECT.test(sub) ? sub : null;
}

/**
 * The Cognito groups of the caller. API Gateway passes `cognito:groups` as a string: one name, a
 * comma-separated list, or a bracketed list (`[a b]`), depending on the number of groups.
 */
export function groupsOf(event: ApiEvent): string[] {
  const raw = claimsOf(event)['cognito:groups'];
  if (Array.isArray(raw)) return raw.filter((g): g is string => typeof g === 'string');
  if (typeof raw !== 'string') return [];
  return raw
    .replace(/^\[|\]$/g, '')
    .split(/[,\s]+/)
    .filter((g) => g.length > 0);
}

/** Step 1: everything about the request that can be refused before any dependency is called. */
export function validateRequest(event: ApiEvent, facts: RequestFacts, config: PredictionsConfig): Validated {
  const subject = subjectOf(event);
  if (subject === null) throw problems.unauthenticated();
  if (config.requiredGroup !== undefined && !groupsOf(event).includes(config.requiredGroup)) {
    throw problems.forbidden(`Predictions are for members of the ${config.requiredGroup} group.`);
  }
  const query = event.queryStringParameters;
  if (query && typeof query === 'object' && Object.keys(query).length > 0) {
    throw problems.unexpectedInput(
      Object.keys(query)
        .slice(0, 20)
        .map<FieldIssue>((k) => ({
          pointer: `query:${k.slice(0, 64)}`,
          detail: 'this route takes no query parameters',
        })),
    );
  }
  if (typeof event.body === 'string' && event.body.length > MAX_BODY_BYTES * 2) {
    throw problems.payloadTooLarge(MAX_BODY_BYTES);
  }
  const type = mediaType(event);
  if (type !== 'application/json') throw problems.unsupportedMediaType(['application/json']);
  const raw = bodyBytes(event);
  facts.raw = raw;
  if (raw.length > MAX_BODY_BYTES) throw problems.payloadTooLarge(MAX_BODY_BYTES);
  if (raw.length === 0) throw problems.malformedBody('The body is empty; send a JSON object.');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    throw problems.malformedBody('The body is not valid UTF-8.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // The parser's message quotes the body; only the position is safe to return.
    const at = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
    throw problems.malformedBody(
      `The body is not valid JSON${at === undefined ? '' : ` (at character ${at})`}.`,
    );
  }
  const parsed = parsePredictionRequest(json, config.imputation);
  if (!parsed.ok) throw problems.invalidRequest(parsed.issues);
  const idempotencyKey = parseIdempotencyKey(singleHeader(event, 'idempotency-key'));
  return { input: parsed.input, raw, subject, idempotencyKey };
}

const rate = (name: string, on: boolean): void => {
  metrics.addMetric(name, MetricUnit.Count, on ? 1 : 0);
};

/** Builds the route. */
export function createPredictionRoute(deps: PredictionDeps): RouteHandler {
  const { config } = deps;
  const clock = deps.clock ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;

  const baseEntry = (
    facts: RequestFacts,
    action: AuditEntry['action'] = 'prediction.create',
  ): Omit<AuditEntry, 'outcome' | 'httpStatus' | 'latencyMs' | 'inputHash'> => ({
    auditId: facts.auditId,
    at: facts.occurredAt,
    action,
    requestId: facts.req.requestId,
    lambdaRequestId:
      typeof facts.req.context?.awsRequestId === 'string' ? facts.req.context.awsRequestId : '',
    subject: facts.subject,
    route: ROUTE,
  });

  const elapsed = (facts: RequestFacts): number => performance.now() - facts.req.receivedAt;

  /** Audit write that must succeed: otherwise the answer is withheld (503). */
  async function auditOrFail(facts: RequestFacts, entry: AuditEntry): Promise<void> {
    try {
      await writeAudit(deps.dynamoDb, config.auditTableName, entry);
    } catch (err) {
      metrics.addMetric('AuditWriteFailure', MetricUnit.Count, 1);
      logger.error('audit write failed', { auditId: facts.auditId, ...errorSummary(err) });
      throw problems.unavailable(
        'audit-unavailable',
        'The audit trail is unavailable',
        2,
        'No answer is released without its audit record; retry shortly.',
      );
    }
  }

  /** Audit write for a request that is failing anyway: best effort, the original problem is what the client sees. */
  async function auditBestEffort(facts: RequestFacts, entry: AuditEntry): Promise<void> {
    try {
      await writeAudit(deps.dynamoDb, config.auditTableName, entry);
    } catch (err) {
      metrics.addMetric('AuditWriteFailure', MetricUnit.Count, 1);
      logger.error('audit write failed', { auditId: facts.auditId, ...errorSummary(err) });
    }
  }

  async function loadEnvelope(): Promise<PhiSealer> {
    try {
      return await deps.envelope();
    } catch (err) {
      logger.error('encryption module failed to load', errorSummary(err));
      throw problems.internal();
    }
  }

  const encryptionUnavailable = (): ProblemError =>
    problems.unavailable(
      'encryption-unavailable',
      'Encryption is unavailable',
      2,
      'PHI is never stored unencrypted, so the request was not completed; retry shortly.',
    );

  /**
   * Steps 3-5 for one validated request. With `sealAnswer` (an idempotent request) the answer is also sealed
   * for the idempotency store, before the audit record is written: an answer the store cannot keep encrypted is
   * never released.
   */
  async function predictOnce(
    facts: RequestFacts,
    v: Validated,
    sealAnswer: boolean,
  ): Promise<{ body: PredictionBody; sealed?: Uint8Array }> {
    const predictionId = facts.auditId;
    const circuitBefore = deps.breaker.state;
    const outcome = await infer(
      deps.sageMakerRuntime,
      deps.breaker,
      { endpointName: config.endpointName, ...config.inference },
      {
        features: v.input.features,
        predictionId,
        remainingMs:
          typeof facts.req.context?.getRemainingTimeInMillis === 'function'
            ? facts.req.context.getRemainingTimeInMillis()
            : config.inference.budgetMs + config.inference.reserveMs,
        signal: facts.req.signal,
      },
    );
    const circuitAfter = deps.breaker.state;
    metrics.addMetric('CircuitState', MetricUnit.Count, CIRCUIT_STATE_VALUE[circuitAfter]);
    if (circuitAfter === 'open' && circuitBefore !== 'open') {
      metrics.addMetric('CircuitOpened', MetricUnit.Count, 1);
      logger.warn('inference circuit opened', { failureThreshold: deps.breaker.failureThreshold });
    }
    if (!(outcome.kind === 'unavailable' && outcome.reason === 'circuit-open')) {
      metrics.addMetric('InferenceLatency', MetricUnit.Milliseconds, outcome.latencyMs);
    }

    const decision: Decision = decide({
      predictionId,
      model: config.model,
      outcome,
      input: v.input,
      threshold: config.confidenceThreshold,
      fallbackMode: config.fallbackMode,
    });
    rate('ModelError', decision.code === 'model-error');
    rate('ModelUnavailable', outcome.kind === 'unavailable');
    if (decision.kind === 'answer') {
      rate('FallbackUsed', decision.code === 'fallback');
      rate('LowConfidence', decision.body.fallback?.reason === 'low-confidence');
    }

    const model =
      outcome.kind === 'answer'
        ? { ...config.model, variant: outcome.variant }
        : { ...config.model, variant: null };
    const entry = (extra: Partial<AuditEntry>): AuditEntry => ({
      ...baseEntry(facts),
      outcome: decision.code,
      httpStatus: decision.kind === 'answer' ? 200 : decision.problem.status,
      inputHash: inputHash(facts.auditId, v.raw),
      model,
      confidence: outcome.kind === 'answer' ? outcome.confidence : null,
      latencyMs: elapsed(facts),
      ...(decision.kind === 'answer'
        ? {
            requiresClinicianReview: decision.body.requiresClinicianReview,
            ...(decision.body.fallback
              ? {
                  fallbackMethod: decision.body.fallback.method,
                  fallbackReason: decision.body.fallback.reason,
                }
              : {}),
          }
        : { problemType: decision.problem.type }),
      ...extra,
    });

    // The answer of an idempotent request is stored for retries: sealed first, or not at all (fail closed).
    let sealed: Uint8Array | undefined;
    if (sealAnswer && decision.kind === 'answer') {
      try {
        const envelope = await loadEnvelope();
        sealed = await envelope.seal(ANSWER_PURPOSE, JSON.stringify(decision.body));
      } catch (err) {
        if (err instanceof ProblemError) throw err;
        metrics.addMetric('PhiEncryptionFailure', MetricUnit.Count, 1);
        logger.error('PHI encryption failed; failing closed', errorSummary(err));
        const problem = encryptionUnavailable();
        await auditBestEffort(
          facts,
          entry({ outcome: 'failed', httpStatus: 503, problemType: problem.type }),
        );
        throw problem;
      }
    }

    // The audit record, then the answer.
    await auditOrFail(facts, entry({}));
    if (decision.kind === 'problem') throw decision.problem;
    // Carried by the stack's one "request completed" line (the keys are reset after each request).
    logger.appendKeys({
      decision: decision.code,
      requiresClinicianReview: decision.body.requiresClinicianReview,
      ...(decision.body.fallback
        ? { fallbackMethod: decision.body.fallback.method, fallbackReason: decision.body.fallback.reason }
        : {}),
      modelVariant: model.variant,
    });
    return sealed ? { body: decision.body, sealed } : { body: decision.body };
  }

  /** An idempotent retry: the original answer, opened from the idempotency store. */
  async function replay(facts: RequestFacts, v: Validated, stored: StoredAnswer): Promise<ApiResult> {
    let body: PredictionBody;
    try {
      const envelope = await loadEnvelope();
      body = JSON.parse(
        (await envelope.open(ANSWER_PURPOSE, Buffer.from(stored.sealed, 'base64'))).toString('utf8'),
      ) as PredictionBody;
    } catch (err) {
      if (err instanceof ProblemError) throw err;
      metrics.addMetric('PhiEncryptionFailure', MetricUnit.Count, 1);
      logger.error('stored answer could not be opened', errorSummary(err));
      throw encryptionUnavailable();
    }
    await auditOrFail(facts, {
      ...baseEntry(facts, 'prediction.replay'),
      outcome: 'replay',
      httpStatus: 200,
      inputHash: inputHash(facts.auditId, v.raw),
      replayOf: stored.predictionId,
      model: body.model,
      confidence: body.confidence,
      requiresClinicianReview: body.requiresClinicianReview,
      ...(body.fallback
        ? { fallbackMethod: body.fallback.method, fallbackReason: body.fallback.reason }
        : {}),
      latencyMs: elapsed(facts),
    });
    return jsonResponse(200, body, facts.req.requestId, { 'Idempotent-Replayed': 'true' });
  }

  return async (req: HttpRequest): Promise<ApiResult> => {
    const facts: RequestFacts = {
      req,
      auditId: newId(),
      occurredAt: clock(),
      subject: subjectOf(req.event),
      raw: Buffer.alloc(0),
    };
    let v: Validated;
    try {
      v = validateRequest(req.event, facts, config);
    } catch (err) {
      if (err instanceof ProblemError) {
        rate('ValidationFailure', true);
        await auditBestEffort(facts, {
          ...baseEntry(facts),
          outcome: 'rejected',
          httpStatus: err.status,
          problemType: err.type,
          inputHash: inputHash(facts.auditId, facts.raw),
          latencyMs: elapsed(facts),
        });
      }
      throw err;
    }
    rate('ValidationFailure', false);

    if (v.idempotencyKey === undefined) {
      return jsonResponse(200, (await predictOnce(facts, v, false)).body, req.requestId);
    }
    const idempotency = await deps.idempotency();
    const bodyHash = createHash('sha256')
      .update(v.subject)
      .update('\n')
      .update(v.idempotencyKey)
      .update('\n')
      .update(v.raw)
      .digest('hex');
    const run = await idempotency.execute(
      { subject: v.subject, key: v.idempotencyKey, bodyHash },
      req.context,
      async () => {
        const { body, sealed } = await predictOnce(facts, v, true);
        return {
          stored: { predictionId: body.predictionId, sealed: Buffer.from(sealed!).toString('base64') },
          value: body,
        };
      },
    );
    rate('IdempotentReplay', run.replayed);
    if (!run.replayed && run.fresh) return jsonResponse(200, run.fresh, req.requestId);
    return await replay(facts, v, run.stored);
  };
}
