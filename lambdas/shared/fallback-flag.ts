/**
 * The fleet-wide fallback switch: an SSM parameter (`/<prefix>/api/fallback-mode`, `on` | `off`) that the
 * incident-response function flips on sustained endpoint errors and back on recovery
 * (stacks/observability-stack.ts). Every container reads it at most once per `ttlMs`, so a flip reaches the whole
 * fleet within that time without putting a network call in front of every prediction.
 *
 * Fails safe: when the parameter cannot be read (throttled, no permission, missing, garbage), the flag counts as
 * `on` until the next successful read, so an outage of the switch never sends traffic to a model the platform
 * was told to stop trusting. Clinicians then get the documented fallback with `requiresClinicianReview: true`.
 */
import {
  CircuitBreaker,
  type Admission,
  type CircuitBreakerOptions,
  type CircuitState,
} from './circuit-breaker';

export interface FallbackFlagOptions {
  /** Reads the parameter's current value. */
  readonly read: () => Promise<string | undefined>;
  /** How long a value is trusted (ms). */
  readonly ttlMs: number;
  /**
   * Clock, for tests.
   * @default Date.now
   */
  readonly now?: () => number;
}

export type FlagSource = 'parameter' | 'fail-safe';

export class FallbackFlag {
  private readonly read: () => Promise<string | undefined>;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private value = false;
  private source: FlagSource = 'fail-safe';
  private readAt: number | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(options: FallbackFlagOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs < 0) throw new RangeError('ttlMs must be >= 0');
    this.read = options.read;
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
  }

  /** The last known value: true forces the fallback. Call {@link refresh} first on each request. */
  get on(): boolean {
    return this.value;
  }

  /** Where the last value came from: the parameter, or the fail-safe after a failed read. */
  get lastSource(): FlagSource {
    return this.source;
  }

  /** Re-reads the parameter when the cached value is older than the TTL; concurrent callers share one read. */
  async refresh(): Promise<boolean> {
    if (this.readAt !== undefined && this.now() - this.readAt < this.ttlMs) return this.value;
    this.inFlight ??= this.load().finally(() => (this.inFlight = undefined));
    await this.inFlight;
    return this.value;
  }

  private async load(): Promise<void> {
    try {
      const v = (await this.read())?.trim().toLowerCase();
      if (v !== 'on' && v !== 'off') throw new Error('unexpected flag value');
      this.value = v === 'on';
      this.source = 'parameter';
    } catch {
      this.value = true;
      this.source = 'fail-safe';
    }
    this.readAt = this.now();
  }
}

/**
 * The container's circuit breaker, held open while the fleet-wide flag is on: the inference step then fails fast
 * with `circuit-open` and the decision step answers with the documented fallback, exactly as when this
 * container's own breaker opens.
 */
export class FlaggedCircuitBreaker extends CircuitBreaker {
  constructor(
    options: CircuitBreakerOptions,
    private readonly flag: Pick<FallbackFlag, 'on'>,
  ) {
    super(options);
  }

  override get state(): CircuitState {
    return this.flag.on ? 'open' : super.state;
  }

  override admit(): Admission {
    if (this.flag.on) return { allowed: false, retryAfterMs: this.openMs };
    return super.admit();
  }
}
