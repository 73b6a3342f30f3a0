import { Template } from 'aws-cdk-lib/assertions';
import { ModelCardSchema } from '../../lib/config/model-cards';
import { deteriorationRisk_1_0_0 } from '../../lib/config/model-cards/deterioration-risk';
import { ClinicalModelCard } from '../../lib/constructs/clinical-model-card';
import { inferenceFixture, logicalIdOf } from '../helpers/inference';

describe('ClinicalModelCard', () => {
  // Prepare
  const f = inferenceFixture();
  const card = ModelCardSchema.parse(deteriorationRisk_1_0_0);
  // Act
  new ClinicalModelCard(f.stack, 'Card', {
    card,
    modelCardName: 'cap-test-deterioration-risk',
    key: f.modelKey,
    deployment: {
      imageUri: 'img:1.0.0',
      artifactUri: 's3://model-bucket/models/deterioration-risk/1.0.0/model.tar.gz',
      endpointName: 'cap-test-deterioration-risk',
    },
  });
  const t = Template.fromStack(f.stack);
  const rendered = Object.values(t.findResources('AWS::SageMaker::ModelCard'))[0] as {
    Properties: { Content: Record<string, Record<string, unknown>> } & Record<string, unknown>;
    DeletionPolicy: string;
  };
  const content = rendered.Properties.Content;

  test('encrypted with the given CMK, approved, and retained as a record', () => {
    expect(rendered.Properties['ModelCardName']).toBe('cap-test-deterioration-risk');
    expect(rendered.Properties['ModelCardStatus']).toBe('Approved');
    expect(rendered.Properties['SecurityConfig']).toEqual({
      KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(t, 'AWS::KMS::Key', 'ModelKey'), 'Arn'] },
    });
    expect(rendered.DeletionPolicy).toBe('Retain');
  });

  test('intended use, out-of-scope uses and the risk rating', () => {
    expect(content['IntendedUses']).toEqual({
      PurposeOfModel: card.intendedUse.purpose,
      IntendedUses: card.intendedUse.intendedUses.join('; '),
      FactorsAffectingModelEfficiency: card.intendedUse.factorsAffectingPerformance,
      RiskRating: 'High',
      ExplanationsForRiskRating: card.risk.explanation,
    });
    const custom = content['AdditionalInformation']?.['CustomDetails'] as Record<string, string>;
    expect(custom['out_of_scope_uses']).toBe(card.intendedUse.outOfScopeUses.join('; '));
    expect(custom['out_of_scope_uses']).toContain('Patients under 18 years of age');
  });

  test('training data summary, evaluation metrics (as numbers), owner and approval', () => {
    const custom = content['AdditionalInformation']?.['CustomDetails'] as Record<string, string>;
    expect(custom).toMatchObject({
      model_version: '1.0.0',
      training_data_summary: card.trainingData.summary,
      owner_email: 'platform-team@example.org',
      approval_status: 'Approved',
      approved_by: 'Clinical Safety Officer, pilot trust',
      approved_on: '2026-09-30',
    });
    expect(content['TrainingDetails']).toEqual({
      TrainingObservations: card.trainingData.observations,
      TrainingJobDetails: { TrainingDatasets: card.trainingData.datasets },
    });
    const evaluation = (content['EvaluationDetails'] as unknown as Record<string, unknown>[])[0];
    expect(evaluation['Name']).toBe('Temporal hold-out 2024');
    const metrics = (evaluation['MetricGroups'] as { MetricData: Record<string, unknown>[] }[])[0].MetricData;
    expect(metrics[0]).toEqual({ Name: 'AUROC', Type: 'number', Value: 0.87, Notes: '95% CI 0.86-0.88' });
    expect(metrics.map((m) => typeof m['Value'])).toEqual(metrics.map(() => 'number'));
    expect(content['ModelOverview']).toMatchObject({
      ModelName: 'deterioration-risk',
      ModelOwner: 'Clinical AI platform team <platform-team@example.org>',
      ModelArtifact: ['s3://model-bucket/models/deterioration-risk/1.0.0/model.tar.gz'],
      InferenceEnvironment: { ContainerImage: ['img:1.0.0'] },
    });
  });

  test('a card field SageMaker cannot hold fails at synth with the field named', () => {
    const g = inferenceFixture();
    const long = {
      ...card,
      intendedUse: { ...card.intendedUse, outOfScopeUses: Array(5).fill('x'.repeat(300)) },
    };
    expect(
      () =>
        new ClinicalModelCard(g.stack, 'Card', {
          card: long,
          modelCardName: 'c',
          key: g.modelKey,
          deployment: { imageUri: 'i', artifactUri: 's3://b/k', endpointName: 'e' },
        }),
    ).toThrow(/too long for SageMaker \(1024 max\): out_of_scope_uses/);
  });
});
