import type { Profile } from './schema';

/**
 * The capacity plan: every tier's limits, derived from the profile's stated load by Little's law
 * (items in the system = arrival rate × time each spends in it), times the profile's headroom.
 *
 * It is the one source of Lambda concurrency, API throttling, SageMaker autoscaling bounds and
 * Aurora capacity. Constructs take their numbers from here, never from literals.
 */
export interface CapacityPlan {
  /** Peak requests per second: clinicians × requests per clinician per minute / 60. */
  readonly peakRps: number;
  readonly lambda: {
    /** Concurrent executions at peak with no headroom: peakRps × latency. */
    readonly steadyConcurrency: number;
    /** Reserved concurrency of the request-serving function: steady × headroom. */
    readonly reservedConcurrency: number;
    /** Provisioned (pre-warmed) concurrency; 0 when the profile does not ask for it. */
    readonly provisionedConcurrency: number;
  };
  readonly api: {
    /** Stage-wide steady-state throttle (requests per second). */
    readonly rateLimit: number;
    /** Stage-wide burst throttle (requests). */
    readonly burstLimit: number;
  };
  readonly sagemaker: {
    /** Invocations per minute at peak. */
    readonly peakInvocationsPerMinute: number;
    readonly minInstances: number;
    readonly maxInstances: number;
    /** Instances needed at peak with headroom. */
    readonly requiredInstances: number;
    /** Target value for target tracking on SageMakerVariantInvocationsPerInstance (per minute). */
    readonly targetInvocationsPerInstance: number;
  };
  readonly aurora: {
    /** Concurrent database connections at peak with headroom: peakRps × queries × query latency × headroom. */
    readonly requiredConnections: number;
    /** ACU needed for those connections. */
    readonly requiredAcu: number;
    readonly minAcu: number;
    readonly maxAcu: number;
  };
}

/**
 * Aurora PostgreSQL sets max_connections to LEAST(DBInstanceClassMemory / 9531392, 5000); a Serverless v2
 * ACU is about 2 GiB, so one ACU of maximum capacity buys about 225 connections.
 */
export const AURORA_CONNECTIONS_PER_ACU = Math.floor((2 * 1024 ** 3) / 9531392);

/** AWS keeps 100 units of a region's Lambda concurrency unreserved. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

/** A stated limit that cannot carry the stated load. */
export interface CapacityShortfall {
  readonly path: string;
  readonly message: string;
}

const halfUp = (n: number): number => Math.ceil(n * 2) / 2;

/** Derives the capacity plan of a validated profile. Pure: the same profile always gives the same plan. */
export function planCapacity(profile: Profile): CapacityPlan {
  const { capacity: c, limits: l } = profile;
  const peakRps = (c.concurrentClinicians * c.requestsPerClinicianPerMinute) / 60;
  const latencyS = c.latencyTargetMs / 1000;
  const steadyConcurrency = Math.ceil(peakRps * latencyS);
  const reservedConcurrency = Math.ceil(peakRps * latencyS * c.headroom);
  const rateLimit = Math.ceil(peakRps * c.headroom);
  const peakInvocationsPerMinute = Math.ceil(peakRps * 60);
  const requiredInstances = Math.max(
    l.sagemaker.minInstances,
    Math.ceil((peakInvocationsPerMinute * c.headroom) / l.sagemaker.invocationsPerInstancePerMinute),
  );
  const requiredConnections = Math.ceil(
    peakRps * l.aurora.queriesPerRequest * (l.aurora.queryLatencyMs / 1000) * c.headroom,
  );
  const requiredAcu = Math.max(l.aurora.minAcu, halfUp(requiredConnections / AURORA_CONNECTIONS_PER_ACU));
  return {
    peakRps,
    lambda: {
      steadyConcurrency,
      reservedConcurrency,
      provisionedConcurrency: c.provisionedConcurrency ? steadyConcurrency : 0,
    },
    api: { rateLimit, burstLimit: Math.max(rateLimit * 2, reservedConcurrency) },
    sagemaker: {
      peakInvocationsPerMinute,
      minInstances: l.sagemaker.minInstances,
      maxInstances: l.sagemaker.maxInstances,
      requiredInstances,
      targetInvocationsPerInstance: Math.max(
        1,
        Math.floor(l.sagemaker.invocationsPerInstancePerMinute / c.headroom),
      ),
    },
    aurora: { requiredConnections, requiredAcu, minAcu: l.aurora.minAcu, maxAcu: l.aurora.maxAcu },
  };
}

const pct = (short: number, of: number): string => `${Math.ceil((short / of) * 100)}%`;

/** Every stated limit that cannot carry the plan, with the amount it falls short by. */
export function findShortfalls(profile: Profile, plan: CapacityPlan): CapacityShortfall[] {
  const out: CapacityShortfall[] = [];
  const lambdaBudget = profile.limits.lambdaAccountConcurrency - LAMBDA_UNRESERVED_MINIMUM;
  if (plan.lambda.reservedConcurrency > lambdaBudget) {
    const short = plan.lambda.reservedConcurrency - lambdaBudget;
    out.push({
      path: 'limits.lambdaAccountConcurrency',
      message: `is ${profile.limits.lambdaAccountConcurrency}, which leaves ${lambdaBudget} reservable after AWS's ${LAMBDA_UNRESERVED_MINIMUM} unreserved, but the load needs ${plan.lambda.reservedConcurrency} concurrent executions (short by ${short}, ${pct(short, plan.lambda.reservedConcurrency)}); request a quota increase`,
    });
  }
  if (plan.api.rateLimit > profile.limits.apiAccountRps) {
    const short = plan.api.rateLimit - profile.limits.apiAccountRps;
    out.push({
      path: 'limits.apiAccountRps',
      message: `is ${profile.limits.apiAccountRps} rps but the load needs ${plan.api.rateLimit} rps (short by ${short}, ${pct(short, plan.api.rateLimit)})`,
    });
  }
  if (plan.sagemaker.requiredInstances > plan.sagemaker.maxInstances) {
    const short = plan.sagemaker.requiredInstances - plan.sagemaker.maxInstances;
    out.push({
      path: 'limits.sagemaker.maxInstances',
      message: `is ${plan.sagemaker.maxInstances} but ${plan.sagemaker.peakInvocationsPerMinute} invocations/min with headroom ${profile.capacity.headroom} need ${plan.sagemaker.requiredInstances} instances of ${profile.limits.sagemaker.invocationsPerInstancePerMinute}/min each (short by ${short}, ${pct(short, plan.sagemaker.requiredInstances)})`,
    });
  }
  if (plan.aurora.requiredAcu > plan.aurora.maxAcu) {
    const short = plan.aurora.requiredAcu - plan.aurora.maxAcu;
    out.push({
      path: 'limits.aurora.maxAcu',
      message: `is ${plan.aurora.maxAcu} ACU but ${plan.aurora.requiredConnections} concurrent connections need ${plan.aurora.requiredAcu} ACU at ${AURORA_CONNECTIONS_PER_ACU} connections per ACU (short by ${short} ACU, ${pct(short, plan.aurora.requiredAcu)})`,
    });
  }
  return out;
}
