import { AspectPriority, Aspects, type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, type NagPack } from 'cdk-nag';
import { ManagedGrantPolicies } from '../lib/aspects/managed-grant-policies';

/** The cdk-nag packs every synth runs, in every profile. */
export function compliancePacks(app: App): NagPack[] {
  return [new HIPAASecurityChecks(app), new AwsSolutionsChecks(app), new NIST80053R5Checks(app)];
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
