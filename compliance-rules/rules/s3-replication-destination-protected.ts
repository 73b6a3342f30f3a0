import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { ResourceIndex } from '../support/app-index';
import { keyRegion } from '../support/keys';
import { flatten, isObject, refsIn, refTarget, regionOf, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';

/**
 * Every S3 replication destination is encrypted with a KMS key in the destination's own region, with
 * Replication Time Control on.
 *
 * Findings, per enabled replication rule:
 * - `NoDestinationKey`: replicas would be stored under the destination bucket's default, not a named CMK;
 * - `KmsObjectsNotReplicated`: without `SourceSelectionCriteria.SseKmsEncryptedObjects` S3 silently skips
 *   every SSE-KMS object, i.e. every PHI object of this platform;
 * - `DestinationKeyInOtherRegion`: S3 needs a key in the destination's region (a cross-region key call would
 *   also tie the DR copy to the primary region's availability);
 * - `DestinationKeyRegionUnverifiable`: the template shows neither the destination bucket (it is not part of
 *   this app) nor the key's region, so the requirement cannot be shown;
 * - `NoReplicationTimeControl`: RTC (with its metrics) is what bounds the replication lag, and so the RPO.
 *
 * 45 CFR 164.312(a)(2)(iv) encryption and decryption; 164.308(a)(7)(ii)(A) data backup plan and
 * 164.308(a)(7)(ii)(B) disaster recovery plan (a bounded-lag copy in the DR region).
 */
export const S3ReplicationDestinationProtected = defineRule(
  {
    id: 'S3ReplicationDestinationProtected',
    title: 'Every S3 replication destination is encrypted with a KMS key in its own region, with RTC on',
    cfr: ['164.312(a)(2)(iv)', '164.308(a)(7)(ii)(A)', '164.308(a)(7)(ii)(B)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::S3::Bucket'],
    info: 'An S3 replication rule does not encrypt replicas with a KMS key in the destination region, skips SSE-KMS objects, or lacks Replication Time Control.',
    explanation:
      'Each rule needs Destination.EncryptionConfiguration.ReplicaKmsKeyID (a key of the destination region), SourceSelectionCriteria.SseKmsEncryptedObjects Enabled, and Destination.ReplicationTime plus Metrics Enabled.',
  },
  (node) => {
    if (node.cfnResourceType !== 'AWS::S3::Bucket') return NagRuleCompliance.NOT_APPLICABLE;
    const config = rendered(node).properties.ReplicationConfiguration;
    if (!isObject(config)) return NagRuleCompliance.NOT_APPLICABLE;
    const rules = (Array.isArray(config.Rules) ? config.Rules : []).filter(
      (r): r is Record<string, unknown> => isObject(r) && r.Status === 'Enabled',
    );
    if (rules.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
    const findings = new Set<string>();
    for (const rule of rules) {
      const dest = isObject(rule.Destination) ? rule.Destination : {};
      const enc = isObject(dest.EncryptionConfiguration) ? dest.EncryptionConfiguration : {};
      const criteria = isObject(rule.SourceSelectionCriteria) ? rule.SourceSelectionCriteria : {};
      const kmsObjects = isObject(criteria.SseKmsEncryptedObjects) ? criteria.SseKmsEncryptedObjects : {};
      if (kmsObjects.Status !== 'Enabled') findings.add('KmsObjectsNotReplicated');
      if (enc.ReplicaKmsKeyID === undefined) {
        findings.add('NoDestinationKey');
      } else {
        const destRegion = destinationRegion(node, dest.Bucket);
        const kRegion = keyRegion(node, enc.ReplicaKmsKeyID);
        if (destRegion === undefined || kRegion === undefined)
          findings.add('DestinationKeyRegionUnverifiable');
        else if (destRegion !== kRegion) findings.add('DestinationKeyInOtherRegion');
      }
      const rtc = isObject(dest.ReplicationTime) ? dest.ReplicationTime : {};
      const metrics = isObject(dest.Metrics) ? dest.Metrics : {};
      if (rtc.Status !== 'Enabled' || metrics.Status !== 'Enabled') findings.add('NoReplicationTimeControl');
    }
    return findings.size > 0 ? [...findings] : NagRuleCompliance.COMPLIANT;
  },
);

/** The bucket a replication rule's destination names, if it belongs to this app. */
export function destinationBucket(scope: CfnResource, bucketArn: unknown): CfnResource | undefined {
  for (const ref of refsIn(bucketArn)) {
    const target = refTarget(scope, ref);
    if (target?.cfnResourceType === 'AWS::S3::Bucket') return target;
  }
  const name = /^arn:[^:]+:s3:::([^/]+)$/.exec(flatten(bucketArn) ?? '')?.[1];
  if (name === undefined || name.includes('{')) return undefined;
  return ResourceIndex.of(scope)
    .ofType('AWS::S3::Bucket')
    .find((b) => flatten(b.view.properties.BucketName) === name)?.node;
}

function destinationRegion(scope: CfnResource, bucketArn: unknown): string | undefined {
  const bucket = destinationBucket(scope, bucketArn);
  return bucket ? regionOf(bucket) : undefined;
}
