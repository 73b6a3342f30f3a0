import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { applyPlatformAspects } from '../../compliance-rules/gate';
import { InferenceEndpoint, type InferenceEndpointProps } from '../../lib/constructs/inference-endpoint';
import { cdkJsonContext } from './platform';

/** A stack with what an inference construct needs: an isolated VPC, three keys and the two buckets. */
export interface InferenceFixture {
  readonly app: App;
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
  readonly modelKey: kms.Key;
  readonly phiKey: kms.Key;
  readonly auditKey: kms.Key;
  readonly modelBucket: s3.IBucket;
  readonly captureBucket: s3.IBucket;
  readonly processingLogs: logs.LogGroup;
  readonly trainingLogs: logs.LogGroup;
}

export const SERVING_IMAGE =
  '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/deterioration-risk:1.0.0';
export const CANDIDATE_IMAGE =
  '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/deterioration-risk:1.1.0';

export function inferenceFixture(): InferenceFixture {
  const app = new App({ context: cdkJsonContext() });
  applyPlatformAspects(app);
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    natGateways: 0,
    subnetConfiguration: [{ name: 'workload', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const key = (id: string) => new kms.Key(stack, id, { enableKeyRotation: true });
  const auditKey = key('AuditKey');
  const log = (id: string, name: string) =>
    new logs.LogGroup(stack, id, {
      logGroupName: name,
      encryptionKey: auditKey,
      retention: logs.RetentionDays.SIX_YEARS,
    });
  return {
    app,
    stack,
    vpc,
    modelKey: key('ModelKey'),
    phiKey: key('PhiKey'),
    auditKey,
    modelBucket: s3.Bucket.fromBucketName(stack, 'ModelBucket', 'model-bucket'),
    captureBucket: s3.Bucket.fromBucketName(stack, 'CaptureBucket', 'capture-bucket'),
    processingLogs: log('ProcessingLogs', '/aws/sagemaker/ProcessingJobs'),
    trainingLogs: log('TrainingLogs', '/aws/sagemaker/TrainingJobs'),
  };
}

/** Endpoint props over a fixture; `overrides` replace top-level props. */
export function endpointProps(
  f: InferenceFixture,
  overrides: Partial<InferenceEndpointProps> = {},
): InferenceEndpointProps {
  return {
    endpointName: 'cap-test-deterioration-risk',
    modelName: 'deterioration-risk',
    serving: {
      version: '1.0.0',
      imageUri: SERVING_IMAGE,
      artifactKey: 'models/deterioration-risk/1.0.0/model.tar.gz',
    },
    modelArtifactsBucket: f.modelBucket,
    modelArtifactsKey: f.modelKey,
    dataCapture: { bucket: f.captureBucket, key: f.phiKey, samplingPercent: 25 },
    vpc: f.vpc,
    instanceType: 'ml.c6i.xlarge',
    minInstances: 2,
    maxInstances: 12,
    targetInvocationsPerInstance: 2000,
    scaleOutCooldown: Duration.seconds(60),
    scaleInCooldown: Duration.seconds(900),
    deployment: {
      trafficShifting: { type: 'linear', stepPercent: 20, waitIntervalSeconds: 300 },
      terminationWait: Duration.seconds(600),
      maximumExecutionTimeout: Duration.seconds(7200),
    },
    alarmThresholds: { modelLatencyP99: Duration.millis(500), errorRatePercent: 1 },
    logKey: f.auditKey,
    logRetentionDays: 2192,
    ...overrides,
  };
}

export function endpointIn(
  f: InferenceFixture,
  overrides: Partial<InferenceEndpointProps> = {},
): InferenceEndpoint {
  return new InferenceEndpoint(f.stack, 'Endpoint', endpointProps(f, overrides));
}

/** Every statement of the policies attached to a role (its managed policies included), from a template. */
export function statementsOfRole(
  template: { findResources(type: string): Record<string, { Properties?: Record<string, unknown> }> },
  roleLogicalId: string,
): Record<string, unknown>[] {
  const role = template.findResources('AWS::IAM::Role')[roleLogicalId];
  if (!role) throw new Error(`no role ${roleLogicalId}`);
  const attached = new Set(
    ((role.Properties?.['ManagedPolicyArns'] ?? []) as unknown[]).map((a) => JSON.stringify(a)),
  );
  const out: Record<string, unknown>[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, policy] of Object.entries(template.findResources(type))) {
      const roles = (policy.Properties?.['Roles'] ?? []) as unknown[];
      const viaRole = roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }));
      if (!viaRole && !attached.has(JSON.stringify({ Ref: id }))) continue;
      const doc = policy.Properties?.['PolicyDocument'] as { Statement: Record<string, unknown>[] };
      out.push(...doc.Statement);
    }
  }
  return out;
}

/** The logical id of the only resource of a type whose logical id contains `part`. */
export function logicalIdOf(
  template: { findResources(type: string): Record<string, unknown> },
  type: string,
  part: string,
): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.includes(part));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} matching ${part}, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}
