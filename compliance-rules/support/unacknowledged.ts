import { type PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One finding on one resource: `<rule id> @ <construct path>`. */
export type Finding = `${string} @ ${string}`;

/**
 * The findings of a pack report that no acknowledgement covers, as CDK's validation decides it at synth: an
 * acknowledgement `<pack>::<rule id>` made on the resource or any of its ancestors. `NagPack.validateScope`
 * reports acknowledged findings too (CDK removes them later, during synthesis); tests that call it directly
 * use this to see what the gate would fail on.
 */
export function unacknowledged(
  pack: string,
  report: PolicyValidationPluginReport,
  root: IConstruct,
): Finding[] {
  const acknowledgedAt = new Map<string, Set<string>>();
  for (const construct of root.node.root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || typeof entry.data !== 'object')
        continue;
      for (const id of Object.keys(entry.data as Record<string, unknown>)) {
        const paths = acknowledgedAt.get(id) ?? new Set();
        paths.add(construct.node.path);
        acknowledgedAt.set(id, paths);
      }
    }
  }
  const findings: Finding[] = [];
  for (const v of report.violations) {
    const paths = acknowledgedAt.get(`${pack}::${v.ruleName}`) ?? new Set<string>();
    for (const r of v.violatingResources) {
      const path = r.constructPath ?? '';
      if (!ancestry(path).some((p) => paths.has(p))) findings.push(`${v.ruleName} @ ${path}`);
    }
  }
  return findings;
}

function ancestry(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}
