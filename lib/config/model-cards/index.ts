import { deteriorationRisk_1_0_0 } from './deterioration-risk';
import type { ModelCardInput } from './schema';

export * from './schema';

/**
 * Every model card in the repository, keyed `<model>@<version>`. Profiles reference cards from here;
 * the evidence report lists the cards of the deployed models (see `servedModels` in lib/config/inference.ts).
 */
export const MODEL_CARDS: Readonly<Record<string, ModelCardInput>> = {
  'deterioration-risk@1.0.0': deteriorationRisk_1_0_0,
};

/** The card of a model version, or a clear error naming the cards that exist. */
export function modelCard(name: string, version: string): ModelCardInput {
  const card = MODEL_CARDS[`${name}@${version}`];
  if (!card) {
    throw new Error(
      `no model card for ${name}@${version}; cards in lib/config/model-cards: ${Object.keys(MODEL_CARDS).join(', ')}`,
    );
  }
  return card;
}
