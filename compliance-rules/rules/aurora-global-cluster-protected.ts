import { NagRuleCompliance } from 'cdk-nag';
import { isTrue, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';

/**
 * Every Aurora global database (`AWS::RDS::GlobalCluster`) is encrypted and has deletion protection.
 *
 * A global cluster created from an existing cluster (`SourceDBClusterIdentifier`) inherits that cluster's
 * encryption, which {@link AuroraClusterProtected} checks; one created empty must set `StorageEncrypted`,
 * because its members cannot be encrypted if it is not.
 *
 * 45 CFR 164.312(a)(2)(iv) encryption and decryption; 164.312(c)(1) integrity (no accidental deletion of the
 * database that spans the regions); 164.308(a)(7)(ii)(B) disaster recovery plan.
 */
export const AuroraGlobalClusterProtected = defineRule(
  {
    id: 'AuroraGlobalClusterProtected',
    title: 'Every Aurora global database is encrypted and has deletion protection',
    cfr: ['164.312(a)(2)(iv)', '164.312(c)(1)', '164.308(a)(7)(ii)(B)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::RDS::GlobalCluster'],
    info: 'The Aurora global database is not encrypted (neither StorageEncrypted nor an encrypted source cluster) or lacks deletion protection.',
    explanation:
      'Create the global cluster from the encrypted primary cluster (SourceDBClusterIdentifier) or with StorageEncrypted: true, and set DeletionProtection: true.',
  },
  (node) => {
    if (node.cfnResourceType !== 'AWS::RDS::GlobalCluster') return NagRuleCompliance.NOT_APPLICABLE;
    const p = rendered(node).properties;
    const encrypted = p.SourceDBClusterIdentifier !== undefined || isTrue(p.StorageEncrypted);
    return encrypted && isTrue(p.DeletionProtection)
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
);
