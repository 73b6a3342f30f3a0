import { PLATFORM_PACK_NAME, RELATIONAL_RULES, RESOURCE_RULES } from './hipaa-platform-pack';
import type { RuleMeta } from './support/rule';

/** One rule of the platform pack, as the evidence report and reviewers see it. */
export interface CatalogueEntry extends Omit<RuleMeta, 'id'> {
  /** `ClinicalAI.HIPAA-<rule>`: the rule name in findings and the validation report. Stable. */
  readonly ruleId: string;
  /** The rule's own id (the part after the pack name). */
  readonly rule: string;
  /** The prefix of every acknowledgement id of this rule: `ClinicalAI.HIPAA::ClinicalAI.HIPAA-<rule>`. */
  readonly acknowledgementId: string;
  readonly pack: string;
}

/**
 * The machine-readable catalogue of the platform pack's rules: for each rule id, its title, the 45 CFR
 * sections it serves, its severity and whether it is per-resource or relational. Ordered as the pack applies
 * them. Rule ids never change once released: acknowledgements and evidence diffs refer to them.
 */
export const PLATFORM_RULE_CATALOGUE: readonly CatalogueEntry[] = [
  ...RESOURCE_RULES,
  ...RELATIONAL_RULES,
].map(({ id, check: _check, ...meta }) => ({
  ...meta,
  rule: id,
  ruleId: `${PLATFORM_PACK_NAME}-${id}`,
  acknowledgementId: `${PLATFORM_PACK_NAME}::${PLATFORM_PACK_NAME}-${id}`,
  pack: PLATFORM_PACK_NAME,
}));

/** The catalogue entry of a rule id (`ClinicalAI.HIPAA-X`, with or without a `[finding]` suffix), if ours. */
export function catalogueEntry(ruleId: string): CatalogueEntry | undefined {
  const base = ruleId.replace(/\[.*\]$/, '');
  return PLATFORM_RULE_CATALOGUE.find((e) => e.ruleId === base || e.acknowledgementId === base);
}
