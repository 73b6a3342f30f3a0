import type { CfnResource } from 'aws-cdk-lib';
import type { NagRuleResult } from 'cdk-nag';

/**
 * What the catalogue and the evidence report know about a rule. The id is part of every finding and
 * acknowledgement id (`ClinicalAI.HIPAA::ClinicalAI.HIPAA-<id>`): never rename one.
 */
export interface RuleMeta {
  /** Stable rule id, the suffix of the finding id. */
  readonly id: string;
  /** One line: what a compliant resource looks like. */
  readonly title: string;
  /** The 45 CFR Part 164 paragraphs the rule serves, as in the control catalogue (e.g. `164.312(a)(2)(iv)`). */
  readonly cfr: readonly string[];
  /**
   * How a finding is reported. Every rule of this pack is an `error`: CDK's validation lets a pack whose
   * findings are all warnings pass as soon as any other finding of that pack is acknowledged.
   */
  readonly severity: 'error';
  /**
   * `resource`: applied to each resource during the walk. `relational`: applied after the walk, to each
   * resource, with the whole app in view.
   */
  readonly kind: 'resource' | 'relational';
  /** The CloudFormation types the rule can apply to; every other type is not applicable. */
  readonly appliesTo: readonly string[];
  /** Why the rule triggered, as the synth prints it. */
  readonly info: string;
  /** Why the rule exists. */
  readonly explanation: string;
}

/**
 * A rule: its metadata and a pure function of one resource (and the app it belongs to, for rules that
 * follow references) returning cdk-nag's `NagRuleResult`. A list of findings names each way the resource
 * falls short; each can be acknowledged on its own as `<rule id>[<finding>]`.
 */
export interface PlatformRule extends RuleMeta {
  readonly check: (node: CfnResource) => NagRuleResult;
}

/** Defines a rule, naming its check function after the rule id (cdk-nag and the evidence report read `name`). */
export function defineRule(meta: RuleMeta, check: (node: CfnResource) => NagRuleResult): PlatformRule {
  Object.defineProperty(check, 'name', { value: meta.id });
  return { ...meta, check };
}
