import { loadProfile, PROFILES, validateProfile } from '../../lib/config';
import { profileProblems } from '../helpers/profile-problems';
import {
  endpointName,
  modelMonitorImageUri,
  parseImageUri,
  regionalImageUri,
  servedModels,
} from '../../lib/config/inference';
import { MODEL_CARDS, modelCard, ModelCardSchema } from '../../lib/config/model-cards';

type Json = Record<string, unknown>;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** The poc profile's first served model, deep-copied, with `change` applied; as an override of `models`. */
function withModel(change: (m: Json) => void, profile = 'poc'): unknown {
  const models = clone((PROFILES[profile] as unknown as { inference: { models: Json[] } }).inference.models);
  change(models[0]);
  return { inference: { models } };
}

const problems = profileProblems;

describe('inference profile section', () => {
  test('both built-in profiles serve the deterioration-risk model with an approved card', () => {
    for (const name of ['poc', 'production']) {
      const { profile } = loadProfile(name);
      const [m] = profile.inference.models;
      expect(m?.name).toBe('deterioration-risk');
      expect(m?.card.modelVersion).toBe(m?.version);
      expect(m?.card.approval.status).toBe('Approved');
      expect(m?.confidenceThreshold).toBeGreaterThan(0);
      expect(m?.confidenceThreshold).toBeLessThanOrEqual(1);
    }
  });

  test('production shifts traffic linearly and captures a quarter of requests; poc uses a canary and captures all', () => {
    const prod = loadProfile('production').profile.inference;
    expect(prod.deployment.trafficShifting).toEqual({
      type: 'linear',
      stepPercent: 20,
      waitIntervalSeconds: 300,
    });
    expect(prod.models[0]?.dataCaptureSamplingPercent).toBe(25);
    const poc = loadProfile('poc').profile.inference;
    expect(poc.deployment.trafficShifting).toEqual({
      type: 'canary',
      canaryPercent: 50,
      waitIntervalSeconds: 600,
    });
    expect(poc.models[0]?.dataCaptureSamplingPercent).toBe(100);
  });

  test.each([
    [
      'a mutable :latest image',
      withModel((m) => (m.imageUri = '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/x:latest')),
      'poc.inference.models.0.imageUri: must not use the mutable tag :latest',
    ],
    [
      'an image without tag or digest',
      withModel((m) => (m.imageUri = '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/x')),
      'poc.inference.models.0.imageUri: must be an ECR image URI pinned by tag or digest',
    ],
    [
      'an image outside the primary region',
      withModel((m) => (m.imageUri = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/clinical-ai/x:1.0.0')),
      'poc.inference.models.0.imageUri: must be in the primary region us-east-1',
    ],
    [
      "an artefact outside the model's prefix",
      withModel((m) => (m.artifactKey = 'models/other/1.0.0/model.tar.gz')),
      'poc.inference.models.0.artifactKey: must be under models/deterioration-risk/',
    ],
    [
      'an artefact that is not a model.tar.gz',
      withModel((m) => (m.artifactKey = 'models/deterioration-risk/1.0.0/model.pkl')),
      'poc.inference.models.0.artifactKey: must be a model.tar.gz archive',
    ],
    [
      'a baseline prefix without a trailing slash',
      withModel((m) => (m.baselineKeyPrefix = 'models/deterioration-risk/1.0.0/baseline')),
      'poc.inference.models.0.baselineKeyPrefix: must end with /',
    ],
    [
      'a confidence threshold above 1',
      withModel((m) => (m.confidenceThreshold = 1.2)),
      'poc.inference.models.0.confidenceThreshold: must be a probability in (0, 1]',
    ],
    [
      'no data capture',
      withModel((m) => (m.dataCaptureSamplingPercent = 0)),
      'poc.inference.models.0.dataCaptureSamplingPercent: must be at least 1',
    ],
    [
      'eleven drift features',
      withModel((m) => ((m.drift as Json).features = Array.from({ length: 11 }, (_, i) => `f${i}`))),
      'poc.inference.models.0.drift.features: must list at most 10 features',
    ],
    [
      'a card of another version',
      withModel((m) => (m.version = '1.1.0')),
      'poc.inference.models.0.card: describes deterioration-risk@1.0.0 but the variant serves deterioration-risk@1.1.0',
    ],
    [
      'a card that is not approved',
      withModel((m) => ((m.card as Json).approval = { status: 'PendingReview' })),
      'poc.inference.models.0.card.approval.status: must be Approved',
    ],
    [
      'an approved card without approver',
      withModel((m) => ((m.card as Json).approval = { status: 'Approved' })),
      'poc.inference.models.0.card.approval.approvedBy: is required when status is Approved',
    ],
    [
      'a card without out-of-scope uses',
      withModel((m) => (((m.card as Json).intendedUse as Json).outOfScopeUses = [])),
      'poc.inference.models.0.card.intendedUse.outOfScopeUses: must name at least one out-of-scope use',
    ],
    [
      'a canary above 50%',
      {
        inference: {
          deployment: { trafficShifting: { type: 'canary', canaryPercent: 60, waitIntervalSeconds: 600 } },
        },
      },
      'poc.inference.deployment.trafficShifting.canaryPercent',
    ],
    [
      'a deployment deadline shorter than its baking periods',
      {
        inference: {
          deployment: {
            trafficShifting: { type: 'linear', stepPercent: 10, waitIntervalSeconds: 600 },
            maximumExecutionTimeoutSeconds: 3600,
          },
        },
      },
      'poc.inference.deployment.maximumExecutionTimeoutSeconds: is 3600 s but 10 baking period(s) of 600 s and the 300 s termination wait need at least 6300 s',
    ],
    [
      'a scale-in faster than scale-out',
      { inference: { scaling: { scaleOutCooldownSeconds: 300, scaleInCooldownSeconds: 60 } } },
      'poc.inference.scaling.scaleInCooldownSeconds: scaleInCooldownSeconds must be at least scaleOutCooldownSeconds',
    ],
    [
      'a latency alarm above the request latency target',
      { inference: { alarms: { modelLatencyP99Ms: 1000 } } },
      'poc.inference.alarms.modelLatencyP99Ms: must be below capacity.latencyTargetMs (1000)',
    ],
    [
      'an hourly monitoring job that may run longer than an hour',
      { inference: { monitoring: { maxRuntimeSeconds: 4000 } } },
      'poc.inference.monitoring.maxRuntimeSeconds',
    ],
    [
      'no approver',
      { inference: { retraining: { approverEmails: [] } } },
      'poc.inference.retraining.approverEmails: must name at least one approver',
    ],
  ])('refuses %s with a message naming the field', (_what, overrides, expected) => {
    const found = problems(overrides);
    expect(found.some((p) => p.startsWith(expected))).toBe(true);
  });

  test('a region without a Model Monitor image fails validation', () => {
    const found = problems(
      {
        regions: { dr: 'eu-south-2' },
        availabilityZones: { 'eu-south-2': ['eu-south-2a', 'eu-south-2b'] },
        network: { vpcCidrs: { 'eu-south-2': '10.70.0.0/18' } },
      },
      'production',
    );
    expect(
      found.some((p) => p.startsWith('production.regions: eu-south-2 has no SageMaker Model Monitor')),
    ).toBe(true);
  });

  test('a shadow must differ from the served version and may be pending review', () => {
    const candidate = { ...clone(MODEL_CARDS['deterioration-risk@1.0.0']), modelVersion: '1.1.0' };
    const shadow = (version: string, status: string) =>
      withModel(
        (m) =>
          (m.shadow = {
            version,
            imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/deterioration-risk:1.1.0',
            artifactKey: 'models/deterioration-risk/1.1.0/model.tar.gz',
            trafficPercent: 20,
            card: { ...candidate, modelVersion: version, approval: { status } },
          }),
      );
    expect(problems(shadow('1.1.0', 'PendingReview'))).toEqual([]);
    expect(problems(shadow('1.0.0', 'PendingReview'))).toContain(
      'poc.inference.models.0.shadow.version: must differ from the served version',
    );
  });

  test('two models may not share a name', () => {
    const models = clone((PROFILES.poc as unknown as { inference: { models: Json[] } }).inference.models);
    expect(problems({ inference: { models: [models[0], models[0]] } })).toContain(
      'poc.inference.models.1.name: duplicate model deterioration-risk',
    );
  });
});

describe('inference helpers', () => {
  test('regionalImageUri moves an ECR image to another region, keeping repository and tag or digest', () => {
    expect(regionalImageUri('123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b:1.0.0', 'us-west-2')).toBe(
      '123456789012.dkr.ecr.us-west-2.amazonaws.com/a/b:1.0.0',
    );
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(regionalImageUri(`123456789012.dkr.ecr.us-east-1.amazonaws.com/a@${digest}`, 'us-west-2')).toBe(
      `123456789012.dkr.ecr.us-west-2.amazonaws.com/a@${digest}`,
    );
    expect(parseImageUri('123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b:1')).toEqual({
      account: '123456789012',
      region: 'us-east-1',
      repository: 'a/b',
    });
  });

  test('the Model Monitor analyzer image is the regional AWS image, and unknown regions are refused', () => {
    expect(modelMonitorImageUri('us-east-1')).toBe(
      '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
    );
    expect(modelMonitorImageUri('us-west-2')).toBe(
      '159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer',
    );
    expect(() => modelMonitorImageUri('eu-south-2')).toThrow(/no analyzer image registered for eu-south-2/);
  });

  test('servedModels lists each model per region with its threshold and card (for the API and the evidence report)', () => {
    const config = loadProfile('production');
    const served = servedModels(config);
    expect(served.map((s) => [s.region, s.name, s.version, s.endpointName, s.variants])).toEqual([
      ['us-east-1', 'deterioration-risk', '1.0.0', 'cap-prod-deterioration-risk', ['primary']],
      ['us-west-2', 'deterioration-risk', '1.0.0', 'cap-prod-deterioration-risk', ['primary']],
    ]);
    expect(served[0]?.confidenceThreshold).toBe(0.7);
    expect(served[0]?.card.risk.rating).toBe('High');
    expect(endpointName('cap-prod', 'deterioration-risk')).toBe('cap-prod-deterioration-risk');
  });

  test('every card in the repository is valid and found by name and version', () => {
    for (const card of Object.values(MODEL_CARDS)) expect(() => ModelCardSchema.parse(card)).not.toThrow();
    expect(modelCard('deterioration-risk', '1.0.0').modelVersion).toBe('1.0.0');
    expect(() => modelCard('deterioration-risk', '9.9.9')).toThrow(
      /no model card for deterioration-risk@9.9.9/,
    );
  });
});

test('a profile without an inference section says so instead of crashing', () => {
  const rest: Record<string, unknown> = { ...(PROFILES.poc as Record<string, unknown>) };
  delete rest['inference'];
  expect(() => validateProfile(rest, 'poc')).toThrow(
    /^poc\.inference: Invalid input: expected object, received undefined$/,
  );
});
