import type { ControlStatus, Evidence, RuleEvidence } from '../model';

/** Words shared by the Markdown and HTML reports, so that both say the same thing. */
export const CONTROL_STATUS_LABEL: Record<ControlStatus, string> = {
  pass: 'Pass',
  partial: 'Template part passes',
  fail: 'Fail',
  untested: 'No rule applies',
  'not-checkable': 'Not checkable from templates',
};

export const REQUIREMENT_LABEL: Record<string, string> = {
  standard: 'standard',
  required: 'R',
  addressable: 'A',
};

export const SOURCE_LABEL: Record<string, string> = {
  template: 'template',
  runtime: 'runtime',
  'aws-baa': 'AWS (BAA)',
  organisation: 'organisation',
};

const fmt = (n: number): string => n.toLocaleString('en-US');

/** The summary an auditor reads in a minute, as plain sentences (used by both reports). */
export function summaryLines(e: Evidence): string[] {
  const s = e.summary;
  const r = s.results;
  const c = s.controls;
  return [
    `Compliance gate: ${s.gate === 'pass' ? 'PASS' : 'FAIL'}, ${fmt(r.nonCompliant)} open finding(s), ${fmt(r.acknowledged)} acknowledged.`,
    `Controls: ${c.total} in the HIPAA Security Rule catalogue: ${c.pass} pass, ${c.partial} pass their template part (the rest is organisational or runtime evidence), ${c.fail} fail, ${c.untested} have no applicable rule, ${c['not-checkable']} are not checkable from templates (organisation or AWS under the BAA).`,
    `Checks: ${s.rules} rules in ${s.packs} packs applied to ${fmt(s.resources)} resources: ${fmt(r.total)} rule × resource results, of which ${fmt(r.compliant)} compliant, ${fmt(r.nonCompliant)} non-compliant, ${fmt(r.acknowledged)} acknowledged and ${fmt(r.notApplicable)} not applicable.`,
    `Data stores: ${s.dataStores.total}, of which ${s.dataStores.phi} hold ePHI; ${s.dataStores.phiWithoutCmk} ePHI store(s) without a customer-managed key${
      e.drPosture.multiRegion
        ? `; ${s.dataStores.primaryWithoutDrCopy} primary-region ePHI store(s) without a copy in ${e.drPosture.drRegion ?? 'the DR region'}`
        : ''
    }.`,
    `Acknowledgements: ${s.acknowledgements.total - s.acknowledgements.otherPlugins} of the packs' findings${
      s.acknowledgements.unused ? `, ${s.acknowledgements.unused} covering nothing` : ''
    }${s.acknowledgements.withoutOwnerOrExpiry ? `, ${s.acknowledgements.withoutOwnerOrExpiry} without an owner or expiry` : ''}${
      s.acknowledgements.otherPlugins
        ? `; ${s.acknowledgements.otherPlugins} more made by libraries for other validation plugins (listed, not counted)`
        : ''
    }.`,
  ];
}

/** `12 ✓ · 0 ✗ · 1 ack · 300 n/a` */
export function countsText(
  r: Pick<RuleEvidence['counts'], 'compliant' | 'nonCompliant' | 'acknowledged'> & { notApplicable?: number },
): string {
  const parts = [
    `${fmt(r.compliant)} compliant`,
    `${fmt(r.nonCompliant)} non-compliant`,
    `${fmt(r.acknowledged)} acknowledged`,
  ];
  if (r.notApplicable !== undefined) parts.push(`${fmt(r.notApplicable)} n/a`);
  return parts.join(' · ');
}

/** Rules that no control maps to: listed as supporting checks, never dropped. */
export function unmappedRules(e: Evidence): readonly RuleEvidence[] {
  return e.rules.filter((r) => r.controls.length === 0);
}

/** Rules with at least one applicable result, and rules that applied to no resource of this synth. */
export function splitByUse(rules: readonly RuleEvidence[]): {
  applied: RuleEvidence[];
  idle: RuleEvidence[];
} {
  const used = (r: RuleEvidence): boolean => r.results.length > 0;
  return { applied: rules.filter(used), idle: rules.filter((r) => !used(r)) };
}

export { fmt };

/** The profile's RPO and RTO targets of one store, e.g. `RPO 900 s, RTO 1800 s` (or what it does not state). */
export function recoveryTargetText(p: Evidence['drPosture']['stated'][number]): string {
  const one = (name: string, s: number | null): string =>
    s === null ? `${name} not stated` : `${name} ${fmt(s)} s`;
  return `${one('RPO', p.rpoTargetSeconds)}, ${one('RTO', p.rtoTargetSeconds)}`;
}
