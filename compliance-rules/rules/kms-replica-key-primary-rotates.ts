import { NagRuleCompliance } from 'cdk-nag';
import { resolveKey } from '../support/keys';
import { isTrue, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';
import { KmsKeyRotationEnabled } from './kms-key-rotation-enabled';

/**
 * Every multi-region replica key (`AWS::KMS::ReplicaKey`) belongs to a primary that rotates.
 *
 * A replica has no rotation setting of its own: it shares its primary's key material and rotation. The rule
 * follows `PrimaryKeyArn` to the primary when it points into this app (directly, or through the SSM
 * parameter the primary region publishes and the DR region reads at deploy time) and applies
 * {@link KmsKeyRotationEnabled} to it. Findings:
 * - `PrimaryOutsideApp`: the primary is not a key of this app, so its rotation cannot be shown from the
 *   templates; acknowledge with a reference to where it is evidenced, or bring the primary into the app;
 * - `PrimaryNotMultiRegion`: the referenced key is not a multi-region key;
 * - `PrimaryDoesNotRotate`: the primary fails {@link KmsKeyRotationEnabled}.
 *
 * 45 CFR 164.312(a)(2)(iv) encryption and decryption.
 */
export const KmsReplicaKeyPrimaryRotates = defineRule(
  {
    id: 'KmsReplicaKeyPrimaryRotates',
    title: 'Every multi-region replica key belongs to a rotating primary of this app',
    cfr: ['164.312(a)(2)(iv)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::KMS::ReplicaKey'],
    info: "The replica key's primary is not shown to be a rotating multi-region key of this app.",
    explanation:
      'A replica rotates with its primary. Create the primary in this app with multiRegion and enableKeyRotation, and pass its ARN to the replica (directly or through the published SSM parameter).',
  },
  (node) => {
    if (node.cfnResourceType !== 'AWS::KMS::ReplicaKey') return NagRuleCompliance.NOT_APPLICABLE;
    const primary = resolveKey(node, rendered(node).properties.PrimaryKeyArn);
    if (primary.kind !== 'key' || primary.resource.cfnResourceType !== 'AWS::KMS::Key')
      return ['PrimaryOutsideApp'];
    const findings: string[] = [];
    if (!isTrue(rendered(primary.resource).properties.MultiRegion)) findings.push('PrimaryNotMultiRegion');
    if (KmsKeyRotationEnabled.check(primary.resource) !== NagRuleCompliance.COMPLIANT) {
      findings.push('PrimaryDoesNotRotate');
    }
    return findings.length > 0 ? findings : NagRuleCompliance.COMPLIANT;
  },
);
