import { NagRuleCompliance } from 'cdk-nag';
import { isLockedVault, planRules, plansCovering, resolveVault } from '../support/backup';
import { deploymentOf } from '../support/deployment';
import { defineRule } from '../support/rule';
import { DATA_STORE_TYPES, isDataStore } from '../support/stores';

/**
 * Every stateful store is in an AWS Backup plan whose vault is locked; in a multi-region profile, a store of
 * the primary region is also copied into a locked vault in the DR region.
 *
 * "Locked" means AWS Backup Vault Lock in compliance mode (`ChangeableForDays` set): after the grace period
 * no one, root included, can delete a recovery point early or lift the lock, so ransomware or a compromised
 * administrator cannot destroy the backups together with the data. Stores of the DR region (the replicas
 * themselves) need the locked plan but no copy back. A stack without a platform profile is held to the
 * production bar. Findings: `NotInBackupPlan`, `VaultNotInApp`, `VaultNotLocked`, `NoCrossRegionCopy`,
 * `CopyVaultNotLocked` (the copy's vault is not a locked vault of this app in the DR region).
 *
 * 45 CFR 164.308(a)(7)(ii)(A) data backup plan; 164.308(a)(7)(ii)(B) disaster recovery plan;
 * 164.310(d)(2)(iv) data backup and storage; 164.312(c)(1) integrity.
 */
export const StoreBackedUpToLockedVault = defineRule(
  {
    id: 'StoreBackedUpToLockedVault',
    title:
      'Every stateful store is in a backup plan into a locked vault, copied to a locked vault in the DR region in production',
    cfr: ['164.308(a)(7)(ii)(A)', '164.308(a)(7)(ii)(B)', '164.310(d)(2)(iv)', '164.312(c)(1)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: [...DATA_STORE_TYPES],
    info: 'The store is not in an AWS Backup plan into a compliance-mode locked vault, or (production, primary region) its backups are not copied to a locked vault in the DR region.',
    explanation:
      "Select the store in the region's backup plan (by reference or tag); the plan's vault needs Vault Lock with ChangeableForDays, and in production a copy action to the DR region's locked vault.",
  },
  (node) => {
    if (!isDataStore(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const plans = plansCovering(node);
    if (plans.length === 0) return ['NotInBackupPlan'];
    const rules = plans.flatMap(planRules);
    const findings: string[] = [];

    const targets = rules.map((r) => resolveVault(r.plan, r.targetVault));
    if (!targets.some((v) => v !== undefined && isLockedVault(v))) {
      findings.push(targets.every((v) => v === undefined) ? 'VaultNotInApp' : 'VaultNotLocked');
    }

    const where = deploymentOf(node);
    if (where.multiRegion && where.inPrimaryRegion) {
      const copies = rules.flatMap((r) => r.copyDestinations.map((d) => resolveVault(r.plan, d)));
      const lockedInDr = copies.some(
        (v) =>
          v !== undefined &&
          isLockedVault(v) &&
          v.region !== where.region &&
          (where.drRegion === undefined || v.region === where.drRegion),
      );
      if (!lockedInDr) {
        const anyCopy = rules.some((r) => r.copyDestinations.length > 0);
        findings.push(anyCopy ? 'CopyVaultNotLocked' : 'NoCrossRegionCopy');
      }
    }
    return findings.length > 0 ? findings : NagRuleCompliance.COMPLIANT;
  },
);
