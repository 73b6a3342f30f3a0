import {
  type AssemblyIndex,
  type CfnResourceJson,
  type LocatedResource,
  type SynthesizedStack,
  cmp,
  dig,
  isObject,
  tagsOf,
} from './templates';

/**
 * The data-store inventory and ePHI flow map, read from the synthesized templates (not from the code that
 * produced them): what an auditor would see deployed. 45 CFR 164.308(a)(1)(ii)(A) asks where ePHI lives;
 * 164.312(a)(2)(iv) how it is encrypted; 164.308(a)(7)(ii)(A)-(B) how it is backed up and recovered.
 */

/** A customer-managed KMS key of the assembly. */
export interface KeyFact {
  /** The key's construct path (its id in the report). */
  readonly id: string;
  readonly region: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly alias: string | null;
  /** The `clinical-ai:data-domain` tag, e.g. `phi-data`. */
  readonly domain: string | null;
  readonly kind: 'single-region' | 'multi-region primary' | 'multi-region replica';
  /** True when the key material rotates (a replica rotates with its primary). */
  readonly rotates: boolean;
  /** Rotation in words, e.g. `every 365 days` or `with its primary (every 365 days)`. */
  readonly rotation: string;
  /** For a replica: the primary key's id, when the assembly shows which key it replicates. */
  readonly primary: string | null;
  /** How the primary was identified, for a replica. */
  readonly primaryMatchedBy: 'ssm-parameter' | 'data-domain-tag' | null;
  readonly deletionPolicy: string;
}

/** The encryption key of a store, as far as the templates show it. */
export interface StoreKey {
  /** `cmk` (a customer-managed key), `aws-managed`, `service-owned` (e.g. SSE-S3) or `none`. */
  readonly type: 'cmk' | 'aws-managed' | 'service-owned' | 'none';
  /** The key's id in {@link KeyFact} when it is a key of this assembly. */
  readonly key: string | null;
  /** What the template says, e.g. the key's alias, an ARN, or `SSE-S3 (AES256)`. */
  readonly display: string;
}

export interface BackupCoverage {
  readonly plan: string;
  readonly rule: string;
  readonly schedule: string | null;
  readonly continuous: boolean;
  readonly retentionDays: number | null;
  readonly vault: string;
  readonly copies: readonly {
    readonly region: string;
    readonly vault: string;
    readonly retentionDays: number | null;
  }[];
}

export interface ReplicaFact {
  readonly region: string;
  /** The replica store's id, when it is in this assembly. */
  readonly store: string | null;
  readonly mechanism: string;
}

export type StoreKind =
  | 'bucket'
  | 'table'
  | 'database-cluster'
  | 'database-instance'
  | 'queue'
  | 'log-group'
  | 'backup-vault'
  | 'file-system';

export interface DataStore {
  /** The store's construct path; a global-table replica adds ` [replica <region>]`. */
  readonly id: string;
  readonly kind: StoreKind;
  readonly type: string;
  readonly region: string;
  readonly stack: string;
  readonly logicalId: string;
  /** The physical name when the template states it. */
  readonly name: string | null;
  /** The `data-classification` tag; null when the store carries none. */
  readonly classification: string | null;
  readonly key: StoreKey;
  readonly keyRotation: string;
  readonly replicas: readonly ReplicaFact[];
  readonly backups: readonly BackupCoverage[];
  /** Retention facts in words (lifecycle, Object Lock, PITR, log retention, deletion policy). */
  readonly retention: readonly string[];
  readonly deletionPolicy: string;
}

export type FlowKind = 'replication' | 'backup-copy' | 'key-replica';

export interface FlowEdge {
  readonly kind: FlowKind;
  readonly from: string;
  readonly to: string;
  readonly fromRegion: string;
  readonly toRegion: string;
  readonly detail: string;
}

export interface Inventory {
  readonly keys: readonly KeyFact[];
  readonly stores: readonly DataStore[];
  readonly edges: readonly FlowEdge[];
}

/** The kinds that hold data at rest as a store of record (queues, log groups and vaults are listed, not counted). */
export const RECORD_STORE_KINDS: ReadonlySet<StoreKind> = new Set([
  'bucket',
  'table',
  'database-cluster',
  'database-instance',
  'file-system',
]);

/**
 * A store of ePHI: a store of record classified `phi`, or not classified at all (an unclassified store is
 * treated as PHI, as the platform pack's rules do).
 */
export function isPhiStore(store: DataStore): boolean {
  return RECORD_STORE_KINDS.has(store.kind) && (store.classification ?? 'phi') === 'phi';
}

/** Maps a template resource to its construct path (the report's id for it). */
export type PathOf = (stack: SynthesizedStack, logicalId: string) => string;

const STORE_TYPES: Record<string, StoreKind> = {
  'AWS::S3::Bucket': 'bucket',
  'AWS::DynamoDB::Table': 'table',
  'AWS::DynamoDB::GlobalTable': 'table',
  'AWS::RDS::DBCluster': 'database-cluster',
  'AWS::RDS::DBInstance': 'database-instance',
  'AWS::SQS::Queue': 'queue',
  'AWS::Logs::LogGroup': 'log-group',
  'AWS::Backup::BackupVault': 'backup-vault',
  'AWS::EFS::FileSystem': 'file-system',
};

/** Builds the inventory of every data store and key in the assembly. */
export function buildInventory(index: AssemblyIndex, pathOf: PathOf): Inventory {
  const keys = readKeys(index, pathOf);
  const keyById = new Map(keys.map((k) => [k.id, k]));
  const resolveKey: KeyResolver = (stack, value, absent, region) =>
    storeKey(index, pathOf, keyById, stack, value, absent, region);

  const plans = readBackupPlans(index, pathOf);
  const stores: DataStore[] = [];
  const edges: FlowEdge[] = [];

  for (const r of index.resourcesOfType(...Object.keys(STORE_TYPES))) {
    const kind = STORE_TYPES[r.resource.Type];
    // An RDS instance that belongs to a cluster is part of that cluster's store.
    if (
      r.resource.Type === 'AWS::RDS::DBInstance' &&
      r.resource.Properties?.DBClusterIdentifier !== undefined
    )
      continue;
    if (r.resource.Type === 'AWS::DynamoDB::GlobalTable') {
      stores.push(...globalTableReplicas(index, pathOf, r, resolveKey, keyById, plans, edges));
      continue;
    }
    const key = keyOfStore(r, resolveKey);
    const id = pathOf(r.stack, r.logicalId);
    stores.push({
      id,
      kind,
      type: r.resource.Type,
      region: r.stack.region,
      stack: r.stack.stackName,
      logicalId: r.logicalId,
      name: index.literalName(r.stack, r.logicalId) ?? null,
      classification: tagsOf(r.resource)['data-classification'] ?? null,
      key,
      keyRotation: rotationOf(key, keyById),
      replicas: [],
      backups: plans.filter((p) => p.covers(r)).map((p) => p.coverage),
      retention: retentionOf(r.resource),
      deletionPolicy: r.resource.DeletionPolicy ?? 'Delete',
    });
  }

  linkBucketReplication(index, pathOf, stores, edges, resolveKey);
  linkGlobalDatabases(index, pathOf, stores, edges);
  for (const plan of plans) edges.push(...plan.copyEdges(stores));
  for (const key of keys) {
    if (key.primary) {
      const primary = keyById.get(key.primary);
      edges.push({
        kind: 'key-replica',
        from: key.primary,
        to: key.id,
        fromRegion: primary?.region ?? 'unknown',
        toRegion: key.region,
        detail: `multi-region key replica${key.alias ? ` ${key.alias}` : ''}`,
      });
    }
  }

  return {
    keys,
    stores: stores.sort((a, b) => cmp(a.region, b.region) || cmp(a.id, b.id)),
    edges: dedupeEdges(edges).sort(
      (a, b) => cmp(a.kind, b.kind) || cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.detail, b.detail),
    ),
  };
}

function readKeys(index: AssemblyIndex, pathOf: PathOf): KeyFact[] {
  const aliases = new Map<string, string>();
  for (const a of index.resourcesOfType('AWS::KMS::Alias')) {
    const target = index.target(a.stack, a.resource.Properties?.TargetKeyId);
    const name = a.resource.Properties?.AliasName;
    if (target && typeof name === 'string') aliases.set(pathOf(target.stack, target.logicalId), name);
  }
  const located = index.resourcesOfType('AWS::KMS::Key', 'AWS::KMS::ReplicaKey');
  const primaries = new Map<string, KeyFact>();
  const base = located.map((r) => {
    const p = r.resource.Properties ?? {};
    const id = pathOf(r.stack, r.logicalId);
    const replica = r.resource.Type === 'AWS::KMS::ReplicaKey';
    const enabled = p.EnableKeyRotation === true;
    const period = typeof p.RotationPeriodInDays === 'number' ? p.RotationPeriodInDays : 365;
    const fact: KeyFact = {
      id,
      region: r.stack.region,
      stack: r.stack.stackName,
      logicalId: r.logicalId,
      alias: aliases.get(id) ?? null,
      domain: tagsOf(r.resource)['clinical-ai:data-domain'] ?? null,
      kind: replica
        ? 'multi-region replica'
        : p.MultiRegion === true
          ? 'multi-region primary'
          : 'single-region',
      rotates: enabled,
      rotation: enabled ? `every ${period} days` : 'disabled',
      primary: null,
      primaryMatchedBy: null,
      deletionPolicy: r.resource.DeletionPolicy ?? 'Delete',
    };
    if (fact.kind === 'multi-region primary') primaries.set(id, fact);
    return { r, fact };
  });
  return base
    .map(({ r, fact }) => {
      if (fact.kind !== 'multi-region replica') return fact;
      const found = primaryOfReplica(index, pathOf, r, fact, primaries);
      const primary = found ? primaries.get(found.id) : undefined;
      return {
        ...fact,
        primary: found?.id ?? null,
        primaryMatchedBy: found?.by ?? null,
        rotates: primary?.rotates ?? false,
        rotation: primary
          ? `with its primary (${primary.rotation})`
          : 'with its primary, which is not in this assembly',
      };
    })
    .sort((a, b) => cmp(a.region, b.region) || cmp(a.id, b.id));
}

/**
 * Finds the primary a replica key replicates. Its `PrimaryKeyArn` is usually read at deploy time (the primary
 * is in another region): follow it to the SSM parameter it is read from, published by the primary region's
 * stack; failing that, match the primary of the same data domain.
 */
function primaryOfReplica(
  index: AssemblyIndex,
  pathOf: PathOf,
  replica: LocatedResource,
  fact: KeyFact,
  primaries: Map<string, KeyFact>,
): { id: string; by: 'ssm-parameter' | 'data-domain-tag' } | undefined {
  const arn = replica.resource.Properties?.PrimaryKeyArn;
  const direct = index.target(replica.stack, arn);
  if (direct && direct.resource.Type === 'AWS::KMS::Key') {
    return { id: pathOf(direct.stack, direct.logicalId), by: 'ssm-parameter' };
  }
  if (direct) {
    const names = new Set(stringsIn(direct.resource.Properties));
    for (const param of index.resourcesOfType('AWS::SSM::Parameter')) {
      const name = param.resource.Properties?.Name;
      if (typeof name !== 'string' || !names.has(name)) continue;
      const key = index.target(param.stack, param.resource.Properties?.Value);
      if (key && key.resource.Type === 'AWS::KMS::Key')
        return { id: pathOf(key.stack, key.logicalId), by: 'ssm-parameter' };
    }
  }
  const sameDomain = [...primaries.values()].filter(
    (p) => p.domain !== null && p.domain === fact.domain && p.region !== fact.region,
  );
  return sameDomain.length === 1 ? { id: sameDomain[0].id, by: 'data-domain-tag' } : undefined;
}

function stringsIn(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(stringsIn);
  if (isObject(v)) return Object.values(v).flatMap(stringsIn);
  return [];
}

/**
 * Resolves a store's key reference. `region` is where the store is when that differs from its stack's
 * (a global-table replica): an alias names a key of that region.
 */
type KeyResolver = (stack: SynthesizedStack, value: unknown, absent: StoreKey, region?: string) => StoreKey;

function storeKey(
  index: AssemblyIndex,
  pathOf: PathOf,
  keyById: Map<string, KeyFact>,
  stack: SynthesizedStack,
  value: unknown,
  absent: StoreKey,
  storeRegion = stack.region,
): StoreKey {
  if (value === undefined || value === null) return absent;
  let target = index.target(stack, value);
  if (target?.resource.Type === 'AWS::KMS::Alias')
    target = index.target(target.stack, target.resource.Properties?.TargetKeyId);
  if (
    target &&
    (target.resource.Type === 'AWS::KMS::Key' || target.resource.Type === 'AWS::KMS::ReplicaKey')
  ) {
    const id = pathOf(target.stack, target.logicalId);
    const key = keyById.get(id);
    return { type: 'cmk', key: id, display: key?.alias ?? id };
  }
  const text = index.render(stack, value);
  const arnRegion = /^arn:[^:]+:kms:([^:]+):/.exec(text)?.[1];
  if (arnRegion && arnRegion !== stack.region) {
    // `arn:…:kms:<other region>:…:key/<primary's key id>`: a multi-region replica has its primary's key id,
    // so such an ARN names the replica of that primary in the other region.
    const primaries = index
      .referencedResources(stack, value)
      .filter((r) => r.resource.Type === 'AWS::KMS::Key' && r.resource.Properties?.MultiRegion === true)
      .map((r) => pathOf(r.stack, r.logicalId));
    const replica = [...keyById.values()].find(
      (k) => k.region === arnRegion && k.primary !== null && primaries.includes(k.primary),
    );
    if (primaries.length === 1 && replica)
      return { type: 'cmk', key: replica.id, display: replica.alias ?? replica.id };
  }
  const aliasName = /(?:^|:)(alias\/.+)$/.exec(text)?.[1];
  if (aliasName) {
    if (aliasName.startsWith('alias/aws/')) return { type: 'aws-managed', key: null, display: aliasName };
    const region = /^arn:[^:]+:kms:([^:]+):/.exec(text)?.[1] ?? storeRegion;
    const key = [...keyById.values()].find((k) => k.alias === aliasName && k.region === region);
    if (key) return { type: 'cmk', key: key.id, display: aliasName };
  }
  return { type: 'cmk', key: null, display: text };
}

function keyOfStore(r: LocatedResource, resolveKey: KeyResolver): StoreKey {
  const p = r.resource.Properties ?? {};
  const none = (display: string): StoreKey => ({ type: 'none', key: null, display });
  switch (r.resource.Type) {
    case 'AWS::S3::Bucket': {
      const sse = dig(
        p,
        'BucketEncryption',
        'ServerSideEncryptionConfiguration',
        0,
        'ServerSideEncryptionByDefault',
      );
      const algorithm = dig(sse, 'SSEAlgorithm');
      if (algorithm === 'AES256') return { type: 'service-owned', key: null, display: 'SSE-S3 (AES256)' };
      if (algorithm === undefined)
        return { type: 'service-owned', key: null, display: 'SSE-S3 (S3 default)' };
      return resolveKey(r.stack, dig(sse, 'KMSMasterKeyID'), {
        type: 'aws-managed',
        key: null,
        display: 'alias/aws/s3',
      });
    }
    case 'AWS::DynamoDB::Table': {
      const sse = dig(p, 'SSESpecification');
      if (dig(sse, 'SSEEnabled') !== true)
        return { type: 'service-owned', key: null, display: 'DynamoDB owned key' };
      return resolveKey(r.stack, dig(sse, 'KMSMasterKeyId'), {
        type: 'aws-managed',
        key: null,
        display: 'alias/aws/dynamodb',
      });
    }
    case 'AWS::RDS::DBCluster':
    case 'AWS::RDS::DBInstance':
      if (p.StorageEncrypted !== true && p.KmsKeyId === undefined) return none('storage not encrypted');
      return resolveKey(r.stack, p.KmsKeyId, { type: 'aws-managed', key: null, display: 'alias/aws/rds' });
    case 'AWS::SQS::Queue':
      if (p.KmsMasterKeyId === undefined) {
        return p.SqsManagedSseEnabled === false
          ? none('not encrypted')
          : { type: 'service-owned', key: null, display: 'SSE-SQS' };
      }
      return resolveKey(r.stack, p.KmsMasterKeyId, none('not encrypted'));
    case 'AWS::Logs::LogGroup':
      return resolveKey(r.stack, p.KmsKeyId, {
        type: 'service-owned',
        key: null,
        display: 'CloudWatch Logs default',
      });
    case 'AWS::Backup::BackupVault':
      return resolveKey(r.stack, p.EncryptionKeyArn, {
        type: 'aws-managed',
        key: null,
        display: 'alias/aws/backup',
      });
    case 'AWS::EFS::FileSystem':
      if (p.Encrypted !== true) return none('not encrypted');
      return resolveKey(r.stack, p.KmsKeyId, {
        type: 'aws-managed',
        key: null,
        display: 'alias/aws/elasticfilesystem',
      });
    default:
      return none('unknown');
  }
}

function rotationOf(key: StoreKey, keyById: Map<string, KeyFact>): string {
  if (key.type === 'cmk') {
    const fact = key.key ? keyById.get(key.key) : undefined;
    return fact ? fact.rotation : 'not shown by the templates (key outside this assembly)';
  }
  if (key.type === 'aws-managed') return 'AWS managed: every year, by AWS';
  if (key.type === 'service-owned') return 'service-owned key, managed by AWS';
  return 'no key';
}

function retentionOf(resource: CfnResourceJson): string[] {
  const p = resource.Properties ?? {};
  const out: string[] = [];
  switch (resource.Type) {
    case 'AWS::S3::Bucket': {
      if (dig(p, 'VersioningConfiguration', 'Status') === 'Enabled') out.push('versioning enabled');
      const lock = dig(p, 'ObjectLockConfiguration', 'Rule', 'DefaultRetention');
      if (isObject(lock)) {
        const span = typeof lock.Years === 'number' ? `${lock.Years} years` : `${String(lock.Days)} days`;
        out.push(`Object Lock ${String(lock.Mode)} ${span}`);
      }
      const rules = dig(p, 'LifecycleConfiguration', 'Rules');
      for (const rule of Array.isArray(rules) ? (rules as unknown[]) : []) {
        if (!isObject(rule) || rule.Status === 'Disabled') continue;
        const name = typeof rule.Id === 'string' ? `${rule.Id}: ` : '';
        if (typeof rule.ExpirationInDays === 'number')
          out.push(`${name}expire current versions after ${rule.ExpirationInDays} days`);
        const nc =
          dig(rule, 'NoncurrentVersionExpiration', 'NoncurrentDays') ??
          rule.NoncurrentVersionExpirationInDays;
        if (typeof nc === 'number') out.push(`${name}expire noncurrent versions after ${nc} days`);
      }
      break;
    }
    case 'AWS::DynamoDB::Table':
      out.push(...dynamoRetention(p));
      break;
    case 'AWS::RDS::DBCluster':
    case 'AWS::RDS::DBInstance':
      out.push(
        `automated backups kept ${typeof p.BackupRetentionPeriod === 'number' ? p.BackupRetentionPeriod : 1} days`,
      );
      if (p.DeletionProtection === true) out.push('deletion protection');
      break;
    case 'AWS::SQS::Queue':
      out.push(
        `messages kept ${Math.round((typeof p.MessageRetentionPeriod === 'number' ? p.MessageRetentionPeriod : 345600) / 86400)} days`,
      );
      break;
    case 'AWS::Logs::LogGroup':
      out.push(
        typeof p.RetentionInDays === 'number'
          ? `log events kept ${p.RetentionInDays} days`
          : 'log events never expire',
      );
      break;
    case 'AWS::Backup::BackupVault': {
      const lock = p.LockConfiguration;
      if (isObject(lock)) {
        const mode = lock.ChangeableForDays !== undefined ? 'compliance mode' : 'governance mode';
        const days = (v: unknown, none: string): string => (typeof v === 'number' ? String(v) : none);
        out.push(
          `vault lock (${mode}): recovery points kept ${days(lock.MinRetentionDays, '?')}–${days(lock.MaxRetentionDays, '∞')} days`,
        );
      } else out.push('no vault lock');
      break;
    }
    default:
      break;
  }
  out.push(`on stack delete: ${resource.DeletionPolicy ?? 'Delete'}`);
  return out;
}

function dynamoRetention(p: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (dig(p, 'PointInTimeRecoverySpecification', 'PointInTimeRecoveryEnabled') === true) {
    const days = dig(p, 'PointInTimeRecoverySpecification', 'RecoveryPeriodInDays');
    out.push(`point-in-time recovery ${typeof days === 'number' ? days : 35} days`);
  } else out.push('no point-in-time recovery');
  if (p.DeletionProtectionEnabled === true) out.push('deletion protection');
  const ttl = dig(p, 'TimeToLiveSpecification', 'AttributeName');
  if (typeof ttl === 'string' && dig(p, 'TimeToLiveSpecification', 'Enabled') === true)
    out.push(`TTL on attribute ${ttl}`);
  return out;
}

/** A DynamoDB global table is one resource in the primary stack with one replica per region. */
function globalTableReplicas(
  index: AssemblyIndex,
  pathOf: PathOf,
  r: LocatedResource,
  resolveKey: KeyResolver,
  keyById: Map<string, KeyFact>,
  plans: BackupPlan[],
  edges: FlowEdge[],
): DataStore[] {
  const p = r.resource.Properties ?? {};
  const base = pathOf(r.stack, r.logicalId);
  const replicas = (Array.isArray(p.Replicas) ? (p.Replicas as unknown[]) : []).filter(isObject);
  const regions = replicas.map((rep) =>
    typeof rep.Region === 'string' ? rep.Region : index.render(r.stack, rep.Region),
  );
  const kms =
    dig(p, 'SSESpecification', 'SSEType') === 'KMS' || dig(p, 'SSESpecification', 'SSEEnabled') === true;
  const idOf = (region: string): string => (region === r.stack.region ? base : `${base} [replica ${region}]`);
  const name = index.literalName(r.stack, r.logicalId) ?? null;
  return replicas.map((rep, i) => {
    const region = regions[i];
    const key = kms
      ? resolveKey(
          r.stack,
          dig(rep, 'SSESpecification', 'KMSMasterKeyId'),
          { type: 'aws-managed', key: null, display: 'alias/aws/dynamodb' },
          region,
        )
      : ({ type: 'service-owned', key: null, display: 'DynamoDB owned key' } as const);
    const others = regions.filter((x) => x !== region);
    if (region === r.stack.region) {
      for (const other of others) {
        edges.push({
          kind: 'replication',
          from: base,
          to: idOf(other),
          fromRegion: region,
          toRegion: other,
          detail: 'DynamoDB global table replica (multi-active, asynchronous)',
        });
      }
    }
    const merged = { ...p, ...rep } as Record<string, unknown>;
    return {
      id: idOf(region),
      kind: 'table' as const,
      type: r.resource.Type,
      region,
      stack: r.stack.stackName,
      logicalId: r.logicalId,
      name,
      classification:
        tagsOf({ Type: r.resource.Type, Properties: { Tags: rep.Tags } })['data-classification'] ??
        tagsOf(r.resource)['data-classification'] ??
        null,
      key,
      keyRotation: rotationOf(key, keyById),
      replicas: others.map((o) => ({
        region: o,
        store: idOf(o),
        mechanism: 'DynamoDB global table replica',
      })),
      backups: plans.filter((pl) => pl.covers(r, region)).map((pl) => pl.coverage),
      retention: [...dynamoRetention(merged), `on stack delete: ${r.resource.DeletionPolicy ?? 'Delete'}`],
      deletionPolicy: r.resource.DeletionPolicy ?? 'Delete',
    };
  });
}

function linkBucketReplication(
  index: AssemblyIndex,
  pathOf: PathOf,
  stores: DataStore[],
  edges: FlowEdge[],
  resolveKey: KeyResolver,
): void {
  const byId = new Map(stores.map((s, i) => [s.id, i]));
  for (const r of index.resourcesOfType('AWS::S3::Bucket')) {
    const rules = dig(r.resource.Properties, 'ReplicationConfiguration', 'Rules');
    if (!Array.isArray(rules)) continue;
    const from = pathOf(r.stack, r.logicalId);
    const replicas: ReplicaFact[] = [];
    for (const rule of (rules as unknown[]).filter(isObject)) {
      if (rule.Status === 'Disabled') continue;
      const dest = dig(rule, 'Destination');
      const target = findBucket(index, pathOf, stores, r.stack, dig(dest, 'Bucket'));
      const rtc = dig(dest, 'ReplicationTime', 'Status') === 'Enabled';
      const replicaKey = resolveKey(r.stack, dig(dest, 'EncryptionConfiguration', 'ReplicaKmsKeyID'), {
        type: 'none',
        key: null,
        display: 'no replica key',
      });
      const region = target?.region ?? 'unknown';
      const detail = `S3 replication${rtc ? ' with Replication Time Control (15 min)' : ' without RTC'}, replica key ${replicaKey.display}`;
      replicas.push({ region, store: target?.id ?? null, mechanism: detail });
      edges.push({
        kind: 'replication',
        from,
        to: target?.id ?? index.render(r.stack, dig(dest, 'Bucket')),
        fromRegion: r.stack.region,
        toRegion: region,
        detail,
      });
    }
    const i = byId.get(from);
    if (i !== undefined) stores[i] = { ...stores[i], replicas: [...stores[i].replicas, ...replicas] };
  }
}

function findBucket(
  index: AssemblyIndex,
  pathOf: PathOf,
  stores: DataStore[],
  stack: SynthesizedStack,
  arn: unknown,
): DataStore | undefined {
  const target = index.target(stack, arn);
  if (target) return stores.find((s) => s.id === pathOf(target.stack, target.logicalId));
  const name = /^arn:[^:]+:s3:::([^/]+)$/.exec(index.render(stack, arn))?.[1];
  return name ? stores.find((s) => s.kind === 'bucket' && s.name === name) : undefined;
}

function linkGlobalDatabases(
  index: AssemblyIndex,
  pathOf: PathOf,
  stores: DataStore[],
  edges: FlowEdge[],
): void {
  for (const g of index.resourcesOfType('AWS::RDS::GlobalCluster')) {
    const gp = g.resource.Properties ?? {};
    const globalId = typeof gp.GlobalClusterIdentifier === 'string' ? gp.GlobalClusterIdentifier : null;
    const source = index.target(g.stack, gp.SourceDBClusterIdentifier);
    const members = index.resourcesOfType('AWS::RDS::DBCluster').filter((c) => {
      const ref = c.resource.Properties?.GlobalClusterIdentifier;
      if (ref === undefined) return false;
      const t = index.target(c.stack, ref);
      return t
        ? t.stack === g.stack && t.logicalId === g.logicalId
        : globalId !== null && index.render(c.stack, ref) === globalId;
    });
    const primary = source ?? members.find((m) => m.stack.region === g.stack.region);
    if (!primary) continue;
    const from = pathOf(primary.stack, primary.logicalId);
    for (const m of members) {
      const to = pathOf(m.stack, m.logicalId);
      if (to === from) continue;
      const detail = `Aurora Global Database${globalId ? ` ${globalId}` : ''} secondary (storage-level replication, typically under 1 s)`;
      edges.push({
        kind: 'replication',
        from,
        to,
        fromRegion: primary.stack.region,
        toRegion: m.stack.region,
        detail,
      });
      const i = stores.findIndex((s) => s.id === from);
      if (i >= 0)
        stores[i] = {
          ...stores[i],
          replicas: [...stores[i].replicas, { region: m.stack.region, store: to, mechanism: detail }],
        };
    }
  }
}

interface BackupPlan {
  readonly coverage: BackupCoverage;
  covers(r: LocatedResource, region?: string): boolean;
  copyEdges(stores: readonly DataStore[]): FlowEdge[];
}

/** Each AWS Backup plan rule with the selections that assign resources to its plan. */
function readBackupPlans(index: AssemblyIndex, pathOf: PathOf): BackupPlan[] {
  const out: BackupPlan[] = [];
  const selections = index.resourcesOfType('AWS::Backup::BackupSelection');
  for (const plan of index.resourcesOfType('AWS::Backup::BackupPlan')) {
    const body = dig(plan.resource.Properties, 'BackupPlan');
    const planName =
      typeof dig(body, 'BackupPlanName') === 'string' ? String(dig(body, 'BackupPlanName')) : plan.logicalId;
    const mine = selections.filter((s) => {
      const t = index.target(s.stack, s.resource.Properties?.BackupPlanId);
      return t?.stack === plan.stack && t.logicalId === plan.logicalId;
    });
    const rules = dig(body, 'BackupPlanRule');
    for (const rule of (Array.isArray(rules) ? (rules as unknown[]) : []).filter(isObject)) {
      const vaultTarget = index.target(plan.stack, rule.TargetBackupVault);
      const vault = vaultTarget
        ? pathOf(vaultTarget.stack, vaultTarget.logicalId)
        : index.render(plan.stack, rule.TargetBackupVault);
      const copies = (Array.isArray(rule.CopyActions) ? (rule.CopyActions as unknown[]) : [])
        .filter(isObject)
        .map((c) => {
          const arn = index.render(plan.stack, c.DestinationBackupVaultArn);
          const [, region = 'unknown', name = arn] =
            /^arn:[^:]+:backup:([^:]+):[^:]*:backup-vault:(.+)$/.exec(arn) ?? [];
          const local = index.target(plan.stack, c.DestinationBackupVaultArn);
          const dest = local
            ? { id: pathOf(local.stack, local.logicalId), region: local.stack.region }
            : vaultByName(index, pathOf, region, name);
          const days = dig(c, 'Lifecycle', 'DeleteAfterDays');
          return {
            region: dest?.region ?? region,
            vault: dest?.id ?? name,
            retentionDays: typeof days === 'number' ? days : null,
          };
        });
      const deleteAfter = dig(rule, 'Lifecycle', 'DeleteAfterDays');
      const coverage: BackupCoverage = {
        plan: planName,
        rule: typeof rule.RuleName === 'string' ? rule.RuleName : '(unnamed rule)',
        schedule: typeof rule.ScheduleExpression === 'string' ? rule.ScheduleExpression : null,
        continuous: rule.EnableContinuousBackup === true,
        retentionDays: typeof deleteAfter === 'number' ? deleteAfter : null,
        vault,
        copies,
      };
      out.push({
        coverage,
        covers: (r, region) =>
          region === undefined || region === plan.stack.region
            ? mine.some((s) => selects(index, s, r))
            : false,
        copyEdges: () =>
          copies
            .filter((c) => c.region !== plan.stack.region)
            .map((c) => ({
              kind: 'backup-copy' as const,
              from: vault,
              to: c.vault,
              fromRegion: plan.stack.region,
              toRegion: c.region,
              detail: `AWS Backup plan ${planName}, rule ${coverage.rule}: copy kept ${c.retentionDays ?? '∞'} days`,
            })),
      });
    }
  }
  return out;
}

function vaultByName(
  index: AssemblyIndex,
  pathOf: PathOf,
  region: string,
  name: string,
): { id: string; region: string } | undefined {
  const v = index
    .resourcesOfType('AWS::Backup::BackupVault')
    .find((x) => x.stack.region === region && x.resource.Properties?.BackupVaultName === name);
  return v ? { id: pathOf(v.stack, v.logicalId), region } : undefined;
}

/** Whether a backup selection assigns a resource: by ARN reference, ARN wildcard or tag condition. */
function selects(index: AssemblyIndex, selection: LocatedResource, r: LocatedResource): boolean {
  const sel = dig(selection.resource.Properties, 'BackupSelection');
  const resources = dig(sel, 'Resources');
  const tags = tagsOf(r.resource);
  const byArn = Array.isArray(resources)
    ? (resources as unknown[]).some((item) => {
        if (
          index
            .referencedResources(selection.stack, item)
            .some((t) => t.stack === r.stack && t.logicalId === r.logicalId)
        ) {
          return true;
        }
        const text = index.render(selection.stack, item);
        return text.includes('*') && wildcardMatches(text, r);
      })
    : false;
  const listOfTags = dig(sel, 'ListOfTags');
  const byTag = Array.isArray(listOfTags)
    ? (listOfTags as unknown[])
        .filter(isObject)
        .some((t) => typeof t.ConditionKey === 'string' && tags[t.ConditionKey] === t.ConditionValue)
    : false;
  const equals = dig(sel, 'Conditions', 'StringEquals');
  const conditionsHold = Array.isArray(equals)
    ? (equals as unknown[]).filter(isObject).every((c) => {
        const key =
          typeof c.ConditionKey === 'string' ? c.ConditionKey.replace(/^aws:ResourceTag\//, '') : '';
        return tags[key] === c.ConditionValue;
      })
    : true;
  return (
    (byArn && conditionsHold) ||
    byTag ||
    (!Array.isArray(resources) && !Array.isArray(listOfTags) && Array.isArray(equals) && conditionsHold)
  );
}

const ARN_SERVICE: Record<string, string> = {
  'AWS::S3::Bucket': 's3',
  'AWS::DynamoDB::Table': 'dynamodb',
  'AWS::DynamoDB::GlobalTable': 'dynamodb',
  'AWS::RDS::DBCluster': 'rds',
  'AWS::RDS::DBInstance': 'rds',
  'AWS::EFS::FileSystem': 'elasticfilesystem',
};

function wildcardMatches(pattern: string, r: LocatedResource): boolean {
  if (pattern === '*') return true;
  const service = /^arn:[^:]+:([^:]+):/.exec(pattern)?.[1];
  return service !== undefined && (service === '*' || ARN_SERVICE[r.resource.Type] === service);
}

function dedupeEdges(edges: FlowEdge[]): FlowEdge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    const k = `${e.kind}|${e.from}|${e.to}|${e.detail}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
