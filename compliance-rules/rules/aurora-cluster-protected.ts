import { NagRuleCompliance } from 'cdk-nag';
import { isTrue, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';
import { isCustomerManagedKey } from '../support/stores';

/**
 * Every Aurora/RDS cluster, the members of a global database included, is encrypted with a customer-managed
 * KMS key, authenticates with IAM, and has deletion protection.
 *
 * A global database's secondary cluster is its own `AWS::RDS::DBCluster` in the DR region, under that
 * region's key: it is checked like any other cluster. cdk-nag's HIPAA pack checks storage encryption but not
 * which key, IAM authentication only on instances, and has no rule for global clusters.
 *
 * 45 CFR 164.312(a)(2)(iv) encryption and decryption; 164.312(d) person or entity authentication (IAM
 * tokens instead of long-lived database passwords); 164.312(a)(1) access control; 164.312(c)(1) integrity
 * (deletion protection).
 */
export const AuroraClusterProtected = defineRule(
  {
    id: 'AuroraClusterProtected',
    title:
      'Every Aurora cluster, global members included, uses a customer-managed KMS key, IAM auth and deletion protection',
    cfr: ['164.312(a)(2)(iv)', '164.312(d)', '164.312(a)(1)', '164.312(c)(1)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::RDS::DBCluster'],
    info: 'The RDS/Aurora cluster is not encrypted with a customer-managed KMS key, lacks IAM database authentication, or lacks deletion protection.',
    explanation:
      "Set storageEncrypted with storageEncryptionKey (the region's PHI key), iamAuthentication: true and deletionProtection: true on every cluster, the global database's secondary included.",
  },
  (node) => {
    if (node.cfnResourceType !== 'AWS::RDS::DBCluster') return NagRuleCompliance.NOT_APPLICABLE;
    const p = rendered(node).properties;
    const ok =
      isTrue(p.StorageEncrypted) &&
      isCustomerManagedKey(p.KmsKeyId) &&
      isTrue(p.EnableIAMDatabaseAuthentication) &&
      isTrue(p.DeletionProtection);
    return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
);
