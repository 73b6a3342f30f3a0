import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { ResourceIndex } from '../support/app-index';
import { planRules, plansCovering, resolveVault } from '../support/backup';
import { deploymentOf } from '../support/deployment';
import { flatten, isObject, referencedResource, regionOf, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';
import { DATA_STORE_TYPES, isPhiStore } from '../support/stores';
import { destinationBucket } from './s3-replication-destination-protected';

/**
 * Relational: in a multi-region profile, every PHI store of the primary region has a copy in the DR region
 * that this app creates, either a replica or a backup copy:
 * - a DynamoDB global table with a replica in the DR region;
 * - an Aurora cluster whose global database has a member cluster in a DR-region stack;
 * - an S3 bucket replicating into a bucket of a DR-region stack;
 * - or, for any store, a backup plan copying its recovery points into a vault of a DR-region stack.
 *
 * It looks across stacks and regions, so it runs after the per-resource walk. Not applicable to
 * single-region profiles and to stores of the DR region. A stack with no profile needs a copy in any other
 * region of the app.
 *
 * 45 CFR 164.308(a)(7)(ii)(B) disaster recovery plan; 164.308(a)(7)(ii)(A) data backup plan.
 */
export const PhiStoreDrCopy = defineRule(
  {
    id: 'PhiStoreDrCopy',
    title:
      'In production, every PHI store of the primary region has a replica or a backup copy in the DR region',
    cfr: ['164.308(a)(7)(ii)(B)', '164.308(a)(7)(ii)(A)'],
    severity: 'error',
    kind: 'relational',
    appliesTo: [...DATA_STORE_TYPES],
    info: 'The PHI store of the primary region has neither a replica nor a backup copy in the DR region created by this app.',
    explanation:
      "Give the store a DR-region counterpart: a global-table replica, an Aurora global database secondary, S3 replication into the DR bucket, or a backup copy action into the DR region's vault.",
  },
  (node) => {
    if (!isPhiStore(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const where = deploymentOf(node);
    if (!where.multiRegion || !where.inPrimaryRegion) return NagRuleCompliance.NOT_APPLICABLE;
    const isDr = (region: string | undefined) =>
      region !== undefined &&
      region !== where.region &&
      (where.drRegion === undefined || region === where.drRegion);
    return hasReplicaIn(node, isDr) || hasBackupCopyIn(node, isDr)
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
);

function hasReplicaIn(store: CfnResource, isDr: (region: string | undefined) => boolean): boolean {
  const p = rendered(store).properties;
  switch (store.cfnResourceType) {
    case 'AWS::DynamoDB::GlobalTable':
      return (Array.isArray(p.Replicas) ? p.Replicas : []).some(
        (r) => isObject(r) && isDr(flatten(r.Region)),
      );
    case 'AWS::RDS::DBCluster': {
      const global = globalDatabaseOf(store);
      if (global === undefined) return false;
      return ResourceIndex.of(store)
        .ofType('AWS::RDS::DBCluster')
        .some((c) => c.node !== store && isDr(c.region) && globalDatabaseOf(c.node) === global);
    }
    case 'AWS::S3::Bucket': {
      const config = isObject(p.ReplicationConfiguration) ? p.ReplicationConfiguration : {};
      return (Array.isArray(config.Rules) ? config.Rules : []).some((rule) => {
        if (!isObject(rule) || rule.Status !== 'Enabled' || !isObject(rule.Destination)) return false;
        const bucket = destinationBucket(store, rule.Destination.Bucket);
        return bucket !== undefined && isDr(regionOf(bucket));
      });
    }
    default:
      return false;
  }
}

/**
 * The global database a cluster belongs to: named on the cluster (`GlobalClusterIdentifier`), or, for the
 * writer a global database was created from, the global cluster whose `SourceDBClusterIdentifier` is it.
 */
function globalDatabaseOf(cluster: CfnResource): string | undefined {
  const own = globalClusterIdentity(cluster, rendered(cluster).properties.GlobalClusterIdentifier);
  if (own !== undefined) return own;
  const created = ResourceIndex.of(cluster)
    .ofType('AWS::RDS::GlobalCluster')
    .find((g) => referencedResource(g.node, g.view.properties.SourceDBClusterIdentifier) === cluster);
  return created ? nameOfGlobal(created.node) : undefined;
}

function nameOfGlobal(global: CfnResource): string {
  const name = flatten(rendered(global).properties.GlobalClusterIdentifier);
  return name === undefined || name.includes('{') ? global.node.path : name;
}

/** The name of the global database a cluster belongs to, whether given by reference or as a literal. */
function globalClusterIdentity(scope: CfnResource, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const target = referencedResource(scope, value);
  if (target) return nameOfGlobal(target);
  const name = flatten(value);
  return name === undefined || name.includes('{') ? undefined : name;
}

function hasBackupCopyIn(store: CfnResource, isDr: (region: string | undefined) => boolean): boolean {
  return plansCovering(store)
    .flatMap(planRules)
    .some((rule) => rule.copyDestinations.some((d) => isDr(resolveVault(rule.plan, d)?.region)));
}
