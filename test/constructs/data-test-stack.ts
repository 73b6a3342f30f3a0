import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { applyPlatformAspects } from '../../compliance-rules/gate';
import { cdkJsonContext } from '../helpers/platform';

/** A bare stack for construct tests: explicit environment, an isolated VPC in three AZs, keys, a role. */
export function dataTestStack(region = 'us-east-1') {
  // cdk.json's feature flags, as `cdk synth` uses them (e.g. partition literals in ARNs).
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  applyPlatformAspects(app);
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: [`${region}a`, `${region}b`, `${region}c`],
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const key = new kms.Key(stack, 'PhiKey', { enableKeyRotation: true });
  const logKey = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
  const accessLogs = new s3.Bucket(stack, 'AccessLogs');
  const role = new iam.Role(stack, 'Workload', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  return { app, stack, vpc, key, logKey, accessLogs, role };
}
