import { CIRCUIT_STATE_VALUE, CircuitBreaker } from '../../../lambdas/shared/circuit-breaker';

function breaker(threshold = 3, openMs = 30_000) {
  let now = 1_000_000;
  const b = new CircuitBreaker({ failureThreshold: threshold, openMs, now: () => now });
  return { b, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  test('stays closed below the threshold; a success resets the count', () => {
    const { b } = breaker(3);
    expect(b.recordFailure()).toBe(false);
    expect(b.recordFailure()).toBe(false);
    b.recordSuccess();
    expect(b.recordFailure()).toBe(false);
    expect(b.recordFailure()).toBe(false);
    expect(b.state).toBe('closed');
    expect(b.admit()).toEqual({ allowed: true });
  });

  test('opens on the threshold-th consecutive failure and fails fast with the time left', () => {
    const { b, advance } = breaker(3, 30_000);
    b.recordFailure();
    b.recordFailure();
    expect(b.recordFailure()).toBe(true);
    expect(b.state).toBe('open');
    advance(10_000);
    expect(b.admit()).toEqual({ allowed: false, retryAfterMs: 20_000 });
  });

  test('half-open after the open period admits exactly one probe', () => {
    const { b, advance } = breaker(1, 5_000);
    b.recordFailure();
    advance(5_000);
    expect(b.state).toBe('half-open');
    expect(b.admit()).toEqual({ allowed: true });
    expect(b.admit().allowed).toBe(false);
  });

  test('a successful probe closes, a failed probe re-opens for a full period', () => {
    const { b, advance } = breaker(2, 5_000);
    b.recordFailure();
    b.recordFailure();
    advance(5_000);
    b.admit();
    expect(b.recordFailure()).toBe(true);
    expect(b.state).toBe('open');
    advance(4_999);
    expect(b.admit().allowed).toBe(false);
    advance(1);
    expect(b.admit().allowed).toBe(true);
    b.recordSuccess();
    expect(b.state).toBe('closed');
  });

  test('a neutral outcome frees the probe slot without closing or opening', () => {
    const { b, advance } = breaker(1, 1_000);
    b.recordFailure();
    advance(1_000);
    expect(b.admit().allowed).toBe(true);
    b.recordNeutral();
    expect(b.state).toBe('half-open');
    expect(b.admit().allowed).toBe(true);
  });

  test('retry-after is never below a second', () => {
    const { b, advance } = breaker(1, 1_500);
    b.recordFailure();
    advance(1_200);
    expect(b.admit()).toEqual({ allowed: false, retryAfterMs: 1_000 });
  });

  test('validates its options', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, openMs: 1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1.5, openMs: 1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1, openMs: 0 })).toThrow(RangeError);
  });

  test('state values for the CircuitState metric', () => {
    expect(CIRCUIT_STATE_VALUE).toEqual({ closed: 0, 'half-open': 1, open: 2 });
  });
});
