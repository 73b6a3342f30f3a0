import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import { ResourceIndex } from '../support/app-index';
import { plansCovering } from '../support/backup';
import { flatten, referencedResource, regionOf, rendered } from '../support/rendered';
import type { RuleCorrection } from './rule-correction';

/**
 * cdk-nag's `RDSInBackupPlan` (HIPAA Security and NIST 800-53 rev 5 packs), corrected for Aurora.
 *
 * The rule's intent, after the AWS Config rule `rds-in-backup-plan`: the database's data is in an AWS Backup
 * plan (45 CFR 164.308(a)(7)(ii)(A); NIST CP-9, CP-10). cdk-nag checks it by looking for each
 * `AWS::RDS::DBInstance` in a backup selection of the instance's own stack. An Aurora instance has no storage of
 * its own: the data lives in the cluster volume, and AWS Backup protects Aurora as a cluster (resource type
 * `Aurora`, selected by cluster ARN). AWS Config itself checks Aurora with a separate rule on
 * `AWS::RDS::DBCluster`, `aurora-resources-protected-by-backup-plan`
 * (https://docs.aws.amazon.com/config/latest/developerguide/aurora-resources-protected-by-backup-plan.html).
 * So for an Aurora instance cdk-nag's rule can only be met by selecting the instance ARN, which protects
 * nothing, and a correctly protected cluster fails it: cdklabs/cdk-nag#1627, open since 2024.
 *
 * The correction asks the rule's question of what holds the data. For an instance that belongs to a cluster,
 * the instance is compliant when its cluster is selected by a backup plan of this app (by reference, by ARN in
 * any stack or region, or by tag, with AWS Backup's selection semantics: {@link plansCovering}); otherwise it is
 * non-compliant, as is an instance whose cluster is not part of the app. Every other resource, standalone RDS
 * instances included, is judged by cdk-nag's own rule, unchanged.
 *
 * The correction is stricter than the acknowledgement it replaces: an acknowledgement stays green if someone
 * removes the cluster from the plan; the corrected rule turns red.
 */
export const RdsInBackupPlanForAurora: RuleCorrection = {
  check: 'RDSInBackupPlan',
  packs: ['HIPAA.Security', 'NIST.800.53.R5'],
  reference: 'https://github.com/cdklabs/cdk-nag/issues/1627',
  note: "Evaluated by the platform's correction of cdk-nag's rule for Aurora (cdklabs/cdk-nag#1627): an Aurora instance holds no data of its own, so the rule is asked of its cluster, which must be selected by an AWS Backup plan of this app.",
  appliesTo: (node) => auroraClusterIdentifierOf(node) !== undefined,
  evaluate(node): NagRuleResult {
    const cluster = clusterOf(node);
    if (!cluster) return NagRuleCompliance.NON_COMPLIANT;
    return plansCovering(cluster).length > 0 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};

/** The rendered `DBClusterIdentifier` of an `AWS::RDS::DBInstance`, or undefined for any other resource. */
function auroraClusterIdentifierOf(node: CfnResource): unknown {
  if (node.cfnResourceType !== 'AWS::RDS::DBInstance') return undefined;
  return rendered(node).properties.DBClusterIdentifier;
}

/**
 * The `AWS::RDS::DBCluster` an instance belongs to: the resource its `DBClusterIdentifier` references, or the
 * cluster of the app in the instance's region whose identifier is that name (RDS identifiers are
 * case-insensitive).
 */
function clusterOf(instance: CfnResource): CfnResource | undefined {
  const value = auroraClusterIdentifierOf(instance);
  const target = referencedResource(instance, value);
  if (target) return target.cfnResourceType === 'AWS::RDS::DBCluster' ? target : undefined;
  const name = flatten(value);
  if (name === undefined || name.includes('{')) return undefined;
  const region = regionOf(instance);
  return ResourceIndex.of(instance)
    .ofType('AWS::RDS::DBCluster')
    .find(
      (c) =>
        c.region === region &&
        flatten(c.view.properties.DBClusterIdentifier)?.toLowerCase() === name.toLowerCase(),
    )?.node;
}
