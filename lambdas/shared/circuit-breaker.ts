/**
 * A circuit breaker around a remote dependency: after `failureThreshold` consecutive failures it opens and
 * callers fail fast (to a fallback) for `openMs`; then one probe request is let through (half-open). A
 * successful probe closes the circuit, a failed one re-opens it for another `openMs`.
 *
 * State is per Lambda execution environment (container). Each container learns on its own that the
 * endpoint is failing, after `failureThreshold` requests of its own; with N warm containers the fleet sends
 * at most N × threshold requests to a failing endpoint per open period. That is deliberate: shared state
 * would put a network call (and a new failure mode) in front of every prediction. A fleet-wide switch is a
 * runtime flag (issue 7: fallback flag in SSM/AppConfig), not this class.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

/** Numeric value of each state for the `CircuitState` metric (0 closed, 1 half-open, 2 open). */
export const CIRCUIT_STATE_VALUE: Readonly<Record<CircuitState, number>> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (>= 1). */
  readonly failureThreshold: number;
  /** How long the circuit stays open before a probe is allowed (ms, >= 1). */
  readonly openMs: number;
  /**
   * Clock, for tests.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** Whether a call may go ahead, and if not, when to try again. */
export type Admission =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly openMs: number;
  private readonly now: () => number;
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private probeInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError('failureThreshold must be an integer >= 1');
    }
    if (!Number.isFinite(options.openMs) || options.openMs < 1) throw new RangeError('openMs must be >= 1');
    this.failureThreshold = options.failureThreshold;
    this.openMs = options.openMs;
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.openMs ? 'half-open' : 'open';
  }

  /**
   * Asks to make a call. In the half-open state only one probe is admitted at a time; everyone else fails
   * fast until the probe reports.
   */
  admit(): Admission {
    const state = this.state;
    if (state === 'closed') return { allowed: true };
    if (state === 'half-open' && !this.probeInFlight) {
      this.probeInFlight = true;
      return { allowed: true };
    }
    const elapsed = this.now() - (this.openedAt ?? this.now());
    return { allowed: false, retryAfterMs: Math.max(1000, this.openMs - elapsed) };
  }

  /** The call succeeded: close the circuit. */
  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.openedAt = undefined;
    this.probeInFlight = false;
  }

  /** The call failed in a way that says the dependency is unhealthy. Returns true when this opened the circuit. */
  recordFailure(): boolean {
    this.consecutiveFailures += 1;
    const wasProbe = this.probeInFlight;
    this.probeInFlight = false;
    if (wasProbe || (this.openedAt === undefined && this.consecutiveFailures >= this.failureThreshold)) {
      this.openedAt = this.now();
      return true;
    }
    return false;
  }

  /** The call ended without saying anything about the dependency (e.g. our own deadline): free the probe slot. */
  recordNeutral(): void {
    this.probeInFlight = false;
  }
}
