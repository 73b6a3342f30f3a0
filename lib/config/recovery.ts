import { z } from 'zod';
import { drPosture, type StorePosture } from './dr-posture';
import type { PlatformConfig } from './index';

/**
 * Recovery point and recovery time objectives, stated in the profile per class of store, and the check that the
 * mechanisms the platform deploys can meet them (lib/config/dr-posture.ts holds each mechanism's documented
 * bound). A target tighter than the bound, or a target on a store whose recovery time depends on the data size,
 * fails the profile before any construct is built (45 CFR 164.308(a)(7)(ii)(B) disaster recovery plan).
 */

/** The classes of store a target can name, and the store of the data tier (`drPosture().store`) each one means. */
export const RECOVERY_STORES = {
  /** Relational clinical data (Aurora). */
  database: 'aurora-clinical',
  /** Audit records and idempotency keys (DynamoDB). */
  table: 'dynamodb-audit-idempotency',
  /** Clinical documents, ingestion payloads, model artefacts and data capture (S3). */
  documents: 's3-documents-models-data-capture',
  /** The recovery points of every store (AWS Backup vaults). */
  backups: 'backup-vaults',
} as const;

export type RecoveryStore = keyof typeof RECOVERY_STORES;

const seconds = z.number().int().min(0, { message: 'must be a number of seconds, 0 or more' });

const perStore = z
  .object({
    /**
     * Target for the relational clinical data.
     * @default - no target stated
     */
    database: seconds.optional(),
    /**
     * Target for the audit and idempotency table.
     * @default - no target stated
     */
    table: seconds.optional(),
    /**
     * Target for documents, model artefacts and data capture.
     * @default - no target stated
     */
    documents: seconds.optional(),
    /**
     * Target for the backup vaults.
     * @default - no target stated
     */
    backups: seconds.optional(),
  })
  .strict();

export const RecoverySchema = z
  .object({
    /**
     * Recovery point objective per class of store, in seconds: the data a regional failover may lose.
     * @default {} (no target stated)
     */
    rpoSeconds: perStore.default({}),
    /**
     * Recovery time objective per class of store, in seconds: how long until the store serves again after a
     * regional failover.
     * @default {} (no target stated)
     */
    rtoSeconds: perStore.default({}),
  })
  .strict();

export type RecoveryInput = z.input<typeof RecoverySchema>;
export type Recovery = z.output<typeof RecoverySchema>;

/** One target the mechanisms cannot meet: the field's path (from the profile root) and why. */
export interface RecoveryShortfall {
  readonly path: string;
  readonly message: string;
}

/** The stores a multi-region profile must state both objectives for: the ones replicated to the DR region. */
const REQUIRED_IN_MULTI_REGION: readonly RecoveryStore[] = ['database', 'table', 'documents'];

/** The first clause of a posture summary, for a one-line message. */
const clause = (summary: string): string => summary.split(';')[0].trim();

/** A store's target beside its mechanism's bound, for the README and the evidence report. */
export interface RecoveryTarget {
  readonly class: RecoveryStore;
  readonly store: string;
  readonly objective: 'rpo' | 'rto';
  /** The profile's target in seconds, or null when it states none. */
  readonly targetSeconds: number | null;
  /** The mechanism's documented bound in seconds (null: depends on the data size). */
  readonly boundSeconds: number | null;
}

/** Every (class, objective) pair with the profile's target and the mechanism's bound. */
export function recoveryTargets(config: PlatformConfig): RecoveryTarget[] {
  const posture = new Map(drPosture(config).map((p) => [p.store, p]));
  const out: RecoveryTarget[] = [];
  for (const [cls, store] of Object.entries(RECOVERY_STORES) as [RecoveryStore, string][]) {
    const p = posture.get(store);
    if (!p) continue;
    for (const objective of ['rpo', 'rto'] as const) {
      out.push({
        class: cls,
        store,
        objective,
        targetSeconds: config.profile.recovery[`${objective}Seconds`][cls] ?? null,
        boundSeconds: p[objective].seconds,
      });
    }
  }
  return out;
}

/**
 * The targets of a validated profile that its mechanisms cannot meet, and (multi-region) the objectives it must
 * state but does not. Empty when every target is achievable.
 */
export function findRecoveryShortfalls(config: PlatformConfig): RecoveryShortfall[] {
  const posture = new Map<string, StorePosture>(drPosture(config).map((p) => [p.store, p]));
  const out: RecoveryShortfall[] = [];
  for (const t of recoveryTargets(config)) {
    const field = `${t.objective}Seconds`;
    const path = `recovery.${field}.${t.class}`;
    const p = posture.get(t.store)!;
    const objective = p[t.objective];
    const name = t.objective.toUpperCase();
    if (t.targetSeconds === null) {
      if (config.multiRegion && REQUIRED_IN_MULTI_REGION.includes(t.class)) {
        out.push({
          path,
          message: `must state the ${name} of ${t.store} in a multi-region profile; achievable: >= ${objective.seconds ?? 'none'} (${clause(objective.summary)})`,
        });
      }
      continue;
    }
    if (!config.multiRegion) {
      // The targets are for a regional failover; a single-region profile has none, whatever its in-region
      // mechanisms (Multi-AZ, PITR) promise against the loss of an AZ or a bad write.
      out.push({
        path,
        message: `${t.targetSeconds} s cannot be met by a single-region profile: losing the region loses ${t.store} until the region recovers (there is no regional failover); allowed: no target, or add regions.dr`,
      });
      continue;
    }
    if (objective.seconds === null) {
      out.push({
        path,
        message: `${t.targetSeconds} s cannot be promised by ${t.store}: its ${name} depends on the data size (${clause(objective.summary)}; ${objective.source}); allowed: no target, or a mechanism with a documented bound`,
      });
    } else if (t.targetSeconds < objective.seconds) {
      out.push({
        path,
        message: `${t.targetSeconds} s cannot be met by ${t.store} (${clause(objective.summary)}: ${objective.seconds} s; ${objective.source}); allowed: >= ${objective.seconds}, or a faster mechanism`,
      });
    }
  }
  return out;
}
