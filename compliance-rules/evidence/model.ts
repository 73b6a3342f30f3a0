import { CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { PlatformConfig } from '../../lib/config';
import { type EvidenceSource, HIPAA_CONTROLS, type HipaaControl, citedControls } from '../hipaa-catalogue';
import { type AcknowledgementFact, AcknowledgementIndex } from './acknowledgements';
import { type DataStore, type FlowEdge, type KeyFact, buildInventory, isPhiStore } from './inventory';
import { type ModelEvidence, modelEvidence } from './models';
import { type CapacityEvidence, type DrPosture, capacityEvidence, drPosture } from './posture';
import { type Provenance, buildProvenance } from './provenance';
import { EvidenceRecorder, type ObservedResult, type RuleDescriptor } from './recorder';
import { AssemblyIndex, type SynthesizedStack, cmp, readAssembly } from './templates';

/** The version of the evidence.json format (compliance-rules/evidence/evidence.schema.json). */
export const EVIDENCE_SCHEMA_VERSION = 1;

export type ResultStatus = 'compliant' | 'non-compliant' | 'acknowledged';

/** One rule applied to one resource where it applies (not-applicable results are counted per rule). */
export interface ResultRow {
  /** The resource's construct path. */
  readonly resource: string;
  readonly status: ResultStatus;
  /** A granular rule's findings (e.g. `AwsSolutions-IAM5[Resource::*]`), each acknowledged or not. */
  readonly findings?: readonly {
    readonly id: string;
    readonly status: 'non-compliant' | 'acknowledged';
    readonly acknowledgedAt?: string;
  }[];
  /** Where the acknowledgement that covers this result was made. */
  readonly acknowledgedAt?: string;
  readonly note?: string;
}

export interface ResultCounts {
  compliant: number;
  nonCompliant: number;
  acknowledged: number;
  notApplicable: number;
}

/** How a rule is linked to a control. */
export interface ControlLink {
  readonly control: string;
  /**
   * `cited`: the rule's own text cites the CFR paragraph (cdk-nag's HIPAA pack, our pack).
   * `same-check`: the rule runs the same check function as a rule that cites it (e.g. NIST or AwsSolutions
   * rules that reuse a HIPAA rule's check), named in `via`.
   */
  readonly basis: 'cited' | 'same-check';
  readonly via?: string;
}

export interface RuleEvidence {
  readonly pack: string;
  /** `<Pack>-<Rule>`, as cdk-nag names it. */
  readonly id: string;
  /** The id to acknowledge it with: `<Pack>::<Pack>-<Rule>`. */
  readonly findingId: string;
  /** The check function, shared by packs that run the same check. */
  readonly check: string;
  readonly level: string;
  readonly description: string;
  readonly explanation: string;
  readonly controls: readonly ControlLink[];
  readonly counts: ResultCounts;
  readonly results: readonly ResultRow[];
}

export interface ResourceFact {
  readonly path: string;
  readonly type: string;
  readonly stack: string;
  readonly region: string;
  readonly logicalId: string;
  readonly template: string;
}

export type ControlStatus = 'pass' | 'partial' | 'fail' | 'untested' | 'not-checkable';

export interface ControlEvidence {
  readonly id: string;
  readonly section: string;
  readonly safeguard: string;
  readonly title: string;
  readonly requirement: string;
  readonly evidence: readonly EvidenceSource[];
  readonly note: string;
  readonly status: ControlStatus;
  /** The status in one sentence an auditor can read. */
  readonly statusReason: string;
  /** The rules that test it (`findingId`s), in report order. */
  readonly rules: readonly string[];
  readonly counts: Omit<ResultCounts, 'notApplicable'> & { resources: number };
}

export interface PackSummary {
  readonly name: string;
  /** Where the pack comes from, e.g. `cdk-nag 3.0.2` or `clinical-ai-platform 0.1.0`. */
  readonly source: string;
  readonly rules: number;
  readonly counts: ResultCounts;
}

export interface EvidenceSummary {
  /** `fail` when any result is non-compliant and not acknowledged: the synth's compliance gate fails. */
  readonly gate: 'pass' | 'fail';
  readonly controls: Readonly<Record<ControlStatus, number>> & { readonly total: number };
  readonly packs: number;
  readonly rules: number;
  readonly resources: number;
  readonly results: ResultCounts & { readonly total: number };
  readonly acknowledgements: {
    readonly total: number;
    /** Acknowledgements of the observed packs that cover no result. */
    readonly unused: number;
    readonly withoutOwnerOrExpiry: number;
    /** Acknowledgements for validation plugins outside the report (aws-cdk-lib's, for CloudFormation Validate). */
    readonly otherPlugins: number;
  };
  readonly dataStores: {
    readonly total: number;
    readonly phi: number;
    readonly phiWithoutCmk: number;
    readonly primaryWithoutDrCopy: number;
  };
}

export interface Evidence {
  readonly schemaVersion: typeof EVIDENCE_SCHEMA_VERSION;
  /** The one line that differs between two synths of the same commit. */
  readonly generated: string;
  readonly profile: {
    readonly name: string;
    readonly account: string;
    readonly primaryRegion: string;
    readonly drRegion: string | null;
    readonly dataClassification: string;
    readonly owner: string;
  };
  readonly summary: EvidenceSummary;
  readonly packs: readonly PackSummary[];
  readonly controls: readonly ControlEvidence[];
  readonly rules: readonly RuleEvidence[];
  readonly resources: readonly ResourceFact[];
  readonly acknowledgements: readonly AcknowledgementFact[];
  readonly keys: readonly KeyFact[];
  readonly dataStores: readonly DataStore[];
  readonly dataFlow: {
    readonly regions: readonly { readonly region: string; readonly role: 'primary' | 'dr' }[];
    readonly edges: readonly FlowEdge[];
  };
  readonly drPosture: DrPosture;
  readonly capacity: CapacityEvidence;
  /** The served models per region with their model cards, and the endpoint and card the templates deploy. */
  readonly models: readonly ModelEvidence[];
  readonly provenance: Provenance;
  /** Things the report noticed that an auditor should know (unknown CFR citations, unused acknowledgements). */
  readonly notes: readonly string[];
}

export interface EvidenceInput {
  /** The app (or any construct of it) whose observed packs ran during `app.synth()`. */
  readonly app: IConstruct;
  readonly config: PlatformConfig;
  /** The cloud assembly directory `app.synth()` wrote. */
  readonly outdir: string;
  readonly generated: Date;
  readonly repoRoot: string;
  readonly gitCommit: string;
  /**
   * The CFR paragraphs a rule serves when the rule's pack declares them as data (our pack's catalogue);
   * otherwise the report reads the citations in the rule's text.
   * @default - citations in the rule's `info` and `explanation`
   */
  readonly declaredControls?: (rule: RuleDescriptor) => readonly string[] | undefined;
}

/** Builds the evidence of one synth from the recorded results, the construct tree and the written templates. */
export function buildEvidence(input: EvidenceInput): Evidence {
  const root = input.app.node.root;
  const notes: string[] = [];
  const stacks = readAssembly(input.outdir);
  const index = new AssemblyIndex(stacks);
  const paths = constructPaths(root);
  const pathOf = (stack: SynthesizedStack, logicalId: string): string =>
    paths.get(`${stack.artifactId}\u0000${logicalId}`) ?? `${stack.artifactId}/${logicalId}`;
  const templateOf = new Map(stacks.map((s) => [s.artifactId, s.templateFile]));

  const acks = new AcknowledgementIndex(root);
  const recorder = EvidenceRecorder.of(root);
  const packOrder = recorder.packs;
  const resources = new Map<CfnResource, ResourceFact>();
  const factOf = (node: CfnResource): ResourceFact => {
    let f = resources.get(node);
    if (!f) {
      const stack = Stack.of(node);
      f = {
        path: node.node.path,
        type: node.cfnResourceType,
        stack: stack.stackName,
        region: stack.region,
        logicalId: String(stack.resolve(node.logicalId)),
        template: templateOf.get(stack.artifactId) ?? stack.templateFile,
      };
      resources.set(node, f);
    }
    return f;
  };

  const rules = buildRules(recorder.results, acks, factOf, packOrder);
  linkControls(rules, input.declaredControls, notes);
  const controls = HIPAA_CONTROLS.map((c) => controlEvidence(c, rules));

  const acknowledgements = acks.list(packOrder.map(namespaceOf));
  for (const a of acknowledgements) {
    if (a.covers === 0)
      notes.push(`Acknowledgement ${a.id} on ${a.path} covers no result: remove it or correct its id.`);
  }

  const inventory = buildInventory(index, pathOf);
  const { profile } = input.config;
  const posture = drPosture(input.config, inventory);
  const phi = inventory.stores.filter(isPhiStore);
  const total = sumCounts(rules.map((r) => r.counts));
  const resultsTotal = total.compliant + total.nonCompliant + total.acknowledged + total.notApplicable;
  const statusCount = (s: ControlStatus): number => controls.filter((c) => c.status === s).length;
  const provenance = buildProvenance(stacks, { repoRoot: input.repoRoot, gitCommit: input.gitCommit });

  return {
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    generated: input.generated.toISOString(),
    profile: {
      name: profile.name,
      account: profile.account,
      primaryRegion: profile.regions.primary,
      drRegion: profile.regions.dr ?? null,
      dataClassification: profile.tags.dataClassification,
      owner: profile.tags.owner,
    },
    summary: {
      gate: total.nonCompliant > 0 ? 'fail' : 'pass',
      controls: {
        total: controls.length,
        pass: statusCount('pass'),
        partial: statusCount('partial'),
        fail: statusCount('fail'),
        untested: statusCount('untested'),
        'not-checkable': statusCount('not-checkable'),
      },
      packs: packOrder.length,
      rules: rules.length,
      resources: new Set(recorder.results.map((r) => r.resource)).size,
      results: { ...total, total: resultsTotal },
      acknowledgements: {
        total: acknowledgements.length,
        unused: acknowledgements.filter((a) => a.covers === 0).length,
        withoutOwnerOrExpiry: acknowledgements.filter(
          (a) => a.covers !== null && (a.owner === null || a.expires === null),
        ).length,
        otherPlugins: acknowledgements.filter((a) => a.covers === null).length,
      },
      dataStores: {
        total: inventory.stores.length,
        phi: phi.length,
        phiWithoutCmk: phi.filter((s) => s.key.type !== 'cmk').length,
        primaryWithoutDrCopy: posture.primaryStoresWithoutDrCopy.length,
      },
    },
    packs: packOrder.map((name) => {
      const mine = rules.filter((r) => r.pack === name);
      const source = recorder.sourceOf(name) ?? `${provenance.project.name} ${provenance.project.version}`;
      return { name, source, rules: mine.length, counts: sumCounts(mine.map((r) => r.counts)) };
    }),
    controls,
    rules,
    resources: [...resources.values()].sort((a, b) => cmp(a.path, b.path)),
    acknowledgements,
    keys: inventory.keys,
    dataStores: inventory.stores,
    dataFlow: {
      regions: input.config.regions.map((region) => ({
        region,
        role: region === profile.regions.primary ? ('primary' as const) : ('dr' as const),
      })),
      edges: inventory.edges,
    },
    drPosture: posture,
    capacity: capacityEvidence(input.config, index, pathOf),
    models: modelEvidence(input.config, index, pathOf, inventory.keys),
    provenance,
    notes: notes.sort(cmp),
  };
}

/** Construct path of every CfnResource, by stack artifact id and logical id. */
function constructPaths(root: IConstruct): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of root.node.findAll()) {
    if (!CfnResource.isCfnResource(c)) continue;
    const stack = Stack.of(c);
    out.set(`${stack.artifactId}\u0000${String(stack.resolve(c.logicalId))}`, c.node.path);
  }
  return out;
}

const namespaceOf = (pack: string): string => pack.replace(/ /g, '-');

function buildRules(
  results: readonly ObservedResult[],
  acks: AcknowledgementIndex,
  factOf: (node: CfnResource) => ResourceFact,
  packOrder: readonly string[],
): (RuleEvidence & { controls: ControlLink[] })[] {
  const byRule = new Map<string, { rule: RuleDescriptor; rows: ResultRow[]; counts: ResultCounts }>();
  for (const { rule, resource, outcome } of results) {
    const key = `${rule.pack}\u0000${rule.ruleId}`;
    let entry = byRule.get(key);
    if (!entry) {
      entry = {
        rule,
        rows: [],
        counts: { compliant: 0, nonCompliant: 0, acknowledged: 0, notApplicable: 0 },
      };
      byRule.set(key, entry);
    }
    const findingId = `${namespaceOf(rule.pack)}::${rule.ruleId}`;
    const path = factOf(resource).path;
    let row: ResultRow | undefined;
    switch (outcome.kind) {
      case 'not-applicable':
        entry.counts.notApplicable += 1;
        break;
      case 'compliant':
        row = { resource: path, status: 'compliant', ...(outcome.note ? { note: outcome.note } : {}) };
        break;
      case 'non-compliant':
      case 'error': {
        const ack = acks.match(resource, findingId);
        row = {
          resource: path,
          status: ack ? 'acknowledged' : 'non-compliant',
          ...(ack ? { acknowledgedAt: ack.path } : {}),
          ...(outcome.kind === 'error'
            ? {
                note: 'The rule could not evaluate this resource (usually an intrinsic in a checked property); cdk-nag reports that as a finding.',
              }
            : outcome.note
              ? { note: outcome.note }
              : {}),
        };
        break;
      }
      case 'findings': {
        if (outcome.findings.length === 0) {
          row = { resource: path, status: 'compliant' };
          break;
        }
        const findings = [...new Set(outcome.findings)].sort(cmp).map((f) => {
          const ack = acks.match(resource, `${findingId}[${f}]`);
          return ack
            ? { id: `${rule.ruleId}[${f}]`, status: 'acknowledged' as const, acknowledgedAt: ack.path }
            : { id: `${rule.ruleId}[${f}]`, status: 'non-compliant' as const };
        });
        row = {
          resource: path,
          status: findings.every((f) => f.status === 'acknowledged') ? 'acknowledged' : 'non-compliant',
          findings,
        };
        break;
      }
    }
    if (row) {
      entry.rows.push(row);
      if (row.status === 'compliant') entry.counts.compliant += 1;
      else if (row.status === 'acknowledged') entry.counts.acknowledged += 1;
      else entry.counts.nonCompliant += 1;
    }
  }
  return [...byRule.values()]
    .map(({ rule, rows, counts }) => ({
      pack: rule.pack,
      id: rule.ruleId,
      findingId: `${namespaceOf(rule.pack)}::${rule.ruleId}`,
      check: rule.check,
      level: rule.level,
      description: rule.info,
      explanation: rule.explanation,
      controls: [] as ControlLink[],
      counts,
      results: rows.sort((a, b) => cmp(a.resource, b.resource)),
    }))
    .sort((a, b) => packOrder.indexOf(a.pack) - packOrder.indexOf(b.pack) || cmp(a.id, b.id));
}

/**
 * Links each rule to the controls it tests: the paragraphs it declares or cites, else those cited by a rule
 * of another pack that runs the same check function.
 */
function linkControls(
  rules: (RuleEvidence & { controls: ControlLink[] })[],
  declared: EvidenceInput['declaredControls'],
  notes: string[],
): void {
  const cited = new Map<RuleEvidence, string[]>();
  for (const rule of rules) {
    const descriptor: RuleDescriptor = {
      pack: rule.pack,
      ruleId: rule.id,
      check: rule.check,
      level: rule.level as RuleDescriptor['level'],
      info: rule.description,
      explanation: rule.explanation,
    };
    const fromData = declared?.(descriptor);
    const { controls, unknown } = citedControls(
      fromData ? fromData.join(' ') : `${rule.description} ${rule.explanation}`,
    );
    for (const u of unknown)
      notes.push(`Rule ${rule.id} cites ${u}, which is not in the HIPAA control catalogue.`);
    cited.set(rule, controls);
    rule.controls.push(...controls.map((control) => ({ control, basis: 'cited' as const })));
  }
  const byCheck = new Map<string, { control: string; via: string }[]>();
  for (const rule of rules) {
    for (const control of cited.get(rule) ?? []) {
      const list = byCheck.get(rule.check) ?? [];
      list.push({ control, via: rule.id });
      byCheck.set(rule.check, list);
    }
  }
  for (const rule of rules) {
    if (rule.controls.length > 0) continue;
    const seen = new Set<string>();
    for (const { control, via } of byCheck.get(rule.check) ?? []) {
      if (seen.has(control)) continue;
      seen.add(control);
      rule.controls.push({ control, basis: 'same-check', via });
    }
  }
  for (const rule of rules) {
    rule.controls.sort(
      (a, b) =>
        HIPAA_CONTROLS.findIndex((c) => c.id === a.control) -
        HIPAA_CONTROLS.findIndex((c) => c.id === b.control),
    );
  }
}

const SOURCE_WORDS: Record<EvidenceSource, string> = {
  template: 'templates',
  runtime: 'the running platform (runtime)',
  'aws-baa': 'AWS under the BAA',
  organisation: 'the organisation (policies, people, processes)',
};

function controlEvidence(control: HipaaControl, rules: readonly RuleEvidence[]): ControlEvidence {
  const mine = rules.filter((r) => r.controls.some((l) => l.control === control.id));
  const counts = { compliant: 0, nonCompliant: 0, acknowledged: 0, resources: 0 };
  const resources = new Set<string>();
  for (const r of mine) {
    counts.compliant += r.counts.compliant;
    counts.nonCompliant += r.counts.nonCompliant;
    counts.acknowledged += r.counts.acknowledged;
    for (const row of r.results) resources.add(row.resource);
  }
  counts.resources = resources.size;
  const fromTemplates = control.evidence.includes('template');
  const elsewhere = control.evidence.filter((e) => e !== 'template').map((e) => SOURCE_WORDS[e]);
  const applicable = counts.compliant + counts.nonCompliant + counts.acknowledged;
  let status: ControlStatus;
  let statusReason: string;
  if (counts.nonCompliant > 0) {
    status = 'fail';
    statusReason = `${counts.nonCompliant} result(s) of the rules that test it are non-compliant and not acknowledged.`;
  } else if (!fromTemplates) {
    status = 'not-checkable';
    statusReason = `Not checkable from templates: evidence comes from ${elsewhere.join(' and ')}.${
      mine.length > 0 ? ' Rule results below are supporting evidence only.' : ''
    }`;
  } else if (applicable === 0) {
    status = 'untested';
    statusReason = 'Templates can evidence it, but no rule applied to any resource of this synth.';
  } else if (elsewhere.length === 0) {
    status = 'pass';
    statusReason = `Every applicable result passes (${counts.compliant} compliant, ${counts.acknowledged} acknowledged).`;
  } else {
    status = 'partial';
    statusReason = `The template part passes (${counts.compliant} compliant, ${counts.acknowledged} acknowledged); the rest comes from ${elsewhere.join(' and ')} and is not checkable from templates.`;
  }
  return {
    id: control.id,
    section: control.section,
    safeguard: control.safeguard,
    title: control.title,
    requirement: control.requirement,
    evidence: control.evidence,
    note: control.note,
    status,
    statusReason,
    rules: mine.map((r) => r.findingId),
    counts,
  };
}

function sumCounts(list: readonly ResultCounts[]): ResultCounts {
  const out: ResultCounts = { compliant: 0, nonCompliant: 0, acknowledged: 0, notApplicable: 0 };
  for (const c of list) {
    out.compliant += c.compliant;
    out.nonCompliant += c.nonCompliant;
    out.acknowledged += c.acknowledged;
    out.notApplicable += c.notApplicable;
  }
  return out;
}
