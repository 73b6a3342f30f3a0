import type { CfnResource } from 'aws-cdk-lib';
import { type IApplyRule, NagPack, type NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { NagPackClass } from '../evidence/observed';
import { ResourceIndex } from '../support/app-index';
import { forgetRenderings } from '../support/rendered';

/**
 * A documented correction of one cdk-nag rule for one kind of resource it misjudges.
 *
 * A correction is the alternative to acknowledging a false positive on every resource it hits. It keeps the
 * rule's id and its intent, and answers the rule's question from what the resource really is, so it can fail:
 * an acknowledgement cannot. It applies only where {@link appliesTo} says so; everywhere else cdk-nag's rule
 * runs unchanged. Every result it decides carries {@link note} into the evidence report, and a test pins that
 * cdk-nag's own rule still misjudges the case (so the correction is removed once cdk-nag is fixed).
 */
export interface RuleCorrection {
  /** The cdk-nag check function's name (`NagRules` rule name), e.g. `RDSInBackupPlan`. */
  readonly check: string;
  /** The packs whose application of that check is corrected (plugin names, e.g. `HIPAA.Security`). */
  readonly packs: readonly string[];
  /** The upstream issue that describes the false positive. */
  readonly reference: string;
  /** One sentence for the evidence report: how the result was decided. */
  readonly note: string;
  /** The resources the correction decides; cdk-nag's rule judges every other one. */
  appliesTo(node: CfnResource): boolean;
  /** The corrected verdict for a resource {@link appliesTo} accepts. */
  evaluate(node: CfnResource): NagRuleResult;
}

/** A rule function that a correction stands in for, with the note the evidence report records. */
export type CorrectedRuleFunction = ((node: CfnResource) => NagRuleResult) & {
  /** The correction's note when it decided `node`, else undefined (cdk-nag's own rule decided). */
  readonly correctionNote: (node: CfnResource) => string | undefined;
};

/** The correction's note function when {@link corrected} substituted the rule of `params`, else undefined. */
export function correctionNoteOf(params: IApplyRule): CorrectedRuleFunction['correctionNote'] | undefined {
  const rule: unknown = Reflect.get(params, 'rule');
  const note: unknown = typeof rule === 'function' ? Reflect.get(rule, 'correctionNote') : undefined;
  return typeof note === 'function' ? (note as CorrectedRuleFunction['correctionNote']) : undefined;
}

/**
 * A pack whose rules named by `corrections` are evaluated through their correction where it applies. Wrap the
 * observed pack (`corrected(observed(Pack), ...)`) so the evidence report records the corrected result, and its
 * note. The rule id, level, info and explanation stay cdk-nag's.
 */
export function corrected<T extends NagPackClass>(Pack: T, corrections: readonly RuleCorrection[]): T {
  class Corrected extends (Pack as unknown as typeof ConcretePack) {
    override validateScope(scope: IConstruct) {
      // A correction reads the app through the shared index: re-read it, the tree may have changed.
      if (this.mine().length > 0) {
        forgetRenderings();
        ResourceIndex.forget();
      }
      return super.validateScope(scope);
    }

    protected override applyRule(params: IApplyRule): void {
      const correction = this.mine().find((c) => c.check === params.rule.name);
      if (!correction) {
        super.applyRule(params);
        return;
      }
      const name = params.rule.name;
      const rule = (node: CfnResource): NagRuleResult =>
        correction.appliesTo(node) ? correction.evaluate(node) : params.rule(node);
      Object.defineProperties(rule, {
        name: { value: name },
        correctionNote: {
          value: (node: CfnResource) => (correction.appliesTo(node) ? correction.note : undefined),
        },
      });
      super.applyRule({ ...params, ruleSuffixOverride: params.ruleSuffixOverride ?? name, rule });
    }

    private mine(): readonly RuleCorrection[] {
      return corrections.filter((c) => c.packs.includes(this.name));
    }
  }
  Object.defineProperty(Corrected, 'name', { value: Pack.name });
  return Corrected as unknown as T;
}

/** A concrete pack, for typing the subclass: every real pack implements these abstract members. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- an ambient class, used only through `typeof`
declare class ConcretePack extends NagPack {
  readonly name: string;
  protected checkResource(node: CfnResource): void;
}
