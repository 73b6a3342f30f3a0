import { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import type { ModelCard } from '../config/model-cards/schema';

export interface ClinicalModelCardProps {
  /** The card, as validated data from lib/config/model-cards. */
  readonly card: ModelCard;
  /** Name of the SageMaker model card; stable across versions, so SageMaker keeps the card's version history. */
  readonly modelCardName: string;
  /** The CMK that encrypts the card (the region's model-artifacts key). */
  readonly key: kms.IKey;
  /** Where this version runs: serving image, artefact URI and endpoint, recorded on the card. */
  readonly deployment: {
    readonly imageUri: string;
    readonly artifactUri: string;
    readonly endpointName: string;
  };
}

/** SageMaker limits custom detail values to 1,024 characters. */
const CUSTOM_DETAIL_MAX = 1024;

/**
 * A KMS-encrypted SageMaker Model Card rendered from a model card in the repository: intended and
 * out-of-scope uses, risk rating, training data, evaluation metrics, owner and approval (algorithm
 * transparency; 45 CFR 164.308(a)(1)(ii)(A) risk analysis documents the model's risk and mitigations, and
 * 164.316(b)(1) keeps that documentation). Retained on delete: superseded cards are records.
 *
 * Its content changes with the profile; SageMaker increments `ModelCardVersion` on each change, and the API
 * handlers return that version with every prediction.
 */
export class ClinicalModelCard extends Construct {
  readonly resource: sagemaker.CfnModelCard;
  readonly modelCardName: string;
  /** The card's SageMaker version number, resolved at deploy time. */
  readonly modelCardVersion: number;

  constructor(scope: Construct, id: string, props: ClinicalModelCardProps) {
    super(scope, id);
    const c = props.card;
    const customDetails: Record<string, string> = {
      model_version: c.modelVersion,
      endpoint: props.deployment.endpointName,
      out_of_scope_uses: c.intendedUse.outOfScopeUses.join('; '),
      owner_email: c.owner.email,
      approval_status: c.approval.status,
      ...(c.approval.approvedBy ? { approved_by: c.approval.approvedBy } : {}),
      ...(c.approval.approvedOn ? { approved_on: c.approval.approvedOn } : {}),
      ...(c.approval.reference ? { approval_reference: c.approval.reference } : {}),
      training_data_summary: c.trainingData.summary,
    };
    const tooLong = Object.entries(customDetails).filter(([, v]) => v.length > CUSTOM_DETAIL_MAX);
    if (tooLong.length > 0) {
      throw new Error(
        `${this.node.path}: model card fields too long for SageMaker (${CUSTOM_DETAIL_MAX} max): ${tooLong.map(([k]) => k).join(', ')}`,
      );
    }
    this.modelCardName = props.modelCardName;
    this.resource = new sagemaker.CfnModelCard(this, 'Resource', {
      modelCardName: props.modelCardName,
      modelCardStatus: c.approval.status,
      securityConfig: { kmsKeyId: props.key.keyArn },
      content: {
        modelOverview: {
          modelName: c.modelName,
          modelDescription: c.description,
          modelOwner: `${c.owner.team} <${c.owner.email}>`,
          modelCreator: c.owner.creator,
          problemType: c.problemType,
          algorithmType: c.algorithmType,
          modelArtifact: [props.deployment.artifactUri],
          inferenceEnvironment: { containerImage: [props.deployment.imageUri] },
        },
        intendedUses: {
          purposeOfModel: c.intendedUse.purpose,
          intendedUses: c.intendedUse.intendedUses.join('; '),
          factorsAffectingModelEfficiency: c.intendedUse.factorsAffectingPerformance,
          riskRating: c.risk.rating,
          explanationsForRiskRating: c.risk.explanation,
        },
        trainingDetails: {
          trainingObservations: c.trainingData.observations,
          trainingJobDetails: { trainingDatasets: [...c.trainingData.datasets] },
        },
        evaluationDetails: c.evaluations.map((e) => ({
          name: e.name,
          datasets: [e.dataset],
          evaluationObservation: e.observation,
          metricGroups: [
            {
              name: 'metrics',
              metricData: e.metrics.map((m) => ({
                name: m.name,
                type: 'number',
                // Set below: the L1 types the value as an object, but the card schema takes a number.
                value: {},
                ...(m.notes ? { notes: m.notes } : {}),
              })),
            },
          ],
        })),
        additionalInformation: {
          ethicalConsiderations: c.ethicalConsiderations,
          caveatsAndRecommendations: c.caveatsAndRecommendations,
          customDetails,
        },
      },
    });
    c.evaluations.forEach((e, i) =>
      e.metrics.forEach((m, j) =>
        this.resource.addPropertyOverride(
          `Content.EvaluationDetails.${i}.MetricGroups.0.MetricData.${j}.Value`,
          m.value,
        ),
      ),
    );
    this.resource.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.modelCardVersion = this.resource.attrModelCardVersion;
  }
}
