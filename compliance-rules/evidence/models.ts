import { servedModels } from '../../lib/config/inference';
import type { PlatformConfig } from '../../lib/config';
import type { KeyFact } from './inventory';
import { type AssemblyIndex, type SynthesizedStack, cmp } from './templates';

/**
 * The models the profile serves, per region, with their model cards (algorithm transparency) and what the
 * templates deploy for them: the endpoint and the KMS-encrypted SageMaker Model Card.
 */
export interface ModelEvidence {
  readonly region: string;
  readonly name: string;
  readonly version: string;
  readonly endpointName: string;
  readonly variants: readonly string[];
  /** Answers below it are returned for clinician review, never as trusted. */
  readonly confidenceThreshold: number;
  readonly shadow: { readonly version: string; readonly trafficPercent: number } | null;
  readonly card: {
    readonly description: string;
    readonly owner: string;
    readonly risk: string;
    readonly intendedUses: readonly string[];
    readonly outOfScopeUses: readonly string[];
    readonly trainingData: string;
    readonly evaluations: readonly string[];
    readonly approval: string;
  };
  /** The endpoint resource of this region's templates (null when the templates do not deploy it). */
  readonly endpoint: string | null;
  /** The SageMaker Model Card resource, its status and the key it is encrypted with. */
  readonly modelCard: { readonly resource: string; readonly status: string; readonly key: string } | null;
}

export function modelEvidence(
  config: PlatformConfig,
  index: AssemblyIndex,
  pathOf: (stack: SynthesizedStack, logicalId: string) => string,
  keys: readonly KeyFact[],
): ModelEvidence[] {
  const endpoints = index.resourcesOfType('AWS::SageMaker::Endpoint');
  const cards = index.resourcesOfType('AWS::SageMaker::ModelCard');
  return servedModels(config)
    .map((m): ModelEvidence => {
      const endpoint = endpoints.find(
        (e) => e.stack.region === m.region && e.resource.Properties?.EndpointName === m.endpointName,
      );
      const card = cards.find(
        (c) => c.stack.region === m.region && c.resource.Properties?.ModelCardName === m.endpointName,
      );
      const keyValue = (card?.resource.Properties?.SecurityConfig as { KmsKeyId?: unknown } | undefined)
        ?.KmsKeyId;
      const keyTarget = card ? index.target(card.stack, keyValue) : undefined;
      const keyId = keyTarget ? pathOf(keyTarget.stack, keyTarget.logicalId) : undefined;
      const key = keyId
        ? (keys.find((k) => k.id === keyId)?.alias ?? keyId)
        : card
          ? index.render(card.stack, keyValue)
          : '';
      const c = m.card;
      const a = c.approval;
      return {
        region: m.region,
        name: m.name,
        version: m.version,
        endpointName: m.endpointName,
        variants: m.variants,
        confidenceThreshold: m.confidenceThreshold,
        shadow: m.shadow ? { version: m.shadow.version, trafficPercent: m.shadow.trafficPercent } : null,
        card: {
          description: c.description,
          owner: `${c.owner.team} <${c.owner.email}>`,
          risk: `${c.risk.rating}: ${c.risk.explanation}`,
          intendedUses: c.intendedUse.intendedUses,
          outOfScopeUses: c.intendedUse.outOfScopeUses,
          trainingData: c.trainingData.summary,
          evaluations: c.evaluations.map(
            (e) => `${e.name}: ${e.metrics.map((x) => `${x.name} ${x.value}`).join(', ')}`,
          ),
          approval:
            a.status === 'Approved'
              ? `Approved by ${a.approvedBy ?? '?'} on ${a.approvedOn ?? '?'} (${a.reference ?? 'no reference'})`
              : a.status,
        },
        endpoint: endpoint ? pathOf(endpoint.stack, endpoint.logicalId) : null,
        modelCard: card
          ? {
              resource: pathOf(card.stack, card.logicalId),
              status:
                typeof card.resource.Properties?.ModelCardStatus === 'string'
                  ? card.resource.Properties.ModelCardStatus
                  : 'unknown',
              key,
            }
          : null,
      };
    })
    .sort((x, y) => cmp(x.region, y.region) || cmp(x.name, y.name));
}
