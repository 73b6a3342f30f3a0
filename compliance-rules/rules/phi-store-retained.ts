import { NagRuleCompliance } from 'cdk-nag';
import { rendered } from '../support/rendered';
import { defineRule } from '../support/rule';
import { DATA_STORE_TYPES, isPhiStore } from '../support/stores';

/** Deletion policies that keep the data: `Snapshot` only where CloudFormation supports it (RDS). */
const KEEPS_DATA = new Set(['Retain', 'RetainExceptOnCreate']);
const SNAPSHOT_TYPES = new Set(['AWS::RDS::DBCluster', 'AWS::RDS::DBInstance']);

/**
 * No PHI store is destroyed with its stack: its `DeletionPolicy` and `UpdateReplacePolicy` are both
 * explicitly `Retain` (or `RetainExceptOnCreate`, or `Snapshot` for RDS). A missing policy fails, because
 * CloudFormation's default for most types is to delete. An unclassified store counts as a PHI store.
 *
 * 45 CFR 164.312(c)(1) integrity (protect ePHI from improper destruction); 164.308(a)(7)(ii)(A) data backup
 * plan; 164.316(b)(2)(i) retention.
 */
export const PhiStoreRetained = defineRule(
  {
    id: 'PhiStoreRetained',
    title: 'No PHI store has a deletion or replacement policy that destroys it',
    cfr: ['164.312(c)(1)', '164.308(a)(7)(ii)(A)', '164.316(b)(2)(i)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: [...DATA_STORE_TYPES],
    info: 'The PHI store would be deleted with its stack or on replacement (DeletionPolicy/UpdateReplacePolicy not Retain).',
    explanation:
      'Use removalPolicy: RemovalPolicy.RETAIN (or SNAPSHOT for RDS) on every PHI store; an accidental stack deletion must never destroy PHI.',
  },
  (node) => {
    if (!isPhiStore(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const r = rendered(node);
    const keeps = (policy: string | undefined) =>
      policy !== undefined &&
      (KEEPS_DATA.has(policy) || (policy === 'Snapshot' && SNAPSHOT_TYPES.has(r.type)));
    return keeps(r.deletionPolicy) && keeps(r.updateReplacePolicy)
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
);
