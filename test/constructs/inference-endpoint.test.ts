import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PRIMARY_VARIANT, SHADOW_VARIANT, toApiShape } from '../../lib/constructs/inference-endpoint';
import {
  CANDIDATE_IMAGE,
  SERVING_IMAGE,
  endpointIn,
  inferenceFixture,
  logicalIdOf,
  statementsOfRole,
} from '../helpers/inference';

const getAttArn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

describe('InferenceEndpoint (linear traffic shifting, with a shadow candidate)', () => {
  // Prepare
  const f = inferenceFixture();
  const endpoint = endpointIn(f, {
    shadow: {
      version: '1.1.0',
      imageUri: CANDIDATE_IMAGE,
      artifactKey: 'models/deterioration-risk/1.1.0/model.tar.gz',
      trafficPercent: 20,
    },
  });
  // Act
  const t = Template.fromStack(f.stack);
  const id = (type: string, part: string) => logicalIdOf(t, type, part);
  const modelKey = id('AWS::KMS::Key', 'ModelKey');
  const phiKey = id('AWS::KMS::Key', 'PhiKey');
  const sg = id('AWS::EC2::SecurityGroup', 'EndpointSecurityGroup');
  const subnets = Object.keys(t.findResources('AWS::EC2::Subnet')).map((s) => ({ Ref: s }));

  test('every model runs in the isolated subnets with network isolation, under the execution role', () => {
    t.resourceCountIs('AWS::SageMaker::Model', 2);
    t.resourcePropertiesCountIs(
      'AWS::SageMaker::Model',
      {
        EnableNetworkIsolation: true,
        ExecutionRoleArn: getAttArn(id('AWS::IAM::Role', 'EndpointExecutionRole')),
        VpcConfig: { Subnets: subnets, SecurityGroupIds: [{ 'Fn::GetAtt': [sg, 'GroupId'] }] },
      },
      2,
    );
    expect(subnets).toHaveLength(2);
  });

  test('the served model runs the pinned image and artefact and names itself to the container', () => {
    t.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: SERVING_IMAGE,
        ModelDataUrl: 's3://model-bucket/models/deterioration-risk/1.0.0/model.tar.gz',
        Environment: {
          MODEL_NAME: 'deterioration-risk',
          MODEL_VERSION: '1.0.0',
          MODEL_VARIANT: PRIMARY_VARIANT,
        },
      },
    });
    t.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: CANDIDATE_IMAGE,
        Environment: { MODEL_VERSION: '1.1.0', MODEL_VARIANT: SHADOW_VARIANT },
      },
    });
  });

  test('the security group admits nothing and sends only HTTPS', () => {
    const group = t.findResources('AWS::EC2::SecurityGroup')[sg] as { Properties: Record<string, unknown> };
    expect(group.Properties['SecurityGroupIngress']).toBeUndefined();
    expect(group.Properties['SecurityGroupEgress']).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' }),
    ]);
  });

  test('the endpoint config encrypts storage with the model-artifacts CMK and captures requests and responses under the PHI CMK', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: getAttArn(modelKey),
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 25,
        DestinationS3Uri: 's3://capture-bucket/data-capture',
        KmsKeyId: getAttArn(phiKey),
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { JsonContentTypes: ['application/json'] },
      },
    });
  });

  test('the production variant takes instance type and count from the props; the shadow gets a share of live traffic', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [
        Match.objectLike({
          VariantName: PRIMARY_VARIANT,
          InstanceType: 'ml.c6i.xlarge',
          InitialInstanceCount: 2,
          InitialVariantWeight: 1,
        }),
      ],
      ShadowProductionVariants: [
        Match.objectLike({
          VariantName: SHADOW_VARIANT,
          InstanceType: 'ml.c6i.xlarge',
          InitialVariantWeight: 0.2,
        }),
      ],
    });
  });

  test('updates are blue/green with linear shifting and roll back on the error-rate and latency alarms', () => {
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      EndpointName: 'cap-test-deterioration-risk',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'LINEAR',
            LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 20 },
            WaitIntervalInSeconds: 300,
          },
          TerminationWaitInSeconds: 600,
          MaximumExecutionTimeoutInSeconds: 7200,
        },
        AutoRollbackConfiguration: {
          Alarms: [
            { AlarmName: { Ref: id('AWS::CloudWatch::Alarm', 'ModelErrorRateAlarm') } },
            { AlarmName: { Ref: id('AWS::CloudWatch::Alarm', 'ModelLatencyAlarm') } },
          ],
        },
      },
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [
        { VariantPropertyType: 'DesiredWeight' },
        { VariantPropertyType: 'DataCaptureConfig' },
      ],
    });
  });

  test('the error-rate alarm divides 5xx by invocations of the primary variant and trips above the threshold', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      AlarmActions: [Match.stringLikeRegexp(':opsitem:2#CATEGORY=Availability$')],
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
          ReturnData: true,
        }),
        Match.objectLike({
          Id: 'errors',
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'AWS/SageMaker',
              MetricName: 'Invocation5XXErrors',
              Dimensions: Match.arrayWith([
                { Name: 'EndpointName', Value: 'cap-test-deterioration-risk' },
                { Name: 'VariantName', Value: PRIMARY_VARIANT },
              ]),
            },
            Period: 60,
            Stat: 'Sum',
          }),
        }),
      ]),
    });
  });

  test('the latency alarm watches p99 ModelLatency in microseconds', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      ExtendedStatistic: 'p99',
      Period: 60,
      Threshold: 500_000,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [Match.stringLikeRegexp(':opsitem:2#CATEGORY=Performance$')],
    });
    expect(endpoint.latencyAlarm).toBeDefined();
    expect(endpoint.metrics.invocationsPerInstance.metricName).toBe('InvocationsPerInstance');
  });

  test('target tracking on invocations per instance between the capacity bounds: out fast, in cautiously', () => {
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ResourceId: 'endpoint/cap-test-deterioration-risk/variant/primary',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 2,
      MaxCapacity: 12,
      RoleARN: Match.absent(),
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      ScalingTargetId: { Ref: id('AWS::ApplicationAutoScaling::ScalableTarget', 'ScalableTarget') },
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        TargetValue: 2000,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 900,
        DisableScaleIn: false,
      },
    });
    t.hasResource('AWS::ApplicationAutoScaling::ScalableTarget', {
      DependsOn: Match.arrayWith([id('AWS::SageMaker::Endpoint', 'Endpoint')]),
    });
  });

  test('container logs go to a KMS-encrypted, retained log group named for the endpoint', () => {
    t.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: '/aws/sagemaker/Endpoints/cap-test-deterioration-risk',
        KmsKeyId: getAttArn(id('AWS::KMS::Key', 'AuditKey')),
        RetentionInDays: 2192,
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('the execution role: assumed by SageMaker, no AWS-managed policy, artefacts read-only, capture write-only', () => {
    const roleId = id('AWS::IAM::Role', 'EndpointExecutionRole');
    const role = t.findResources('AWS::IAM::Role')[roleId] as { Properties: Record<string, unknown> };
    expect(JSON.stringify(role.Properties['AssumeRolePolicyDocument'])).toContain('sagemaker.amazonaws.com');
    for (const arn of (role.Properties['ManagedPolicyArns'] ?? []) as unknown[]) {
      expect(JSON.stringify(arn)).not.toMatch(/policy\/(AmazonSageMakerFullAccess|service-role)/);
      expect(JSON.stringify(arn)).not.toContain('arn:aws:iam::aws:policy');
    }
    expect(role.Properties['Tags']).toEqual(
      expect.arrayContaining([
        { Key: 'clinical-ai:kms-model-artifacts', Value: 'allow' },
        { Key: 'clinical-ai:kms-phi-data', Value: 'allow' },
      ]),
    );
    const statements = statementsOfRole(t, roleId);
    const grantsOf = (action: string) =>
      statements
        .filter((s) => ([] as unknown[]).concat(s['Action']).includes(action))
        .map((s) => s['Resource']);
    expect(grantsOf('s3:GetObject')).toEqual(['arn:aws:s3:::model-bucket/models/deterioration-risk/*']);
    expect(grantsOf('s3:PutObject')).toEqual([
      'arn:aws:s3:::capture-bucket/data-capture/cap-test-deterioration-risk/*',
    ]);
    // It can write captured PHI but never decrypt it.
    expect(grantsOf('kms:Decrypt')).toEqual([getAttArn(modelKey)]);
    expect(grantsOf('kms:GenerateDataKey')).toEqual([getAttArn(phiKey)]);
    expect(grantsOf('ecr:BatchGetImage')).toEqual([
      'arn:aws:ecr:us-east-1:123456789012:repository/clinical-ai/deterioration-risk',
    ]);
    expect(grantsOf('cloudwatch:DescribeAlarms')).toHaveLength(1);
    for (const s of statements) {
      for (const a of ([] as string[]).concat(s['Action'] as string))
        expect(a).not.toMatch(/^(sagemaker|s3|kms):\*$/);
      if (JSON.stringify(s['Resource']) === '"*"') {
        for (const a of ([] as string[]).concat(s['Action'] as string)) {
          expect(a).toMatch(/^(ecr:GetAuthorizationToken|ec2:[A-Za-z]+|cloudwatch:PutMetricData)$/);
        }
      }
    }
  });

  test('the workflow requests carry the same guardrails, keys and capture, in the SageMaker API shape', () => {
    const stack = Stack.of(endpoint);
    const update = stack.resolve(endpoint.updateEndpointRequest('cfg-1')) as Record<string, unknown>;
    expect(update).toMatchObject({
      EndpointName: 'cap-test-deterioration-risk',
      EndpointConfigName: 'cfg-1',
      RetainAllVariantProperties: true,
      DeploymentConfig: stack.resolve(toApiShape(endpoint.deploymentConfig())) as unknown,
    });
    expect(JSON.stringify(update)).toContain('"LinearStepSize":{"Type":"CAPACITY_PERCENT","Value":20}');
    const config = stack.resolve(endpoint.createEndpointConfigRequest('cfg-1', 'model-1')) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({
      EndpointConfigName: 'cfg-1',
      KmsKeyId: getAttArn(modelKey),
      ProductionVariants: [{ VariantName: 'primary', ModelName: 'model-1', InstanceType: 'ml.c6i.xlarge' }],
      DataCaptureConfig: { KmsKeyId: getAttArn(phiKey), InitialSamplingPercentage: 25, EnableCapture: true },
    });
    const model = stack.resolve(endpoint.createModelRequest('model-1', 'arn:pkg', '1.0.0+pkg.3')) as Record<
      string,
      unknown
    >;
    expect(model).toMatchObject({
      EnableNetworkIsolation: true,
      VpcConfig: { Subnets: subnets },
      PrimaryContainer: { ModelPackageName: 'arn:pkg', Environment: { MODEL_VERSION: '1.0.0+pkg.3' } },
    });
  });
});

describe('InferenceEndpoint (canary, no shadow)', () => {
  const f = inferenceFixture();
  endpointIn(f, {
    minInstances: 1,
    maxInstances: 2,
    deployment: {
      trafficShifting: { type: 'canary', canaryPercent: 50, waitIntervalSeconds: 600 },
      terminationWait: Duration.seconds(300),
      maximumExecutionTimeout: Duration.seconds(3600),
    },
  });
  const t = Template.fromStack(f.stack);

  test('canary traffic shifting and a single model', () => {
    t.resourceCountIs('AWS::SageMaker::Model', 1);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { ShadowProductionVariants: Match.absent() });
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 },
            WaitIntervalInSeconds: 600,
          },
        },
      },
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 2,
    });
  });
});

describe('InferenceEndpoint refuses props that cannot work', () => {
  test.each([
    [{ minInstances: 0 }, 'minInstances must be at least 1'],
    [{ minInstances: 3, maxInstances: 2 }, 'maxInstances must be at least minInstances'],
    [
      { scaleOutCooldown: Duration.seconds(600), scaleInCooldown: Duration.seconds(60) },
      'scaleInCooldown must be at least scaleOutCooldown',
    ],
    [{ endpointName: 'x'.repeat(64) }, 'endpointName must be a SageMaker name'],
  ])('%j', (overrides, message) => {
    const f = inferenceFixture();
    expect(() => endpointIn(f, overrides)).toThrow(message);
  });
});

describe('InferenceEndpoint.grantInvoke', () => {
  test('grants sagemaker:InvokeEndpoint on this endpoint only', () => {
    const f = inferenceFixture();
    const endpoint = endpointIn(f);
    const role = new iam.Role(f.stack, 'Caller', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    endpoint.grantInvoke(role);
    const t = Template.fromStack(f.stack);
    expect(statementsOfRole(t, logicalIdOf(t, 'AWS::IAM::Role', 'Caller'))).toEqual([
      {
        Action: 'sagemaker:InvokeEndpoint',
        Effect: 'Allow',
        Resource: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/cap-test-deterioration-risk',
      },
    ]);
  });
});
