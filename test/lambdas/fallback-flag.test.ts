import { FallbackFlag, FlaggedCircuitBreaker } from '../../lambdas/shared/fallback-flag';

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('FallbackFlag', () => {
  test('reads once per TTL and follows the parameter', async () => {
    const c = clock();
    const values = ['off', 'on'];
    const read = jest.fn(() => Promise.resolve(values.shift()));
    const flag = new FallbackFlag({ read, ttlMs: 30_000, now: c.now });
    expect(await flag.refresh()).toBe(false);
    c.advance(29_999);
    expect(await flag.refresh()).toBe(false);
    expect(read).toHaveBeenCalledTimes(1);
    c.advance(1);
    expect(await flag.refresh()).toBe(true);
    expect(flag.on).toBe(true);
    expect(flag.lastSource).toBe('parameter');
    expect(read).toHaveBeenCalledTimes(2);
  });

  test('fails safe to on when the read fails or the value is unexpected, and recovers on the next good read', async () => {
    const c = clock();
    const reads: (() => Promise<string | undefined>)[] = [
      () => Promise.reject(Object.assign(new Error('x'), { name: 'ThrottlingException' })),
      () => Promise.resolve('maybe'),
      () => Promise.resolve(undefined),
      () => Promise.resolve(' OFF '),
    ];
    const flag = new FallbackFlag({ read: () => reads.shift()!(), ttlMs: 1000, now: c.now });
    for (let i = 0; i < 3; i++) {
      expect(await flag.refresh()).toBe(true);
      expect(flag.lastSource).toBe('fail-safe');
      c.advance(1000);
    }
    expect(await flag.refresh()).toBe(false);
    expect(flag.lastSource).toBe('parameter');
  });

  test('concurrent requests share one read', async () => {
    let release!: (v: string) => void;
    const read = jest.fn(() => new Promise<string>((r) => (release = r)));
    const flag = new FallbackFlag({ read, ttlMs: 1000 });
    const all = Promise.all([flag.refresh(), flag.refresh(), flag.refresh()]);
    release('on');
    expect(await all).toEqual([true, true, true]);
    expect(read).toHaveBeenCalledTimes(1);
  });

  test('rejects a negative TTL', () => {
    expect(() => new FallbackFlag({ read: () => Promise.resolve('off'), ttlMs: -1 })).toThrow(RangeError);
  });
});

describe('FlaggedCircuitBreaker', () => {
  test('held open while the flag is on, its own state otherwise', () => {
    const flag = { on: true };
    const breaker = new FlaggedCircuitBreaker({ failureThreshold: 2, openMs: 30_000 }, flag);
    expect(breaker.state).toBe('open');
    expect(breaker.admit()).toEqual({ allowed: false, retryAfterMs: 30_000 });
    flag.on = false;
    expect(breaker.state).toBe('closed');
    expect(breaker.admit()).toEqual({ allowed: true });
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
  });
});
