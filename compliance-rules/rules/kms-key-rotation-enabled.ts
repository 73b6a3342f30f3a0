import { NagRuleCompliance } from 'cdk-nag';
import { rendered, isTrue } from '../support/rendered';
import { defineRule } from '../support/rule';

/** The longest rotation period the platform accepts: yearly, AWS's default and the usual cryptoperiod. */
export const MAX_ROTATION_DAYS = 365;

/**
 * Every KMS key rotates its key material automatically at least once a year.
 *
 * Asymmetric, HMAC and imported-material keys cannot rotate automatically: they fail here and need an
 * acknowledged manual-rotation procedure, which is what an auditor would ask for.
 *
 * 45 CFR 164.312(a)(2)(iv) encryption and decryption: limiting how much PHI one key version protects and how
 * long a compromised version stays useful.
 */
export const KmsKeyRotationEnabled = defineRule(
  {
    id: 'KmsKeyRotationEnabled',
    title: 'Every KMS key rotates automatically at least yearly',
    cfr: ['164.312(a)(2)(iv)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::KMS::Key'],
    info: `The KMS key does not rotate automatically at least every ${MAX_ROTATION_DAYS} days (or is a key type that cannot).`,
    explanation:
      'Set enableKeyRotation: true (rotationPeriodInDays <= 365) on symmetric keys with AWS-generated material. Keys that cannot rotate need an acknowledged manual-rotation procedure.',
  },
  (node) => {
    if (node.cfnResourceType !== 'AWS::KMS::Key') return NagRuleCompliance.NOT_APPLICABLE;
    const p = rendered(node).properties;
    const symmetric = p.KeySpec === undefined || p.KeySpec === 'SYMMETRIC_DEFAULT';
    const awsMaterial = p.Origin === undefined || p.Origin === 'AWS_KMS';
    const period = p.RotationPeriodInDays;
    const yearly = period === undefined || (typeof period === 'number' && period <= MAX_ROTATION_DAYS);
    return symmetric && awsMaterial && isTrue(p.EnableKeyRotation) && yearly
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
);
