import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../support/rule';
import {
  CLASSIFICATION_TAG,
  CLASSIFICATIONS,
  DATA_STORE_TYPES,
  isDataStore,
  storeTagLists,
} from '../support/stores';
import { tagValue } from '../support/rendered';

/**
 * Every data store carries a `data-classification` tag of `phi`, `confidential` or `internal` (every replica
 * of a global table, since replicas carry their own tags).
 *
 * The classification is how the other rules, the evidence report's data-store inventory and the people
 * operating the account tell PHI stores apart; an unclassified store is treated as PHI by the rules, and
 * fails here so that someone decides. 45 CFR 164.308(a)(7)(ii)(E) applications and data criticality
 * analysis; 164.308(a)(1)(ii)(B) risk management.
 */
export const DataStoreClassified = defineRule(
  {
    id: 'DataStoreClassified',
    title: 'Every data store carries a data-classification tag (phi, confidential or internal)',
    cfr: ['164.308(a)(7)(ii)(E)', '164.308(a)(1)(ii)(B)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: [...DATA_STORE_TYPES],
    info: `The data store does not carry a ${CLASSIFICATION_TAG} tag of ${CLASSIFICATIONS.join(', ')}.`,
    explanation:
      "Tag every store (every global-table replica) with its data classification so that PHI stores can be told apart; the platform tags the app with the profile's classification.",
  },
  (node) => {
    if (!isDataStore(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const lists = storeTagLists(node);
    const ok =
      lists.length > 0 &&
      lists.every((tags) =>
        (CLASSIFICATIONS as readonly (string | undefined)[]).includes(tagValue(tags, CLASSIFICATION_TAG)),
      );
    return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
);
