import type { PlatformConfig } from '../../lib/config';
import { type StorePosture, drPosture as statedDrPosture } from '../../lib/config/dr-posture';
import { type RecoveryTarget, recoveryTargets } from '../../lib/config/recovery';
import { type DataStore, type Inventory, isPhiStore } from './inventory';
import { type AssemblyIndex, type SynthesizedStack, cmp, dig, isObject } from './templates';

/**
 * Disaster-recovery posture and capacity plan of a profile: the stated targets beside the mechanisms the
 * templates deploy to meet them (45 CFR 164.308(a)(7)(ii)(B) disaster recovery plan, 164.308(a)(7)(i)
 * contingency plan).
 */

export interface DrMechanism {
  /** e.g. `S3 replication with RTC`, `AWS Backup copy`, `point-in-time recovery`. */
  readonly mechanism: string;
  readonly scope: 'cross-region' | 'in-region';
  /** The stores it protects. */
  readonly stores: readonly string[];
}

/** The data tier's stated posture of one store (lib/config/dr-posture.ts) beside what the templates deploy. */
export interface StatedStorePosture {
  readonly store: string;
  readonly holds: string;
  readonly resourceType: string;
  readonly mechanism: string;
  readonly rpo: string;
  readonly rto: string;
  /** Upper bounds in seconds where the figure is a number (null: depends on data size). */
  readonly rpoSeconds: number | null;
  readonly rtoSeconds: number | null;
  /**
   * The profile's targets for this store (`recovery.rpoSeconds.<class>`, `recovery.rtoSeconds.<class>`), which
   * validation has checked against the bounds above; null when the profile states none.
   */
  readonly rpoTargetSeconds: number | null;
  readonly rtoTargetSeconds: number | null;
  /** The AWS documentation pages the RPO and RTO figures come from. */
  readonly sources: readonly string[];
  readonly pointInTimeRecovery: string;
  readonly backup: string;
  /** The stores of that type the templates deploy (a global database: its clusters). */
  readonly inTemplates: readonly string[];
}

export interface DrPosture {
  /** What the data tier states for each store: mechanism, RPO and RTO with their AWS sources. */
  readonly stated: readonly StatedStorePosture[];
  readonly multiRegion: boolean;
  readonly primaryRegion: string;
  readonly drRegion: string | null;
  readonly mechanisms: readonly DrMechanism[];
  /**
   * PHI stores of the primary region with neither a replica nor a backup copy in the DR region (multi-region
   * profiles only): each is a gap in the disaster-recovery plan.
   */
  readonly primaryStoresWithoutDrCopy: readonly string[];
}

export type CapacityStatus = 'matches' | 'differs' | 'not-in-templates' | 'not-planned';

export interface CapacityCheck {
  readonly item: string;
  /** The value the capacity plan derives from the stated load. */
  readonly planned: number;
  /** Every value the templates deploy for it; the status is judged on the primary region's. */
  readonly found: readonly { readonly region: string; readonly resource: string; readonly value: number }[];
  readonly status: CapacityStatus;
}

export interface CapacityEvidence {
  /** The load the profile states. */
  readonly stated: {
    readonly concurrentClinicians: number;
    readonly requestsPerClinicianPerMinute: number;
    readonly latencyTargetMs: number;
    readonly headroom: number;
    readonly provisionedConcurrency: boolean;
  };
  /** The plan derived by Little's law (lib/config/capacity.ts). */
  readonly plan: PlatformConfig['capacity'];
  /** Each planned limit beside the values the templates deploy. */
  readonly checks: readonly CapacityCheck[];
}

export function drPosture(config: PlatformConfig, inventory: Inventory): DrPosture {
  const { regions } = config.profile;
  const mechanisms = new Map<string, { scope: DrMechanism['scope']; stores: Set<string> }>();
  const add = (mechanism: string, scope: DrMechanism['scope'], store: string): void => {
    const m = mechanisms.get(mechanism) ?? { scope, stores: new Set<string>() };
    m.stores.add(store);
    mechanisms.set(mechanism, m);
  };
  for (const store of inventory.stores) {
    for (const r of store.replicas)
      add(r.mechanism.replace(/, replica key .*$/, ''), 'cross-region', store.id);
    for (const b of store.backups) {
      const schedule = b.continuous ? 'continuous' : (b.schedule ?? 'on demand');
      add(`AWS Backup (${schedule}, kept ${b.retentionDays ?? '∞'} days)`, 'in-region', store.id);
      for (const c of b.copies) {
        if (c.region !== store.region)
          add(
            `AWS Backup copy to ${c.region} (kept ${c.retentionDays ?? '∞'} days)`,
            'cross-region',
            store.id,
          );
      }
    }
    for (const fact of store.retention) {
      if (
        fact.startsWith('point-in-time recovery') ||
        fact.startsWith('versioning') ||
        fact.startsWith('automated backups')
      ) {
        add(fact, 'in-region', store.id);
      }
    }
  }
  const gaps = regions.dr
    ? inventory.stores
        .filter((s) => s.region === regions.primary && isPhiStore(s))
        .filter((s) => !hasDrCopy(s, regions.dr!))
        .map((s) => s.id)
    : [];
  return {
    stated: statedDrPosture(config).map((p) => stated(p, inventory, recoveryTargets(config))),
    multiRegion: config.multiRegion,
    primaryRegion: regions.primary,
    drRegion: regions.dr ?? null,
    mechanisms: [...mechanisms.entries()]
      .map(([mechanism, m]) => ({ mechanism, scope: m.scope, stores: [...m.stores].sort(cmp) }))
      .sort((a, b) => cmp(a.scope, b.scope) || cmp(a.mechanism, b.mechanism)),
    primaryStoresWithoutDrCopy: gaps.sort(cmp),
  };
}

const TEMPLATE_TYPES: Record<string, readonly string[]> = {
  // A global database is deployed as clusters that belong to it.
  'AWS::RDS::GlobalCluster': ['AWS::RDS::DBCluster'],
};

function stated(
  p: StorePosture,
  inventory: Inventory,
  targets: readonly RecoveryTarget[],
): StatedStorePosture {
  const types = TEMPLATE_TYPES[p.resourceType] ?? [p.resourceType];
  const target = (objective: RecoveryTarget['objective']): number | null =>
    targets.find((t) => t.store === p.store && t.objective === objective)?.targetSeconds ?? null;
  return {
    store: p.store,
    holds: p.holds,
    resourceType: p.resourceType,
    mechanism: p.mechanism,
    rpo: p.rpo.summary,
    rto: p.rto.summary,
    rpoSeconds: p.rpo.seconds,
    rtoSeconds: p.rto.seconds,
    rpoTargetSeconds: target('rpo'),
    rtoTargetSeconds: target('rto'),
    sources: [...new Set([p.rpo.source, p.rto.source])],
    pointInTimeRecovery: p.pointInTimeRecovery,
    backup: p.backup,
    inTemplates: inventory.stores
      .filter((s) => types.includes(s.type) && (s.kind === 'backup-vault' || isPhiStore(s)))
      .map((s) => s.id),
  };
}

function hasDrCopy(store: DataStore, drRegion: string): boolean {
  return (
    store.replicas.some((r) => r.region === drRegion) ||
    store.backups.some((b) => b.copies.some((c) => c.region === drRegion))
  );
}

/** Reads a number the templates give literally; intrinsics (unknown at synth) are skipped. */
const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined;

interface Probe {
  readonly item: string;
  readonly planned: number;
  readonly types: readonly string[];
  readonly read: (props: Record<string, unknown>, stack: SynthesizedStack) => number | undefined;
}

/** The capacity plan beside what the templates deploy: every planned limit should appear as planned. */
export function capacityEvidence(
  config: PlatformConfig,
  index: AssemblyIndex,
  pathOf: (stack: SynthesizedStack, logicalId: string) => string,
): CapacityEvidence {
  const c = config.capacity;
  const stageSetting = (key: string) => (p: Record<string, unknown>) => {
    const settings = Array.isArray(p.MethodSettings) ? (p.MethodSettings as unknown[]) : [];
    const all =
      settings.filter(isObject).find((s) => s.ResourcePath === '/*' && s.HttpMethod === '*') ??
      settings.filter(isObject)[0];
    return num(all?.[key]);
  };
  const sagemakerTarget = (key: string) => (p: Record<string, unknown>) =>
    p.ServiceNamespace === 'sagemaker' ? num(p[key]) : undefined;
  const probes: Probe[] = [
    {
      item: 'Lambda reserved concurrency of the request-serving function',
      planned: c.lambda.reservedConcurrency,
      types: ['AWS::Lambda::Function'],
      read: (p) =>
        num(p.ReservedConcurrentExecutions) === c.lambda.reservedConcurrency
          ? c.lambda.reservedConcurrency
          : undefined,
    },
    {
      item: 'Lambda provisioned concurrency',
      planned: c.lambda.provisionedConcurrency,
      types: ['AWS::Lambda::Alias', 'AWS::Lambda::Version'],
      read: (p) => num(dig(p, 'ProvisionedConcurrencyConfig', 'ProvisionedConcurrentExecutions')),
    },
    {
      item: 'API stage throttling rate (requests/s)',
      planned: c.api.rateLimit,
      types: ['AWS::ApiGateway::Stage'],
      read: stageSetting('ThrottlingRateLimit'),
    },
    {
      item: 'API stage throttling burst (requests)',
      planned: c.api.burstLimit,
      types: ['AWS::ApiGateway::Stage'],
      read: stageSetting('ThrottlingBurstLimit'),
    },
    {
      item: 'SageMaker autoscaling minimum instances',
      planned: c.sagemaker.minInstances,
      types: ['AWS::ApplicationAutoScaling::ScalableTarget'],
      read: sagemakerTarget('MinCapacity'),
    },
    {
      item: 'SageMaker autoscaling maximum instances',
      planned: c.sagemaker.maxInstances,
      types: ['AWS::ApplicationAutoScaling::ScalableTarget'],
      read: sagemakerTarget('MaxCapacity'),
    },
    {
      item: 'SageMaker target invocations per instance per minute',
      planned: c.sagemaker.targetInvocationsPerInstance,
      types: ['AWS::ApplicationAutoScaling::ScalingPolicy'],
      read: (p) => num(dig(p, 'TargetTrackingScalingPolicyConfiguration', 'TargetValue')),
    },
    {
      item: 'Aurora Serverless v2 minimum ACU',
      planned: c.aurora.minAcu,
      types: ['AWS::RDS::DBCluster'],
      read: (p) => num(dig(p, 'ServerlessV2ScalingConfiguration', 'MinCapacity')),
    },
    {
      item: 'Aurora Serverless v2 maximum ACU',
      planned: c.aurora.maxAcu,
      types: ['AWS::RDS::DBCluster'],
      read: (p) => num(dig(p, 'ServerlessV2ScalingConfiguration', 'MaxCapacity')),
    },
  ];
  const checks = probes.map((probe): CapacityCheck => {
    const found = index
      .resourcesOfType(...probe.types)
      .map((r) => ({ r, value: probe.read(r.resource.Properties ?? {}, r.stack) }))
      .filter((x): x is { r: typeof x.r; value: number } => x.value !== undefined)
      .map(({ r, value }) => ({ region: r.stack.region, resource: pathOf(r.stack, r.logicalId), value }))
      .sort((a, b) => cmp(a.region, b.region) || cmp(a.resource, b.resource));
    // Judged on the primary region: the DR region may deliberately run warm at a lower scale.
    const primary = found.filter((f) => f.region === config.profile.regions.primary);
    const judged = primary.length > 0 ? primary : found;
    const status: CapacityStatus =
      probe.planned === 0 && found.length === 0
        ? 'not-planned'
        : found.length === 0
          ? 'not-in-templates'
          : judged.every((f) => f.value === probe.planned)
            ? 'matches'
            : 'differs';
    return { item: probe.item, planned: probe.planned, found, status };
  });
  const s = config.profile.capacity;
  return {
    stated: {
      concurrentClinicians: s.concurrentClinicians,
      requestsPerClinicianPerMinute: s.requestsPerClinicianPerMinute,
      latencyTargetMs: s.latencyTargetMs,
      headroom: s.headroom,
      provisionedConcurrency: s.provisionedConcurrency,
    },
    plan: c,
    checks,
  };
}
