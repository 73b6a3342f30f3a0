import { decide, type DecideArgs } from '../../../lambdas/predictions/decision';
import type { InferenceOutcome } from '../../../lambdas/predictions/inference';
import { parsePredictionRequest, type PredictionInput } from '../../../lambdas/predictions/request';
import { VALID_BODY } from './support/events';

const parsed = parsePredictionRequest(VALID_BODY);
if (!parsed.ok) throw new Error('fixture must be valid');
const input: PredictionInput = parsed.input;

const answer = (confidence: number): InferenceOutcome => ({
  kind: 'answer',
  score: 0.81,
  label: 'high-risk',
  confidence,
  variant: 'blue',
  latencyMs: 12,
});
const unavailable = (
  reason: 'throttled' | 'not-ready' | 'unavailable' | 'timeout' | 'circuit-open',
): InferenceOutcome => ({
  kind: 'unavailable',
  reason,
  retryAfterSeconds: 7,
  latencyMs: 1,
});
const args = (outcome: InferenceOutcome, over: Partial<DecideArgs> = {}): DecideArgs => ({
  predictionId: 'p-1',
  model: { name: 'deterioration-risk', version: '1.4.0' },
  outcome,
  input,
  threshold: 0.7,
  fallbackMode: 'news2',
  ...over,
});

describe('confidence gate', () => {
  test('at or above the threshold the model answer is trusted and carries no fallback', () => {
    for (const c of [0.7, 0.95]) {
      const d = decide(args(answer(c)));
      expect(d).toMatchObject({ kind: 'answer', code: 'model' });
      if (d.kind !== 'answer') throw new Error();
      expect(d.body).toMatchObject({
        predictionId: 'p-1',
        model: { name: 'deterioration-risk', version: '1.4.0', variant: 'blue' },
        score: 0.81,
        label: 'high-risk',
        confidence: c,
        requiresClinicianReview: false,
      });
      expect(d.body.fallback).toBeUndefined();
      expect(d.body.inputs.imputed).toEqual(input.imputed);
    }
  });

  test('below the threshold: requires clinician review, NEWS2 fallback named with its version', () => {
    const d = decide(args(answer(0.69)));
    if (d.kind !== 'answer') throw new Error();
    expect(d.code).toBe('fallback');
    expect(d.body.requiresClinicianReview).toBe(true);
    expect(d.body.fallback).toMatchObject({
      reason: 'low-confidence',
      method: 'NEWS2',
      score: { name: 'NEWS2', version: 'RCP 2017', spo2Scale: 1 },
    });
    // RR 22 → 2, SpO2 94 → 1, air 0, SBP 104 → 1, HR 112 → 2, alert 0, 38.5 °C → 1.
    expect(d.body.fallback?.score?.total).toBe(7);
    expect(d.body.fallback?.score?.clinicalRisk).toBe('high');
  });

  test('below the threshold with no fallback configured or applicable: no recommendation, still 200', () => {
    for (const over of [
      { fallbackMode: 'none' as const },
      { input: { ...input, patient: { ageYears: 12 } } },
      { input: { ...input, patient: { pregnant: true } } },
    ]) {
      const d = decide(args(answer(0.2), over));
      if (d.kind !== 'answer') throw new Error();
      expect(d.body.requiresClinicianReview).toBe(true);
      expect(d.body.fallback).toMatchObject({ reason: 'low-confidence', method: 'no-recommendation' });
      expect(d.body.fallback?.score).toBeUndefined();
    }
  });
});

describe('model unavailable', () => {
  test.each([
    ['throttled', 'model-throttled'],
    ['not-ready', 'model-unavailable'],
    ['unavailable', 'model-unavailable'],
    ['timeout', 'model-timeout'],
    ['circuit-open', 'circuit-open'],
  ] as const)('%s → NEWS2 fallback with reason %s, no model fields', (reason, fallbackReason) => {
    const d = decide(args(unavailable(reason)));
    if (d.kind !== 'answer') throw new Error();
    expect(d.body).toMatchObject({
      score: null,
      label: null,
      confidence: null,
      requiresClinicianReview: true,
      model: { variant: null },
      fallback: { reason: fallbackReason, method: 'NEWS2' },
    });
  });

  test('without an applicable fallback: 503 problem with Retry-After', () => {
    const d = decide(args(unavailable('throttled'), { fallbackMode: 'none' }));
    expect(d.kind).toBe('problem');
    if (d.kind !== 'problem') throw new Error();
    expect(d.code).toBe('model-unavailable');
    expect(d.problem.status).toBe(503);
    expect(d.problem.headers['Retry-After']).toBe('7');
    expect(d.problem.type).toBe('model-unavailable');
    const open = decide(args(unavailable('circuit-open'), { fallbackMode: 'none' }));
    if (open.kind !== 'problem') throw new Error();
    expect(open.problem.type).toBe('model-circuit-open');
  });
});

describe('model error', () => {
  test.each(['model-error', 'invalid-response'] as const)('%s → 502 problem', (reason) => {
    const d = decide(args({ kind: 'model-error', reason, latencyMs: 3 }));
    if (d.kind !== 'problem') throw new Error();
    expect(d.code).toBe('model-error');
    expect(d.problem.status).toBe(502);
    expect(d.problem.type).toBe('model-error');
  });
});
