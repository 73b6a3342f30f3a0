import type { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How a rule answered for one resource, before acknowledgements are applied; `note` says how, when the answer
 * came from a documented correction of the rule (compliance-rules/corrections/).
 */
export type RuleOutcome = (
  | { readonly kind: 'compliant' }
  | { readonly kind: 'non-compliant' }
  | { readonly kind: 'not-applicable' }
  /** A granular rule: one finding per offending detail (e.g. `Resource::*`); an empty list is compliant. */
  | { readonly kind: 'findings'; readonly findings: readonly string[] }
  /** The rule threw (usually an intrinsic in a checked property); the pack reports it as a violation. */
  | { readonly kind: 'error' }
) & { readonly note?: string };

/** What a pack said about one of its rules when it applied it. */
export interface RuleDescriptor {
  /** The pack's plugin name, e.g. `HIPAA.Security`; the namespace of acknowledgement ids. */
  readonly pack: string;
  /** `<Pack>-<Rule>`, e.g. `HIPAA.Security-LambdaDLQ` or `AwsSolutions-IAM5`. */
  readonly ruleId: string;
  /** The rule function's own name, shared by every pack that applies the same check. */
  readonly check: string;
  readonly level: 'Error' | 'Warning' | 'Info';
  /** Why the rule triggers (cdk-nag `info`); HIPAA and our pack cite their 45 CFR sections here. */
  readonly info: string;
  /** Why the rule exists (cdk-nag `explanation`). */
  readonly explanation: string;
}

/** One rule applied to one resource. */
export interface ObservedResult {
  readonly rule: RuleDescriptor;
  readonly resource: CfnResource;
  readonly outcome: RuleOutcome;
}

const recorders = new WeakMap<IConstruct, EvidenceRecorder>();

/**
 * Collects every rule × resource result of the observed packs of one app (see `observed()`), including the
 * compliant and not-applicable ones that cdk-nag 3 does not report. One recorder per construct tree root.
 */
export class EvidenceRecorder {
  /** The recorder of the tree `scope` belongs to, created on first use. */
  static of(scope: IConstruct): EvidenceRecorder {
    const root = scope.node.root;
    let recorder = recorders.get(root);
    if (!recorder) {
      recorder = new EvidenceRecorder();
      recorders.set(root, recorder);
    }
    return recorder;
  }

  private readonly byPack = new Map<string, ObservedResult[]>();
  private readonly sources = new Map<string, string>();
  private readonly rules = new Map<string, RuleDescriptor>();

  private constructor() {}

  /**
   * Starts a fresh evaluation of a pack: a pack validated twice (a second `validateScope`) replaces its
   * earlier results instead of counting them twice.
   */
  beginPack(pack: string, source: string | undefined): void {
    this.byPack.set(pack, []);
    if (source) this.sources.set(pack, source);
  }

  /** Where a pack comes from (e.g. `cdk-nag 3.0.2`), when its class says so; undefined for a project pack. */
  sourceOf(pack: string): string | undefined {
    return this.sources.get(pack);
  }

  record(rule: RuleDescriptor, resource: CfnResource, outcome: RuleOutcome): void {
    const key = `${rule.pack}\u0000${rule.ruleId}`;
    let known = this.rules.get(key);
    if (!known) {
      known = rule;
      this.rules.set(key, rule);
    }
    let list = this.byPack.get(rule.pack);
    if (!list) {
      list = [];
      this.byPack.set(rule.pack, list);
    }
    list.push({ rule: known, resource, outcome });
  }

  /** The packs observed so far, in the order they were first evaluated. */
  get packs(): readonly string[] {
    return [...this.byPack.keys()];
  }

  /** Every result recorded, pack by pack, in evaluation order. */
  get results(): readonly ObservedResult[] {
    return [...this.byPack.values()].flat();
  }
}
