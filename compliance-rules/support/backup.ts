import type { CfnResource } from 'aws-cdk-lib';
import { type IndexedResource, ResourceIndex } from './app-index';
import {
  flatten,
  isObject,
  referencedResource,
  refsIn,
  refTarget,
  regionOf,
  rendered,
  tagValue,
} from './rendered';
import { storeTagLists } from './stores';

/** The ARN service and resource prefix of each store type, for wildcard selections (`arn:aws:s3:::*`). */
const ARN_SHAPE: Record<string, { service: string; prefix: string; nameProp: string }> = {
  'AWS::S3::Bucket': { service: 's3', prefix: '', nameProp: 'BucketName' },
  'AWS::DynamoDB::Table': { service: 'dynamodb', prefix: 'table/', nameProp: 'TableName' },
  'AWS::DynamoDB::GlobalTable': { service: 'dynamodb', prefix: 'table/', nameProp: 'TableName' },
  'AWS::RDS::DBCluster': { service: 'rds', prefix: 'cluster:', nameProp: 'DBClusterIdentifier' },
  'AWS::RDS::DBInstance': { service: 'rds', prefix: 'db:', nameProp: 'DBInstanceIdentifier' },
  'AWS::EFS::FileSystem': { service: 'elasticfilesystem', prefix: 'file-system/', nameProp: '' },
};

/** One rule of a backup plan: where its recovery points go and where they are copied. */
export interface PlanRule {
  readonly plan: CfnResource;
  readonly targetVault: unknown;
  readonly copyDestinations: readonly unknown[];
}

/** The backup plans whose selections include `store` (AWS Backup's selection semantics, as far as a template shows them). */
export function plansCovering(store: CfnResource): CfnResource[] {
  const plans = new Set<CfnResource>();
  for (const selection of ResourceIndex.of(store).ofType('AWS::Backup::BackupSelection')) {
    const body = selection.view.properties.BackupSelection;
    if (!isObject(body) || !selects(selection, body, store)) continue;
    const plan = referencedResource(selection.node, selection.view.properties.BackupPlanId);
    if (plan?.cfnResourceType === 'AWS::Backup::BackupPlan') plans.add(plan);
  }
  return [...plans];
}

/** The rules of a backup plan. */
export function planRules(plan: CfnResource): PlanRule[] {
  const body = rendered(plan).properties.BackupPlan;
  const rules = isObject(body) && Array.isArray(body.BackupPlanRule) ? body.BackupPlanRule : [];
  return rules.filter(isObject).map((r) => ({
    plan,
    targetVault: r.TargetBackupVault,
    copyDestinations: (Array.isArray(r.CopyActions) ? r.CopyActions : [])
      .filter(isObject)
      .map((c) => c.DestinationBackupVaultArn),
  }));
}

/**
 * The backup vault a plan names (by reference, by name in the plan's region, or by ARN in any region of the
 * app), or undefined when the vault is not part of this app.
 */
export function resolveVault(scope: CfnResource, value: unknown): IndexedResource | undefined {
  const index = ResourceIndex.of(scope);
  const vaults = index.ofType('AWS::Backup::BackupVault');
  for (const ref of refsIn(value)) {
    const target = refTarget(scope, ref);
    const hit = vaults.find((v) => v.node === target);
    if (hit) return hit;
  }
  const text = flatten(value);
  if (text === undefined) return undefined;
  const arn = /^arn:[^:]+:backup:([^:]+):[^:]+:backup-vault:(.+)$/.exec(text);
  const region = arn ? arn[1] : regionOf(scope);
  const name = arn ? arn[2] : text;
  return vaults.find((v) => flatten(v.view.properties.BackupVaultName) === name && v.region === region);
}

/**
 * A vault with AWS Backup Vault Lock in compliance mode: `ChangeableForDays` set, so that after the grace
 * period no one, root included, can delete recovery points early or remove the lock (164.312(c)(1)).
 */
export function isLockedVault(vault: IndexedResource): boolean {
  const lock = vault.view.properties.LockConfiguration;
  return (
    isObject(lock) &&
    typeof lock.MinRetentionDays === 'number' &&
    lock.MinRetentionDays >= 1 &&
    lock.ChangeableForDays !== undefined
  );
}

function selects(selection: IndexedResource, body: Record<string, unknown>, store: CfnResource): boolean {
  const scope = selection.node;
  // A backup plan and its selections are regional: they protect resources of their own region only.
  const storeRegion = regionOf(store);
  if (selection.region !== undefined && storeRegion !== undefined && selection.region !== storeRegion)
    return false;
  const resources = Array.isArray(body.Resources) ? body.Resources : [];
  const notResources = Array.isArray(body.NotResources) ? body.NotResources : [];
  if (notResources.some((entry) => entryMatches(scope, entry, store))) return false;
  const byResource = resources.some((entry) => entryMatches(scope, entry, store));
  const byTags = (Array.isArray(body.ListOfTags) ? body.ListOfTags : []).some(
    (t) =>
      isObject(t) &&
      String(t.ConditionType).toUpperCase() === 'STRINGEQUALS' &&
      hasTag(store, flatten(t.ConditionKey), flatten(t.ConditionValue)),
  );
  if (!byResource && !byTags) return false;
  return conditionsHold(body.Conditions, store);
}

function entryMatches(scope: CfnResource, entry: unknown, store: CfnResource): boolean {
  if (refsIn(entry).some((ref) => refTarget(scope, ref) === store)) return true;
  const text = flatten(entry);
  if (text === undefined) return false;
  if (text === '*') return true;
  const shape = ARN_SHAPE[store.cfnResourceType];
  if (!shape) return false;
  const parts = text.split(':');
  if (parts[2] !== shape.service) return false;
  const resource = parts.slice(5).join(':');
  if (resource === '*' || resource === `${shape.prefix}*`) return true;
  const name = shape.nameProp ? flatten(rendered(store).properties[shape.nameProp]) : undefined;
  return name !== undefined && !name.includes('{') && resource === `${shape.prefix}${name}`;
}

function hasTag(store: CfnResource, key: string | undefined, value: string | undefined): boolean {
  if (key === undefined) return false;
  return storeTagLists(store).some((tags) => {
    const v = tagValue(tags, key);
    return v !== undefined && (value === undefined || v === value);
  });
}

/** `Conditions` are ANDed: each must hold for the store's tags. */
function conditionsHold(conditions: unknown, store: CfnResource): boolean {
  if (!isObject(conditions)) return true;
  for (const [op, list] of Object.entries(conditions)) {
    for (const c of Array.isArray(list) ? list : []) {
      if (!isObject(c)) continue;
      const key = flatten(c.ConditionKey)?.replace(/^aws:ResourceTag\//, '');
      const want = flatten(c.ConditionValue) ?? '';
      const values = storeTagLists(store).map((tags) => (key ? tagValue(tags, key) : undefined));
      const like = (v: string | undefined) =>
        v !== undefined && new RegExp(`^${want.split('*').map(escape).join('.*')}$`).test(v);
      const holds =
        op === 'StringEquals'
          ? values.some((v) => v === want)
          : op === 'StringNotEquals'
            ? values.every((v) => v !== want)
            : op === 'StringLike'
              ? values.some(like)
              : op === 'StringNotLike'
                ? !values.some(like)
                : false;
      if (!holds) return false;
    }
  }
  return true;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
