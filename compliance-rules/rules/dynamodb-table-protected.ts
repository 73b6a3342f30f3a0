import { NagRuleCompliance } from 'cdk-nag';
import { isObject, isTrue, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';
import { isCustomerManagedKey } from '../support/stores';

/**
 * Every DynamoDB table, and every replica of a global table (`TableV2`), has point-in-time recovery, a
 * customer-managed KMS key and deletion protection.
 *
 * cdk-nag's HIPAA pack checks PITR only on `AWS::DynamoDB::Table` and never looks at global tables, whose
 * settings live per replica: a replica added later without PITR or with the AWS-owned key would pass it.
 *
 * 45 CFR 164.312(a)(2)(iv) encryption and decryption (a key the covered entity controls and can revoke);
 * 164.308(a)(7)(ii)(A) data backup plan (PITR: 35 days of restorable state); 164.312(c)(1) integrity
 * (deletion protection: no accidental or malicious `DeleteTable`).
 */
export const DynamoDbTableProtected = defineRule(
  {
    id: 'DynamoDbTableProtected',
    title:
      'Every DynamoDB table and global-table replica has PITR, a customer-managed KMS key and deletion protection',
    cfr: ['164.312(a)(2)(iv)', '164.308(a)(7)(ii)(A)', '164.312(c)(1)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table'],
    info: 'A DynamoDB table or global-table replica lacks point-in-time recovery, a customer-managed KMS key, or deletion protection.',
    explanation:
      'Global tables keep these settings per replica. Set pointInTimeRecoverySpecification, deletionProtection and TableEncryptionV2.customerManagedKey (with a key for every replica region).',
  },
  (node) => {
    const p = rendered(node).properties;
    if (node.cfnResourceType === 'AWS::DynamoDB::GlobalTable') {
      const sse = isObject(p.SSESpecification) ? p.SSESpecification : {};
      const replicas = (Array.isArray(p.Replicas) ? p.Replicas : []).filter(isObject);
      if (!isTrue(sse.SSEEnabled) || sse.SSEType !== 'KMS' || replicas.length === 0) {
        return NagRuleCompliance.NON_COMPLIANT;
      }
      const ok = replicas.every((r) => {
        const pitr = isObject(r.PointInTimeRecoverySpecification) ? r.PointInTimeRecoverySpecification : {};
        const rsse = isObject(r.SSESpecification) ? r.SSESpecification : {};
        return (
          isTrue(pitr.PointInTimeRecoveryEnabled) &&
          isTrue(r.DeletionProtectionEnabled) &&
          isCustomerManagedKey(rsse.KMSMasterKeyId)
        );
      });
      return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
    }
    if (node.cfnResourceType === 'AWS::DynamoDB::Table') {
      const pitr = isObject(p.PointInTimeRecoverySpecification) ? p.PointInTimeRecoverySpecification : {};
      const sse = isObject(p.SSESpecification) ? p.SSESpecification : {};
      const ok =
        isTrue(pitr.PointInTimeRecoveryEnabled) &&
        isTrue(p.DeletionProtectionEnabled) &&
        isTrue(sse.SSEEnabled) &&
        isCustomerManagedKey(sse.KMSMasterKeyId);
      return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
    }
    return NagRuleCompliance.NOT_APPLICABLE;
  },
);
