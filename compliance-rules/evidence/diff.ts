import type { AcknowledgementFact } from './acknowledgements';
import type { DataStore } from './inventory';
import { EVIDENCE_SCHEMA_VERSION, type Evidence } from './model';
import { cmp } from './templates';

/** One thing that appeared, disappeared or changed between two reports. */
export interface Change {
  readonly kind: 'appeared' | 'disappeared' | 'changed';
  /** What it is, e.g. `164.312(b)` or `HIPAA.Security-S3BucketLoggingEnabled @ Data-us-east-1/Documents/Resource`. */
  readonly subject: string;
  /** For a change: what changed, e.g. `status pass → fail`. For an appearance or disappearance: a short description. */
  readonly detail: string;
}

export interface EvidenceDiff {
  readonly from: { readonly profile: string; readonly commit: string };
  readonly to: { readonly profile: string; readonly commit: string };
  readonly controls: readonly Change[];
  readonly rules: readonly Change[];
  /** Non-compliant and acknowledged results (granular findings one by one). */
  readonly findings: readonly Change[];
  readonly acknowledgements: readonly Change[];
  readonly dataStores: readonly Change[];
  /** Totals that moved, e.g. `compliant results 594 → 610`. */
  readonly totals: readonly string[];
}

/** Reads an evidence.json (as written by the report) and checks that it is one. */
export function parseEvidence(text: string, label: string): Evidence {
  const data = JSON.parse(text) as Partial<Evidence>;
  if (
    data.schemaVersion !== EVIDENCE_SCHEMA_VERSION ||
    !Array.isArray(data.controls) ||
    !Array.isArray(data.rules)
  ) {
    throw new Error(`${label} is not an evidence.json of schema version ${EVIDENCE_SCHEMA_VERSION}`);
  }
  return data as Evidence;
}

/** Compares two reports: what a code reviewer needs to see about a change's compliance. */
export function diffEvidence(before: Evidence, after: Evidence): EvidenceDiff {
  return {
    from: { profile: before.profile.name, commit: before.provenance.gitCommit },
    to: { profile: after.profile.name, commit: after.provenance.gitCommit },
    controls: compare(
      byKey(before.controls, (c) => c.id),
      byKey(after.controls, (c) => c.id),
      (c) => `${c.title}: ${c.status}`,
      (a, b) => [
        a.status !== b.status ? `status ${a.status} → ${b.status}` : '',
        a.rules.length !== b.rules.length ? `rules ${a.rules.length} → ${b.rules.length}` : '',
        a.counts.nonCompliant !== b.counts.nonCompliant
          ? `non-compliant ${a.counts.nonCompliant} → ${b.counts.nonCompliant}`
          : '',
        a.counts.acknowledged !== b.counts.acknowledged
          ? `acknowledged ${a.counts.acknowledged} → ${b.counts.acknowledged}`
          : '',
        a.counts.compliant !== b.counts.compliant
          ? `compliant ${a.counts.compliant} → ${b.counts.compliant}`
          : '',
      ],
    ),
    rules: compare(
      byKey(before.rules, (r) => r.findingId),
      byKey(after.rules, (r) => r.findingId),
      (r) => r.description,
      (a, b) => [
        a.level !== b.level ? `level ${a.level} → ${b.level}` : '',
        a.controls.map((l) => l.control).join(',') !== b.controls.map((l) => l.control).join(',')
          ? `controls ${a.controls.map((l) => l.control).join(', ') || 'none'} → ${b.controls.map((l) => l.control).join(', ') || 'none'}`
          : '',
      ],
    ),
    findings: compare(
      findings(before),
      findings(after),
      (f) => f.status,
      (a, b) => [
        a.status !== b.status ? `${a.status} → ${b.status}` : '',
        a.at !== b.at ? `acknowledged on ${a.at ?? '—'} → ${b.at ?? '—'}` : '',
      ],
    ),
    acknowledgements: compare(
      byKey(before.acknowledgements, (a) => `${a.id} @ ${a.path}`),
      byKey(after.acknowledgements, (a) => `${a.id} @ ${a.path}`),
      (a) => `${a.reason} (owner ${a.owner ?? '—'}, expires ${a.expires ?? '—'})`,
      (a, b) =>
        (['reason', 'reference', 'owner', 'expires', 'covers'] as const).map((k) => fieldChange(k, a, b)),
    ),
    dataStores: compare(
      byKey(before.dataStores, (s) => s.id),
      byKey(after.dataStores, (s) => s.id),
      (s) => `${s.kind} in ${s.region}, key ${s.key.display}`,
      (a, b) => [
        a.key.display !== b.key.display ? `key ${a.key.display} → ${b.key.display}` : '',
        a.keyRotation !== b.keyRotation ? `key rotation ${a.keyRotation} → ${b.keyRotation}` : '',
        a.classification !== b.classification
          ? `classification ${a.classification ?? '—'} → ${b.classification ?? '—'}`
          : '',
        list(a.replicas.map((r) => r.region)) !== list(b.replicas.map((r) => r.region))
          ? `replicas ${list(a.replicas.map((r) => r.region))} → ${list(b.replicas.map((r) => r.region))}`
          : '',
        list(backupsOf(a)) !== list(backupsOf(b))
          ? `backups ${list(backupsOf(a))} → ${list(backupsOf(b))}`
          : '',
        list(a.retention) !== list(b.retention)
          ? `retention ${list(a.retention)} → ${list(b.retention)}`
          : '',
      ],
    ),
    totals: totals(before, after),
  };
}

function fieldChange<K extends keyof AcknowledgementFact>(
  k: K,
  a: AcknowledgementFact,
  b: AcknowledgementFact,
): string {
  return a[k] !== b[k] ? `${k} ${String(a[k] ?? '—')} → ${String(b[k] ?? '—')}` : '';
}

const list = (xs: readonly string[]): string => (xs.length ? [...xs].sort(cmp).join('; ') : 'none');
const backupsOf = (s: DataStore): string[] =>
  s.backups.map((b) => `${b.plan}/${b.rule}${b.copies.map((c) => ` → ${c.region}`).join('')}`);

function byKey<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  return new Map(items.map((i) => [key(i), i]));
}

interface FindingState {
  readonly status: string;
  readonly at: string | undefined;
}

/** Every non-compliant or acknowledged result, granular findings one by one, keyed by finding and resource. */
function findings(e: Evidence): Map<string, FindingState> {
  const out = new Map<string, FindingState>();
  for (const rule of e.rules) {
    for (const row of rule.results) {
      if (row.status === 'compliant') continue;
      if (row.findings && row.findings.length > 0) {
        for (const f of row.findings)
          out.set(`${f.id} @ ${row.resource}`, { status: f.status, at: f.acknowledgedAt });
      } else {
        out.set(`${rule.id} @ ${row.resource}`, { status: row.status, at: row.acknowledgedAt });
      }
    }
  }
  return out;
}

function compare<T>(
  before: Map<string, T>,
  after: Map<string, T>,
  describe: (t: T) => string,
  changes: (a: T, b: T) => string[],
): Change[] {
  const out: Change[] = [];
  for (const [k, a] of before) {
    const b = after.get(k);
    if (b === undefined) out.push({ kind: 'disappeared', subject: k, detail: describe(a) });
    else {
      const detail = changes(a, b).filter(Boolean).join('; ');
      if (detail) out.push({ kind: 'changed', subject: k, detail });
    }
  }
  for (const [k, b] of after)
    if (!before.has(k)) out.push({ kind: 'appeared', subject: k, detail: describe(b) });
  const order = { appeared: 0, changed: 1, disappeared: 2 };
  return out.sort((x, y) => order[x.kind] - order[y.kind] || cmp(x.subject, y.subject));
}

function totals(a: Evidence, b: Evidence): string[] {
  const pairs: [string, number, number][] = [
    ['controls passing', a.summary.controls.pass, b.summary.controls.pass],
    ['controls with the template part passing', a.summary.controls.partial, b.summary.controls.partial],
    ['controls failing', a.summary.controls.fail, b.summary.controls.fail],
    ['controls no rule applies to', a.summary.controls.untested, b.summary.controls.untested],
    ['rules', a.summary.rules, b.summary.rules],
    ['resources checked', a.summary.resources, b.summary.resources],
    ['compliant results', a.summary.results.compliant, b.summary.results.compliant],
    ['non-compliant results', a.summary.results.nonCompliant, b.summary.results.nonCompliant],
    ['acknowledged results', a.summary.results.acknowledged, b.summary.results.acknowledged],
    ['not-applicable results', a.summary.results.notApplicable, b.summary.results.notApplicable],
    ['acknowledgements', a.summary.acknowledgements.total, b.summary.acknowledgements.total],
    ['data stores', a.summary.dataStores.total, b.summary.dataStores.total],
    [
      'ePHI stores without a customer-managed key',
      a.summary.dataStores.phiWithoutCmk,
      b.summary.dataStores.phiWithoutCmk,
    ],
    [
      'primary ePHI stores without a DR copy',
      a.summary.dataStores.primaryWithoutDrCopy,
      b.summary.dataStores.primaryWithoutDrCopy,
    ],
  ];
  return pairs.filter(([, x, y]) => x !== y).map(([label, x, y]) => `${label} ${x} → ${y}`);
}

const MARK = { appeared: '+', disappeared: '-', changed: '~' } as const;

/** The diff as text for a terminal or a pull-request comment. */
export function formatDiff(d: EvidenceDiff): string {
  const lines: string[] = [
    `Evidence diff: ${d.from.profile} @ ${d.from.commit.slice(0, 12)} → ${d.to.profile} @ ${d.to.commit.slice(0, 12)}`,
  ];
  if (d.from.profile !== d.to.profile) lines.push(`Note: the reports are of different profiles.`);
  const sections: [string, readonly Change[]][] = [
    ['Controls', d.controls],
    ['Findings (non-compliant or acknowledged results)', d.findings],
    ['Acknowledgements', d.acknowledgements],
    ['Rules', d.rules],
    ['Data stores', d.dataStores],
  ];
  let any = d.totals.length > 0;
  for (const [title, changes] of sections) {
    if (changes.length === 0) continue;
    any = true;
    const n = (k: Change['kind']) => changes.filter((c) => c.kind === k).length;
    lines.push(
      '',
      `${title}: ${n('appeared')} appeared, ${n('disappeared')} disappeared, ${n('changed')} changed`,
    );
    for (const c of changes) lines.push(`  ${MARK[c.kind]} ${c.subject}: ${c.detail}`);
  }
  if (d.totals.length > 0) lines.push('', 'Totals:', ...d.totals.map((t) => `  ${t}`));
  if (!any) lines.push('', 'No change in controls, findings, acknowledgements, rules or data stores.');
  return `${lines.join('\n')}\n`;
}
