import { AspectPriority, Aspects, type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, type NagPack } from 'cdk-nag';
import { ManagedGrantPolicies } from '../lib/aspects/managed-grant-policies';
import { RdsInBackupPlanForAurora } from './corrections/rds-in-backup-plan';
import { corrected, type RuleCorrection } from './corrections/rule-correction';
import { observed } from './evidence/observed';
import { HipaaPlatformChecks } from './hipaa-platform-pack';

/**
 * The documented corrections of cdk-nag rules that misjudge a resource type (compliance-rules/corrections/,
 * docs/compliance-rules.md#corrections): each keeps its rule's id and intent, and can fail.
 */
export const RULE_CORRECTIONS: readonly RuleCorrection[] = [RdsInBackupPlanForAurora];

/**
 * The packs every synth runs, in every profile: cdk-nag's three and our own (`ClinicalAI.HIPAA`). Each is observed: besides failing the synth on a finding,
 * it records every rule × resource result (passes included) for the evidence report. {@link RULE_CORRECTIONS}
 * apply to the packs they name.
 */
export function compliancePacks(app: App): NagPack[] {
  return [HIPAASecurityChecks, AwsSolutionsChecks, NIST80053R5Checks, HipaaPlatformChecks].map(
    (Pack) => new (corrected(observed(Pack), RULE_CORRECTIONS))(app),
  );
}

/**
 * Puts the app behind the compliance gate: the platform-wide aspects that make resources compliant by
 * construction, then the rule packs as policy-validation plugins. Any finding that is not acknowledged
 * (warnings included) fails the synth with the rule id and the construct path.
 */
export function registerComplianceGate(app: App, packs: NagPack[] = compliancePacks(app)): NagPack[] {
  applyPlatformAspects(app);
  Validations.of(app).addPlugins(...packs);
  return packs;
}

/** Aspects that every app (and every test app) gets, gate or no gate, so tests see what deploys. */
export function applyPlatformAspects(app: App): void {
  Aspects.of(app).add(new ManagedGrantPolicies(), { priority: AspectPriority.MUTATING });
}
