import { AspectPriority, Aspects, type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, type NagPack } from 'cdk-nag';
import { ManagedGrantPolicies } from '../lib/aspects/managed-grant-policies';
import { observed } from './evidence/observed';
import { HipaaPlatformChecks } from './hipaa-platform-pack';

/**
 * The packs every synth runs, in every profile: cdk-nag's three and our own (`ClinicalAI.HIPAA`). Each is observed: besides failing the synth on a finding,
 * it records every rule × resource result (passes included) for the evidence report.
 */
export function compliancePacks(app: App): NagPack[] {
  return [HIPAASecurityChecks, AwsSolutionsChecks, NIST80053R5Checks, HipaaPlatformChecks].map(
    (Pack) => new (observed(Pack))(app),
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
