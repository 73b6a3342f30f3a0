import {
  InternalFailure,
  InvokeEndpointCommand,
  ModelError,
  ModelNotReadyException,
  SageMakerRuntimeClient,
  ServiceUnavailable,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import {
  classifyInvokeError,
  infer,
  MIN_BUDGET_MS,
  type InferenceCall,
} from '../../../lambdas/predictions/inference';
import { parsePredictionRequest } from '../../../lambdas/predictions/request';
import { CircuitBreaker } from '../../../lambdas/shared/circuit-breaker';
import { VALID_BODY } from './support/events';

const parsed = parsePredictionRequest(VALID_BODY);
if (!parsed.ok) throw new Error('fixture');
const features = parsed.input.features;

const client = new SageMakerRuntimeClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const sm = mockClient(client);
const settings = { endpointName: 'deterioration-risk', budgetMs: 3000, reserveMs: 2500 };
const call = (over: Partial<InferenceCall> = {}): InferenceCall => ({
  features,
  predictionId: 'pred-1',
  remainingMs: 10_000,
  signal: new AbortController().signal,
  ...over,
});
const body = (o: unknown) => new TextEncoder().encode(JSON.stringify(o)) as never;
const meta = (status: number) => ({ $metadata: { httpStatusCode: status }, message: 'redacted' });

beforeEach(() => sm.reset());

describe('infer', () => {
  test('sends the features as JSON with the prediction id as InferenceId, returns the answer and variant', async () => {
    sm.on(InvokeEndpointCommand).resolves({
      Body: body({ score: 0.4, label: 'low-risk', confidence: 0.91, extra: 'ignored' }),
      InvokedProductionVariant: 'green',
      $metadata: {},
    });
    const b = new CircuitBreaker({ failureThreshold: 3, openMs: 1000 });
    const out = await infer(client, b, settings, call());
    expect(out).toMatchObject({
      kind: 'answer',
      score: 0.4,
      label: 'low-risk',
      confidence: 0.91,
      variant: 'green',
    });
    const sent = sm.commandCalls(InvokeEndpointCommand)[0].args[0].input;
    expect(sent).toMatchObject({
      EndpointName: 'deterioration-risk',
      ContentType: 'application/json',
      Accept: 'application/json',
      InferenceId: 'pred-1',
    });
    expect(JSON.parse(Buffer.from(sent.Body as Uint8Array).toString())).toEqual({
      respiration_rate: 22,
      spo2: 94,
      spo2_scale: 1,
      supplemental_oxygen: 0,
      systolic_bp: 104,
      pulse: 112,
      consciousness: 'A',
      temperature: 38.5,
      age: 71,
      weight: 79.83,
      glucose: 9.99,
    });
  });

  test('an unusable variant name is reported as null', async () => {
    sm.on(InvokeEndpointCommand).resolves({
      Body: body({ score: 0.4, label: 'x', confidence: 0.9 }),
      InvokedProductionVariant: 'bad name!',
      $metadata: {},
    });
    const out = await infer(
      client,
      new CircuitBreaker({ failureThreshold: 3, openMs: 1000 }),
      settings,
      call(),
    );
    expect(out).toMatchObject({ kind: 'answer', variant: null });
  });

  test.each([
    ['not JSON', new TextEncoder().encode('oops')],
    ['score out of range', body({ score: 1.2, label: 'x', confidence: 0.9 })],
    ['missing confidence', body({ score: 0.2, label: 'x' })],
    ['empty', undefined],
  ])(
    'a response that breaks the serving contract (%s) is a model error and counts against the circuit',
    async (_n, b) => {
      sm.on(InvokeEndpointCommand).resolves({ Body: b as never, $metadata: {} });
      const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000 });
      const out = await infer(client, breaker, settings, call());
      expect(out).toMatchObject({ kind: 'model-error', reason: 'invalid-response' });
      expect(breaker.state).toBe('open');
    },
  );

  test.each([
    ['ModelError 424', new ModelError(meta(424) as never), 'model-error', undefined],
    ['ModelNotReady 429', new ModelNotReadyException(meta(429) as never), 'unavailable', 'not-ready'],
    [
      'ThrottlingException',
      Object.assign(new Error('x'), { name: 'ThrottlingException', ...meta(400) }),
      'unavailable',
      'throttled',
    ],
    ['ServiceUnavailable 503', new ServiceUnavailable(meta(503) as never), 'unavailable', 'unavailable'],
    ['InternalFailure 500', new InternalFailure(meta(500) as never), 'unavailable', 'unavailable'],
    [
      'ValidationError (endpoint missing)',
      new ValidationError(meta(400) as never),
      'unavailable',
      'unavailable',
    ],
    ['socket timeout', Object.assign(new Error('x'), { name: 'TimeoutError' }), 'unavailable', 'timeout'],
  ])('%s', async (_n, error, kind, reason) => {
    sm.on(InvokeEndpointCommand).rejects(error);
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000 });
    const out = await infer(client, breaker, settings, call());
    expect(out.kind).toBe(kind);
    if (reason) expect(out).toMatchObject({ reason });
    expect(breaker.state).toBe('open');
  });

  test('classification of throttling by status and Retry-After hints', () => {
    expect(classifyInvokeError({ name: 'Whatever', $metadata: { httpStatusCode: 429 } })).toMatchObject({
      reason: 'throttled',
      retryAfterSeconds: 2,
    });
    expect(classifyInvokeError(new Error('x'))).toMatchObject({
      reason: 'unavailable',
      retryAfterSeconds: 5,
    });
  });

  test('the budget aborts a slow endpoint: timeout outcome, circuit failure', async () => {
    const slow = {
      send: (_cmd: unknown, opts: { abortSignal: AbortSignal }) =>
        new Promise((_resolve, reject) =>
          opts.abortSignal.addEventListener('abort', () =>
            reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
          ),
        ),
    } as unknown as SageMakerRuntimeClient;
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000 });
    const started = Date.now();
    const out = await infer(slow, breaker, { ...settings, budgetMs: 150 }, call());
    expect(out).toMatchObject({ kind: 'unavailable', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(breaker.state).toBe('open');
  });

  test('the budget never exceeds the time left before the Lambda deadline minus the reserve', async () => {
    let seen: AbortSignal | undefined;
    const slow = {
      send: (_cmd: unknown, opts: { abortSignal: AbortSignal }) => {
        seen = opts.abortSignal;
        return new Promise((_r, reject) =>
          opts.abortSignal.addEventListener('abort', () =>
            reject(Object.assign(new Error(), { name: 'AbortError' })),
          ),
        );
      },
    } as unknown as SageMakerRuntimeClient;
    const started = Date.now();
    await infer(
      slow,
      new CircuitBreaker({ failureThreshold: 5, openMs: 1000 }),
      settings,
      call({ remainingMs: 2700 }),
    );
    expect(seen?.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test('no time left: timeout without calling the endpoint, circuit unaffected', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000 });
    const out = await infer(
      client,
      breaker,
      settings,
      call({ remainingMs: settings.reserveMs + MIN_BUDGET_MS - 1 }),
    );
    expect(out).toMatchObject({ kind: 'unavailable', reason: 'timeout' });
    expect(sm.calls()).toHaveLength(0);
    expect(breaker.state).toBe('closed');
  });

  test('an open circuit fails fast without calling the endpoint', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 30_000 });
    breaker.recordFailure();
    const out = await infer(client, breaker, settings, call());
    expect(out).toMatchObject({ kind: 'unavailable', reason: 'circuit-open', retryAfterSeconds: 30 });
    expect(sm.calls()).toHaveLength(0);
  });

  test("the request's own deadline propagates and leaves the circuit as it was", async () => {
    const controller = new AbortController();
    const slow = {
      send: (_cmd: unknown, opts: { abortSignal: AbortSignal }) =>
        new Promise((_r, reject) =>
          opts.abortSignal.addEventListener('abort', () =>
            reject(Object.assign(new Error(), { name: 'AbortError' })),
          ),
        ),
    } as unknown as SageMakerRuntimeClient;
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000 });
    const pending = infer(slow, breaker, settings, call({ signal: controller.signal }));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(breaker.state).toBe('closed');
  });

  test('a success closes a half-open circuit', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 10, now: () => now });
    breaker.recordFailure();
    now = 10;
    sm.on(InvokeEndpointCommand).resolves({
      Body: body({ score: 0.1, label: 'l', confidence: 0.9 }),
      $metadata: {},
    });
    await infer(client, breaker, settings, call());
    expect(breaker.state).toBe('closed');
  });
});
