import { CfnResource } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { NagRuleCompliance } from 'cdk-nag';
import type { Stack } from 'aws-cdk-lib';
import { KmsKeyRotationEnabled } from '../../compliance-rules/rules/kms-key-rotation-enabled';
import { KmsReplicaKeyPrimaryRotates } from '../../compliance-rules/rules/kms-replica-key-primary-rotates';
import { SageMakerDataCaptureEncrypted } from '../../compliance-rules/rules/sagemaker-data-capture-encrypted';
import { SageMakerEndpointAutoscaled } from '../../compliance-rules/rules/sagemaker-endpoint-autoscaled';
import { SageMakerModelNetworkIsolated } from '../../compliance-rules/rules/sagemaker-model-network-isolated';
import { SageMakerNoFullAccess } from '../../compliance-rules/rules/sagemaker-no-full-access';
import { ACCOUNT, check, fixtureApp, plainStack } from './fixtures';

const { COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE } = NagRuleCompliance;

describe('KmsKeyRotationEnabled', () => {
  test('a symmetric key rotating yearly complies', () => {
    const stack = plainStack(fixtureApp());
    expect(check(KmsKeyRotationEnabled, new kms.Key(stack, 'K', { enableKeyRotation: true }))).toBe(
      COMPLIANT,
    );
  });

  test('a key without rotation fails', () => {
    const stack = plainStack(fixtureApp());
    expect(check(KmsKeyRotationEnabled, new kms.Key(stack, 'K'))).toBe(NON_COMPLIANT);
  });

  test('rotation less often than yearly fails', () => {
    const stack = plainStack(fixtureApp());
    const k = new kms.CfnKey(stack, 'K', { enableKeyRotation: true, rotationPeriodInDays: 730 });
    expect(check(KmsKeyRotationEnabled, k)).toBe(NON_COMPLIANT);
  });

  test('an asymmetric key, which cannot rotate automatically, fails (it needs an acknowledged procedure)', () => {
    const stack = plainStack(fixtureApp());
    const k = new kms.Key(stack, 'K', { keySpec: kms.KeySpec.RSA_2048, keyUsage: kms.KeyUsage.SIGN_VERIFY });
    expect(check(KmsKeyRotationEnabled, k)).toBe(NON_COMPLIANT);
  });
});

describe('KmsReplicaKeyPrimaryRotates', () => {
  /** The platform's wiring: the primary publishes its ARN in SSM; the DR region reads it at deploy time. */
  function replicaOf(primaryProps: Partial<kms.CfnKeyProps>, publish = true) {
    const app = fixtureApp();
    const primaryStack = plainStack(app, 'Primary', 'us-east-1');
    const drStack = plainStack(app, 'Dr', 'us-west-2');
    const primary = new kms.CfnKey(primaryStack, 'Primary', { multiRegion: true, ...primaryProps });
    if (publish) {
      new ssm.StringParameter(primaryStack, 'Arn', {
        parameterName: '/fixture/keys/phi',
        stringValue: primary.attrArn,
      });
    }
    const reader = new CfnResource(drStack, 'Reader', {
      type: 'Custom::CrossRegionParameter',
      properties: {
        ServiceToken: `arn:aws:lambda:us-west-2:${ACCOUNT}:function:reader`,
        Region: 'us-east-1',
        ParameterName: '/fixture/keys/phi',
      },
    });
    return new kms.CfnReplicaKey(drStack, 'Replica', {
      primaryKeyArn: reader.getAtt('Value').toString(),
      keyPolicy: {},
    });
  }

  test('a replica of a rotating multi-region primary of the app complies (followed through SSM)', () => {
    expect(check(KmsReplicaKeyPrimaryRotates, replicaOf({ enableKeyRotation: true }))).toBe(COMPLIANT);
  });

  test('a replica of a primary that does not rotate fails', () => {
    expect(check(KmsReplicaKeyPrimaryRotates, replicaOf({ enableKeyRotation: false }))).toEqual([
      'PrimaryDoesNotRotate',
    ]);
  });

  test('a primary that is not multi-region is named', () => {
    expect(
      check(KmsReplicaKeyPrimaryRotates, replicaOf({ enableKeyRotation: true, multiRegion: false })),
    ).toEqual(['PrimaryNotMultiRegion']);
  });

  test('a primary outside the app says so rather than passing', () => {
    expect(check(KmsReplicaKeyPrimaryRotates, replicaOf({ enableKeyRotation: true }, false))).toEqual([
      'PrimaryOutsideApp',
    ]);
    const stack = plainStack(fixtureApp(), 'Dr', 'us-west-2');
    const literal = new kms.CfnReplicaKey(stack, 'Replica', {
      primaryKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/mrk-0123`,
      keyPolicy: {},
    });
    expect(check(KmsReplicaKeyPrimaryRotates, literal)).toEqual(['PrimaryOutsideApp']);
  });
});

describe('SageMakerModelNetworkIsolated', () => {
  function model(props: Partial<sagemaker.CfnModelProps>) {
    const stack = plainStack(fixtureApp());
    return new sagemaker.CfnModel(stack, 'Model', {
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/sm`,
      primaryContainer: { image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/model:1` },
      ...props,
    });
  }
  const vpcConfig = {
    subnets: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    securityGroupIds: ['sg-0123456789abcdef0'],
  };

  test('in the VPC with network isolation complies', () => {
    expect(check(SageMakerModelNetworkIsolated, model({ vpcConfig, enableNetworkIsolation: true }))).toBe(
      COMPLIANT,
    );
  });

  test('in the VPC without network isolation fails; isolated but outside the VPC fails', () => {
    expect(check(SageMakerModelNetworkIsolated, model({ vpcConfig }))).toBe(NON_COMPLIANT);
    expect(check(SageMakerModelNetworkIsolated, model({ enableNetworkIsolation: true }))).toBe(NON_COMPLIANT);
  });
});

describe('SageMakerDataCaptureEncrypted', () => {
  function config(capture?: Partial<sagemaker.CfnEndpointConfig.DataCaptureConfigProperty>) {
    const stack = plainStack(fixtureApp());
    const key = new kms.Key(stack, 'K', { enableKeyRotation: true });
    return new sagemaker.CfnEndpointConfig(stack, 'Config', {
      kmsKeyId: key.keyArn,
      productionVariants: [
        { variantName: 'AllTraffic', modelName: 'm', initialInstanceCount: 1, instanceType: 'ml.m5.large' },
      ],
      dataCaptureConfig: capture
        ? {
            initialSamplingPercentage: 100,
            destinationS3Uri: 's3://capture/prefix',
            captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
            ...capture,
          }
        : undefined,
    });
  }

  test('capture under a customer-managed key complies', () => {
    expect(
      check(
        SageMakerDataCaptureEncrypted,
        config({ kmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0` }),
      ),
    ).toBe(COMPLIANT);
  });

  test('capture without a key, or under alias/aws/*, fails', () => {
    expect(check(SageMakerDataCaptureEncrypted, config({}))).toBe(NON_COMPLIANT);
    expect(check(SageMakerDataCaptureEncrypted, config({ kmsKeyId: 'alias/aws/sagemaker' }))).toBe(
      NON_COMPLIANT,
    );
  });

  test('no capture (or capture off) is not applicable', () => {
    expect(check(SageMakerDataCaptureEncrypted, config())).toBe(NOT_APPLICABLE);
    expect(check(SageMakerDataCaptureEncrypted, config({ enableCapture: false }))).toBe(NOT_APPLICABLE);
  });
});

describe('SageMakerNoFullAccess', () => {
  const role = (stack: Stack, id: string) =>
    new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });

  test('a role with AmazonSageMakerFullAccess fails', () => {
    const stack = plainStack(fixtureApp());
    const r = role(stack, 'R');
    r.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSageMakerFullAccess'));
    expect(check(SageMakerNoFullAccess, r)).toBe(NON_COMPLIANT);
  });

  test('a raw role (as a custom-resource provider writes it) with the policy fails too', () => {
    const stack = plainStack(fixtureApp());
    const raw = new CfnResource(stack, 'Raw', {
      type: 'AWS::IAM::Role',
      properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
        ManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSageMakerFullAccess'],
      },
    });
    expect(check(SageMakerNoFullAccess, raw)).toBe(NON_COMPLIANT);
  });

  test('a policy granting sagemaker:* fails; one granting InvokeEndpoint on one endpoint complies', () => {
    const stack = plainStack(fixtureApp());
    const star = new iam.ManagedPolicy(stack, 'Star', {
      statements: [new iam.PolicyStatement({ actions: ['sagemaker:*'], resources: ['*'] })],
    });
    const narrow = new iam.ManagedPolicy(stack, 'Narrow', {
      statements: [
        new iam.PolicyStatement({
          actions: ['sagemaker:InvokeEndpoint'],
          resources: [`arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/clinical`],
        }),
      ],
    });
    expect(check(SageMakerNoFullAccess, star)).toBe(NON_COMPLIANT);
    expect(check(SageMakerNoFullAccess, narrow)).toBe(COMPLIANT);
    expect(check(SageMakerNoFullAccess, role(stack, 'Plain'))).toBe(COMPLIANT);
  });
});

describe('SageMakerEndpointAutoscaled', () => {
  function endpoint(opts: { target?: boolean; policy?: boolean; min?: number; serverless?: boolean } = {}) {
    const stack = plainStack(fixtureApp());
    const config = new sagemaker.CfnEndpointConfig(stack, 'Config', {
      productionVariants: [
        opts.serverless
          ? {
              variantName: 'AllTraffic',
              modelName: 'm',
              serverlessConfig: { maxConcurrency: 5, memorySizeInMb: 2048 },
            }
          : {
              variantName: 'AllTraffic',
              modelName: 'm',
              initialInstanceCount: 2,
              instanceType: 'ml.m5.large',
            },
      ],
    });
    const ep = new sagemaker.CfnEndpoint(stack, 'Endpoint', {
      endpointConfigName: config.attrEndpointConfigName,
    });
    if (opts.target) {
      const target = new appscaling.ScalableTarget(stack, 'Target', {
        serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
        resourceId: `endpoint/${ep.attrEndpointName}/variant/AllTraffic`,
        scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        minCapacity: opts.min ?? 2,
        maxCapacity: 8,
      });
      if (opts.policy) {
        target.scaleToTrackMetric('Invocations', {
          targetValue: 750,
          predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
        });
      }
    }
    return ep;
  }

  test('every variant registered as a scalable target with a target-tracking policy complies', () => {
    expect(check(SageMakerEndpointAutoscaled, endpoint({ target: true, policy: true }))).toBe(COMPLIANT);
  });

  test('no target, a target without a policy, and a minimum of 0 are each named by variant', () => {
    expect(check(SageMakerEndpointAutoscaled, endpoint())).toEqual(['AllTraffic:NoScalableTarget']);
    expect(check(SageMakerEndpointAutoscaled, endpoint({ target: true }))).toEqual([
      'AllTraffic:NoScalingPolicy',
    ]);
    expect(check(SageMakerEndpointAutoscaled, endpoint({ target: true, policy: true, min: 0 }))).toEqual([
      'AllTraffic:MinCapacityZero',
    ]);
  });

  test('a serverless variant scales on its own', () => {
    expect(check(SageMakerEndpointAutoscaled, endpoint({ serverless: true }))).toBe(COMPLIANT);
  });
});
