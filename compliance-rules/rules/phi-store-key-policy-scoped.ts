import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { KEY_ADMIN_ACTIONS } from '../../lib/constructs/data-domain-key';
import { resolveKey } from '../support/keys';
import { flatten, isObject, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';
import { DATA_STORE_TYPES, isPhiStore, storeKeyValues } from '../support/stores';

const ADMIN = new Set(KEY_ADMIN_ACTIONS.map((a) => a.toLowerCase()));

/** Condition keys that narrow a grant to an AWS service acting for a caller or to named/tagged principals. */
const SCOPING_KEYS = [
  /^kms:viaservice$/i,
  /^aws:principaltag\//i,
  /^aws:principalarn$/i,
  /^kms:grantisforawsresource$/i,
  /^aws:userid$/i,
];

/**
 * Relational: every KMS key that encrypts a PHI store has a key policy that gives the account principal
 * (and `*`) key administration only. Any data-plane use granted to the account must be narrowed by a
 * condition (`kms:ViaService`, `aws:PrincipalTag/...`, `aws:PrincipalArn`, `kms:GrantIsForAWSResource`),
 * and `kms:*`/`*`/`NotAction` is never granted to it.
 *
 * Why: a key policy that allows `kms:*` or unconditioned `kms:Decrypt` to `arn:aws:iam::<account>:root`
 * delegates the key to IAM, so any identity policy in the account with `kms:Decrypt` on `*` can read the
 * PHI. `DataDomainKey` grants the account `KEY_ADMIN_ACTIONS` only and usage only via AWS services or to
 * tagged workload roles. The rule follows each store's key (per replica for a global table) to the key
 * resource in whichever stack or region it lives. Findings: `NoCustomerManagedKey`, `KeyOutsideApp`
 * (the policy cannot be shown), `KeyPolicyGrantsKmsStar`, `KeyPolicyGrantsUnscopedUse`.
 *
 * 45 CFR 164.312(a)(1) access control; 164.312(a)(2)(iv) encryption and decryption; 164.308(a)(4)(ii)(B)
 * access authorization.
 */
export const PhiStoreKeyPolicyScoped = defineRule(
  {
    id: 'PhiStoreKeyPolicyScoped',
    title:
      'Every KMS key used by a PHI store grants the account key administration only, with usage narrowed by conditions',
    cfr: ['164.312(a)(1)', '164.312(a)(2)(iv)', '164.308(a)(4)(ii)(B)'],
    severity: 'error',
    kind: 'relational',
    appliesTo: [...DATA_STORE_TYPES],
    info: 'A KMS key that encrypts this PHI store is outside the app, or its key policy grants kms:* or unconditioned usage to the account principal.',
    explanation:
      'Use DataDomainKey: the account gets KEY_ADMIN_ACTIONS only; encryption and decryption go to AWS services (kms:ViaService) or to roles tagged by DataDomainKey.allowDirectUse.',
  },
  (node) => {
    if (!isPhiStore(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const values = storeKeyValues(node);
    if (values.length === 0) return ['NoCustomerManagedKey'];
    const findings = new Set<string>();
    for (const value of values) {
      const key = resolveKey(node, value);
      if (key.kind === 'aws-managed') findings.add('NoCustomerManagedKey');
      else if (key.kind === 'unresolved') findings.add('KeyOutsideApp');
      else for (const f of policyFindings(key.resource)) findings.add(f);
    }
    return findings.size > 0 ? [...findings] : NagRuleCompliance.COMPLIANT;
  },
);

/** What is wrong with a key's policy, as findings (empty when it is scoped). */
export function policyFindings(key: CfnResource): string[] {
  const policy = rendered(key).properties.KeyPolicy;
  const statements = isObject(policy) ? ([] as unknown[]).concat(policy.Statement ?? []) : [];
  const findings = new Set<string>();
  for (const s of statements) {
    if (!isObject(s) || s.Effect !== 'Allow' || !toAccountOrAnyone(s.Principal)) continue;
    const actions = ([] as unknown[]).concat(s.Action ?? []).map((a) => String(a).toLowerCase());
    if (s.NotAction !== undefined || actions.some((a) => a === '*' || a === 'kms:*')) {
      findings.add('KeyPolicyGrantsKmsStar');
      continue;
    }
    const usage = actions.filter((a) => !ADMIN.has(a));
    if (usage.length > 0 && !scoped(s.Condition)) findings.add('KeyPolicyGrantsUnscopedUse');
  }
  return [...findings];
}

function toAccountOrAnyone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (!isObject(principal)) return false;
  return ([] as unknown[]).concat(principal.AWS ?? []).some((p) => {
    const text = flatten(p) ?? '';
    return (
      text === '*' ||
      /^arn:[^:]+:iam::[^:]+:root$/.test(text) ||
      /^\d{12}$/.test(text) ||
      text === '{AWS::AccountId}'
    );
  });
}

function scoped(condition: unknown): boolean {
  if (!isObject(condition)) return false;
  return Object.values(condition).some(
    (operands) =>
      isObject(operands) && Object.keys(operands).some((k) => SCOPING_KEYS.some((re) => re.test(k))),
  );
}
