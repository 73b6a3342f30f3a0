import { Stack } from 'aws-cdk-lib';
import { platform } from '../helpers/platform';
import { DATA_PINNED } from './data-logical-ids';
import { INGESTION_PINNED } from './ingestion-logical-ids';

/**
 * Renaming a construct changes its logical id, and CloudFormation then REPLACES the resource: for a key, a
 * bucket or a log group that means a new, empty one (and the old one orphaned or destroyed). This test pins the
 * logical id of every stateful resource in every stack. A change here must be deliberate, with a migration
 * plan (e.g. `cdk import` / `overrideLogicalId`), never an accident of refactoring.
 */
export const STATEFUL_TYPES = new Set([
  'AWS::KMS::Key',
  'AWS::KMS::ReplicaKey',
  'AWS::S3::Bucket',
  'AWS::Logs::LogGroup',
  'AWS::CloudTrail::Trail',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBInstance',
  'AWS::RDS::GlobalCluster',
  'AWS::SecretsManager::Secret',
  'AWS::Backup::BackupVault',
  'AWS::SQS::Queue',
  'AWS::Cognito::UserPool',
  // Records: a model card's version history and the model registry's approvals.
  'AWS::SageMaker::ModelCard',
  'AWS::SageMaker::ModelPackageGroup',
]);

const FOUNDATION_PRIMARY = [
  'AccessLogsBucketCD784A59',
  'AuditLogsKeyA802E91F',
  'AuditTrail49D399D8',
  'AuditTrailTrailBucketAA5FAB67',
  'AuditTrailTrailLogGroup9BCDED26',
  'ModelArtifactsKeyDF4D2F8F',
  'NetworkFlowLogs2BEC3212',
  'PhiDataKeyA91F21D0',
];

const INFERENCE_DR = [
  'DeteriorationRiskEndpointLogs1DBACAEA',
  'DeteriorationRiskModelCardD8D5854F',
  'ProcessingJobLogs0BF88A2B',
];
const INFERENCE_PRIMARY = [
  ...INFERENCE_DR,
  'DeteriorationRiskRetrainingExecutionLogs4431148B',
  'DeteriorationRiskRetrainingModelPackageGroup80D727E6',
  'TrainingJobLogsBBE8C39D',
];

const OBSERVABILITY = [
  'AlarmTopicKey57B0D3A7',
  'IncidentResponseDeadLetterQueueD3644D82',
  'IncidentResponseLogsC97D49A3',
];

const API = [
  'ApiAccessLogs50B185DB',
  'ApiExecutionLogsB326CF6B',
  'HealthDeadLetterQueueCBBB50B8',
  'HealthLogs774F13BC',
  'PredictionsDeadLetterQueueA918F56A',
  'PredictionsLogs62E72764',
  'WebAclLogs68403EB9',
];
const IDENTITY = ['CliniciansUserPool348DB72A'];

/** Expected stateful logical ids per stack (construct id), per profile. */
const PINNED: Record<string, Record<string, string[]>> = {
  poc: {
    'Foundation-us-east-1': FOUNDATION_PRIMARY,
    'Inference-us-east-1': INFERENCE_PRIMARY,
    ...DATA_PINNED.poc,
    ...INGESTION_PINNED.poc,
    'Observability-us-east-1': OBSERVABILITY,
    'Api-us-east-1': API,
    'Identity-us-east-1': IDENTITY,
  },
  production: {
    'Foundation-us-east-1': FOUNDATION_PRIMARY,
    'Inference-us-east-1': INFERENCE_PRIMARY,
    'Inference-us-west-2': INFERENCE_DR,
    ...DATA_PINNED.production,
    ...INGESTION_PINNED.production,
    'Observability-us-east-1': OBSERVABILITY,
    'Observability-us-west-2': OBSERVABILITY,
    'Api-us-east-1': API,
    'Api-us-west-2': API,
    'Identity-us-east-1': IDENTITY,
    'Identity-us-west-2': IDENTITY,
    'DisasterRecovery-us-west-2': ['ExecutionLogs6FEE23C8'],
    'Pipeline-us-east-1': [
      'AccessLogsBucketCD784A59',
      'ArtifactKey8D84C5F0',
      'ArtifactsBucket88671897',
      'BuildLogs3759266E',
      'BuildVpcFlowLogs67705011',
      'EvidenceBucketC67FF768',
    ],
    'Foundation-us-west-2': [
      ...FOUNDATION_PRIMARY,
      'AuditLogsKeyPrimaryArnReaderDeadLetterQueueF22C6A77',
      'AuditLogsKeyPrimaryArnReaderLogs09F8797E',
      'DeployToolingKey5278E6DF',
      'ModelArtifactsKeyPrimaryArnReaderDeadLetterQueue9F13F9A4',
      'ModelArtifactsKeyPrimaryArnReaderLogsB3E13635',
      'PhiDataKeyPrimaryArnReaderDeadLetterQueue3BDCF8F1',
      'PhiDataKeyPrimaryArnReaderLogs8C9E5D8D',
    ],
  },
};

describe.each(Object.keys(PINNED))('stateful logical ids (%s)', (profileName) => {
  const p = platform(profileName);
  const stacks = p.app.node.children.filter((c): c is Stack => Stack.isStack(c));
  const pinnedStacks = PINNED[profileName];

  test.each(stacks.map((s) => [s.node.id, s] as const))('%s', (id, stack) => {
    const resources = p.template(stack).toJSON()['Resources'] as Record<string, { Type: string }>;
    const actual = Object.entries(resources)
      .filter(([, r]) => STATEFUL_TYPES.has(r.Type))
      .map(([logicalId]) => logicalId)
      .sort();
    expect(actual).toEqual([...(pinnedStacks[id] ?? [])].sort());
  });
});

/**
 * The types above that hold records. Queues hold messages in flight (their consumers' records are elsewhere)
 * and a trail is configuration (its records are in its Object Lock bucket), so those two may be deleted.
 */
const RECORD_TYPES = new Set(
  [...STATEFUL_TYPES].filter((t) => t !== 'AWS::SQS::Queue' && t !== 'AWS::CloudTrail::Trail'),
);

describe.each(Object.keys(PINNED))(
  'no store is destroyed by a stack deletion or a replacement (%s)',
  (profileName) => {
    const p = platform(profileName);
    const stacks = p.app.node.children.filter((c): c is Stack => Stack.isStack(c));

    test.each(stacks.map((s) => [s.node.id, s] as const))('%s: every store is retained', (_id, stack) => {
      const resources = p.template(stack).toJSON()['Resources'] as Record<
        string,
        { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string }
      >;
      for (const [logicalId, r] of Object.entries(resources)) {
        if (!RECORD_TYPES.has(r.Type)) continue;
        expect([logicalId, r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual([logicalId, 'Retain', 'Retain']);
      }
    });
  },
);
