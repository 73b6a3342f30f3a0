import type { CfnResource } from 'aws-cdk-lib';
import { type IApplyRule, NagPack, NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { correctionNoteOf } from '../corrections/rule-correction';
import { EvidenceRecorder, type RuleOutcome } from './recorder';

/** Any concrete NagPack class: cdk-nag's packs and our own. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the TypeScript mixin pattern requires `any[]`
export type NagPackClass = new (...args: any[]) => NagPack;

/**
 * Makes a pack report every rule × resource result to the app's {@link EvidenceRecorder}, not only its
 * violations, so that the evidence report can show what passed (45 CFR 164.308(a)(8) evaluation,
 * 164.316(b)(1) documentation).
 *
 * The pack still decides pass or fail exactly as before: the rule is called once, by cdk-nag's own
 * `applyRule`, and its answer is only observed on the way out. Register the observed pack with
 * `Validations.of(app).addPlugins(...)` as usual; it stays the gate.
 *
 * @example
 * const ObservedHipaa = observed(HIPAASecurityChecks);
 * Validations.of(app).addPlugins(new ObservedHipaa(app));
 */
export function observed<T extends NagPackClass>(Pack: T): T {
  class Observed extends (Pack as unknown as typeof ConcretePack) {
    override validateScope(scope: IConstruct) {
      EvidenceRecorder.of(scope).beginPack(this.name, librarySource(Pack));
      return super.validateScope(scope);
    }

    protected override applyRule(params: IApplyRule): void {
      const check = params.rule.name;
      // cdk-nag names the rule after the function; pin that name, because the wrapper below has its own.
      const suffix = params.ruleSuffixOverride ?? check;
      const descriptor = {
        pack: this.name,
        ruleId: `${this.readPackName}-${suffix}`,
        check,
        level: params.level,
        info: params.info,
        explanation: params.explanation,
      };
      let outcome: RuleOutcome = { kind: 'error' };
      const correctionNote = correctionNoteOf(params);
      const rule = (node: CfnResource): NagRuleResult => {
        const result = params.rule(node);
        const note = correctionNote?.(node);
        outcome = note === undefined ? toOutcome(result) : { ...toOutcome(result), note };
        return result;
      };
      try {
        super.applyRule({ ...params, ruleSuffixOverride: suffix, rule });
      } finally {
        EvidenceRecorder.of(params.node).record(descriptor, params.node, outcome);
      }
    }
  }
  Object.defineProperty(Observed, 'name', { value: `Observed${Pack.name}` });
  return Observed as unknown as T;
}

/** A concrete pack, for typing the subclass: every real pack implements these abstract members. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- an ambient class, used only through `typeof`
declare class ConcretePack extends NagPack {
  readonly name: string;
  protected checkResource(node: CfnResource): void;
}

/** `<library> <version>` for a pack published as a jsii library (cdk-nag's packs carry their fqn and version). */
function librarySource(Pack: NagPackClass): string | undefined {
  // Own property only: a project pack inherits NagPack's own `cdk-nag.NagPack` entry.
  if (!Object.prototype.hasOwnProperty.call(Pack, JSII_RTTI)) return undefined;
  const rtti = (Pack as unknown as Record<symbol, { fqn?: string; version?: string } | undefined>)[JSII_RTTI];
  return rtti?.fqn && rtti.version ? `${rtti.fqn.split('.')[0]} ${rtti.version}` : undefined;
}

const JSII_RTTI = Symbol.for('jsii.rtti');

function toOutcome(result: NagRuleResult): RuleOutcome {
  if (Array.isArray(result)) return { kind: 'findings', findings: [...result] };
  switch (result) {
    case NagRuleCompliance.COMPLIANT:
      return { kind: 'compliant' };
    case NagRuleCompliance.NON_COMPLIANT:
      return { kind: 'non-compliant' };
    default:
      return { kind: 'not-applicable' };
  }
}
