import { NagRuleCompliance } from 'cdk-nag';
import { rendered } from '../support/rendered';
import { defineRule } from '../support/rule';
import { isCustomerManagedKey } from '../support/stores';

/**
 * Every SQS queue and SNS topic is encrypted with a customer-managed KMS key. SQS-managed SSE and the
 * `alias/aws/sqs` / `alias/aws/sns` keys do not count: their key policies cannot be scoped, their use cannot
 * be revoked, and messages may carry PHI (ingestion, dead letters, alarms).
 *
 * 45 CFR 164.312(a)(2)(iv) encryption and decryption; 164.312(e)(2)(ii) encryption.
 */
export const QueueTopicCmk = defineRule(
  {
    id: 'QueueTopicCmk',
    title: 'Every SQS queue and SNS topic is encrypted with a customer-managed KMS key',
    cfr: ['164.312(a)(2)(iv)', '164.312(e)(2)(ii)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::SQS::Queue', 'AWS::SNS::Topic'],
    info: 'The SQS queue or SNS topic is not encrypted with a customer-managed KMS key.',
    explanation:
      'Set encryption: QueueEncryption.KMS with encryptionMasterKey (SQS) or masterKey (SNS) to the domain key; SQS-managed SSE and alias/aws/* keys do not count.',
  },
  (node) => {
    const type = node.cfnResourceType;
    if (type !== 'AWS::SQS::Queue' && type !== 'AWS::SNS::Topic') return NagRuleCompliance.NOT_APPLICABLE;
    return isCustomerManagedKey(rendered(node).properties.KmsMasterKeyId)
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
);
