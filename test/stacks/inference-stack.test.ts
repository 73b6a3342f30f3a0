import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { applyPlatformAspects } from '../../compliance-rules/gate';
import { HipaaPlatformChecks } from '../../compliance-rules/hipaa-platform-pack';
import { loadProfile, PROFILES } from '../../lib/config';
import { MODEL_CARDS } from '../../lib/config/model-cards';
import { dataBucketName } from '../../lib/data-names';
import { stackName } from '../../lib/naming';
import { FoundationStack } from '../../stacks/foundation-stack';
import { InferenceStack } from '../../stacks/inference-stack';
import { prepare } from '../compliance-rules/fixtures';
import { cdkJsonContext, platform } from '../helpers/platform';

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: string;
};
const only = (t: Template, type: string): Resource => {
  const found = Object.values(t.findResources(type)) as Resource[];
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};
/** A reference to the foundation stack's output `PublishOutput...<part>...` (template assertions). */
const foundationOutput = (foundation: string, part: string) => ({
  'Fn::GetStackOutput': Match.objectLike({ StackName: foundation, OutputName: Match.stringLikeRegexp(part) }),
});
/** The same, for plain jest expectations. */
const fromFoundation = (foundation: string, part: string): unknown => ({
  'Fn::GetStackOutput': expect.objectContaining({
    StackName: foundation,
    OutputName: expect.stringContaining(part) as unknown,
  }) as unknown,
});

describe.each(['poc', 'production'])('inference stack (%s)', (profileName) => {
  const p = platform(profileName);
  const { profile, capacity } = p.config;
  const inf = profile.inference;
  const model = inf.models[0];
  const endpointName = `${profile.namePrefix}-${model.name}`;
  const cases = p.regions.map((r) => [r.region, r.isPrimary, r, p.template(r.inference)] as const);

  describe.each(cases)('in %s', (region, isPrimary, stacks, t) => {
    const foundation = stackName(profile, 'foundation', region);
    const image = model.imageUri.replace('us-east-1', region);

    test('the model runs its pinned image from this region, in every isolated subnet, with network isolation', () => {
      const m = only(t, 'AWS::SageMaker::Model').Properties;
      expect(m['EnableNetworkIsolation']).toBe(true);
      expect(m['PrimaryContainer']).toEqual({
        Image: image,
        ModelDataUrl: `s3://${dataBucketName(profile, 'model-artifacts', region)}/${model.artifactKey}`,
        Environment: { MODEL_NAME: model.name, MODEL_VERSION: model.version, MODEL_VARIANT: 'primary' },
      });
      const subnets = (m['VpcConfig'] as { Subnets: unknown[] }).Subnets;
      expect(subnets).toHaveLength(profile.availabilityZones[region].length);
      for (const s of subnets) {
        expect(s).toEqual(fromFoundation(foundation, 'NetworkVpcworkloadSubnet'));
      }
    });

    test('the endpoint config: region CMKs for storage and capture, profile sampling, capacity-plan instances', () => {
      t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        KmsKeyId: foundationOutput(foundation, 'ModelArtifactsKey'),
        ProductionVariants: [
          {
            VariantName: 'primary',
            ModelName: Match.anyValue(),
            InstanceType: profile.limits.sagemaker.instanceType,
            InitialInstanceCount: capacity.sagemaker.minInstances,
            InitialVariantWeight: 1,
          },
        ],
        ShadowProductionVariants: Match.absent(),
        DataCaptureConfig: {
          EnableCapture: true,
          InitialSamplingPercentage: model.dataCaptureSamplingPercent,
          DestinationS3Uri: `s3://${dataBucketName(profile, 'data-capture', region)}/data-capture`,
          KmsKeyId: foundationOutput(foundation, 'PhiDataKey'),
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        },
      });
      if (p.config.multiRegion) expect(capacity.sagemaker.minInstances).toBeGreaterThanOrEqual(2);
    });

    test('the endpoint: blue/green with the profile traffic shifting, rolled back by its two alarms', () => {
      const shifting = inf.deployment.trafficShifting;
      t.hasResourceProperties('AWS::SageMaker::Endpoint', {
        EndpointName: endpointName,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration:
              shifting.type === 'canary'
                ? {
                    Type: 'CANARY',
                    CanarySize: { Type: 'CAPACITY_PERCENT', Value: shifting.canaryPercent },
                    WaitIntervalInSeconds: shifting.waitIntervalSeconds,
                  }
                : {
                    Type: 'LINEAR',
                    LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: shifting.stepPercent },
                    WaitIntervalInSeconds: shifting.waitIntervalSeconds,
                  },
            TerminationWaitInSeconds: inf.deployment.terminationWaitSeconds,
            MaximumExecutionTimeoutInSeconds: inf.deployment.maximumExecutionTimeoutSeconds,
          },
          AutoRollbackConfiguration: {
            Alarms: [{ AlarmName: Match.anyValue() }, { AlarmName: Match.anyValue() }],
          },
        },
        RetainAllVariantProperties: true,
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ModelLatency',
        ExtendedStatistic: 'p99',
        Threshold: inf.alarms.modelLatencyP99Ms * 1000,
        Dimensions: Match.arrayWith([{ Name: 'EndpointName', Value: endpointName }]),
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: inf.alarms.errorRatePercent,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'IF(invocations > 0, 100 * errors / invocations, 0)' }),
        ]),
      });
    });

    test('autoscaling from the capacity plan: target tracking on invocations per instance, fast out, cautious in', () => {
      t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ResourceId: `endpoint/${endpointName}/variant/primary`,
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: capacity.sagemaker.minInstances,
        MaxCapacity: capacity.sagemaker.maxInstances,
      });
      t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
          TargetValue: capacity.sagemaker.targetInvocationsPerInstance,
          ScaleOutCooldown: inf.scaling.scaleOutCooldownSeconds,
          ScaleInCooldown: inf.scaling.scaleInCooldownSeconds,
        },
      });
      expect(inf.scaling.scaleInCooldownSeconds).toBeGreaterThan(inf.scaling.scaleOutCooldownSeconds);
    });

    test('the DR runbook target: a warm minimum now, the planned peak when it takes over', () => {
      const served = stacks.inference.models[model.name];
      expect(served.drScaleUp).toEqual({
        scalableResourceId: `endpoint/${endpointName}/variant/primary`,
        minCapacity: capacity.sagemaker.requiredInstances,
        maxCapacity: capacity.sagemaker.maxInstances,
      });
      expect(served.drScaleUp.minCapacity).toBeGreaterThanOrEqual(capacity.sagemaker.minInstances);
    });

    test('drift: an hourly data-quality schedule on captured data against the profile baseline, and its alarm', () => {
      t.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', {
        EndpointName: endpointName,
        MonitoringScheduleConfig: Match.objectLike({
          MonitoringType: 'DataQuality',
          ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
        }),
      });
      const bucket = dataBucketName(profile, 'model-artifacts', region);
      t.hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
        DataQualityBaselineConfig: {
          ConstraintsResource: { S3Uri: `s3://${bucket}/${model.baselineKeyPrefix}constraints.json` },
          StatisticsResource: { S3Uri: `s3://${bucket}/${model.baselineKeyPrefix}statistics.json` },
        },
        DataQualityAppSpecification: Match.objectLike({
          ImageUri: Match.stringLikeRegexp(
            `\\.dkr\\.ecr\\.${region}\\.amazonaws\\.com/sagemaker-model-monitor-analyzer$`,
          ),
        }),
        NetworkConfig: Match.objectLike({ EnableNetworkIsolation: true }),
        JobResources: { ClusterConfig: Match.objectLike({ InstanceType: inf.monitoring.instanceType }) },
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: model.drift.threshold,
        Metrics: Match.arrayWith([
          Match.objectLike({
            Expression: `MAX([${model.drift.features.map((_, i) => `f${i}`).join(', ')}])`,
          }),
        ]),
      });
    });

    test('an approved model card per model, encrypted with the region model-artifacts key and retained', () => {
      const card = only(t, 'AWS::SageMaker::ModelCard');
      expect(card.DeletionPolicy).toBe('Retain');
      expect(card.Properties['ModelCardName']).toBe(endpointName);
      expect(card.Properties['ModelCardStatus']).toBe('Approved');
      expect(card.Properties['SecurityConfig']).toEqual({
        KmsKeyId: fromFoundation(foundation, 'ModelArtifactsKey'),
      });
      expect(JSON.stringify(card.Properties['Content'])).toContain(model.card.intendedUse.outOfScopeUses[0]);
    });

    test('the serving contract in SSM: endpoint, confidence threshold, version and card, for the API handlers', () => {
      const param = only(t, 'AWS::SSM::Parameter').Properties;
      expect(param['Name']).toBe(`/${profile.namePrefix}/inference/${model.name}/serving`);
      const joined = param['Value'] as string | { 'Fn::Join': [string, unknown[]] };
      const json = typeof joined === 'string' ? joined : joined['Fn::Join'][1].join('');
      expect(JSON.parse(json)).toEqual({
        model: model.name,
        endpointName,
        region,
        primaryVariant: 'primary',
        confidenceThreshold: model.confidenceThreshold,
        card: { name: endpointName, describes: model.version, status: 'Approved' },
        scaling: {
          scalableResourceId: `endpoint/${endpointName}/variant/primary`,
          minCapacity: capacity.sagemaker.requiredInstances,
          maxCapacity: capacity.sagemaker.maxInstances,
          warmMinCapacity: capacity.sagemaker.minInstances,
        },
        version: model.version,
        modelPackageArn: null,
        deployedBy: 'cloudformation',
      });
    });

    test('the retraining workflow runs in the primary region only', () => {
      t.resourceCountIs('AWS::StepFunctions::StateMachine', isPrimary ? 1 : 0);
      t.resourceCountIs('AWS::SageMaker::ModelPackageGroup', isPrimary ? 1 : 0);
      t.resourceCountIs('AWS::Events::Rule', isPrimary ? 1 : 0);
      if (isPrimary) {
        t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
          StateMachineName: `${endpointName}-retraining`,
          TracingConfiguration: { Enabled: true },
          LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
        });
        t.resourcePropertiesCountIs(
          'AWS::SNS::Subscription',
          { Protocol: 'email' },
          inf.retraining.approverEmails.length,
        );
      }
    });

    test('every log group is KMS-encrypted with the audit key and kept for the audit retention', () => {
      const groups = Object.values(t.findResources('AWS::Logs::LogGroup')) as Resource[];
      const names = groups.map((g) => g.Properties['LogGroupName']).filter((n) => typeof n === 'string');
      expect(names).toEqual(
        expect.arrayContaining([`/aws/sagemaker/Endpoints/${endpointName}`, '/aws/sagemaker/ProcessingJobs']),
      );
      expect(names.includes('/aws/sagemaker/TrainingJobs')).toBe(isPrimary);
      for (const g of groups) {
        expect(g.Properties['KmsKeyId']).toEqual(fromFoundation(foundation, 'AuditLogsKey'));
        expect(g.Properties['RetentionInDays']).toBe(profile.logRetention.auditDays);
        expect(g.DeletionPolicy).toBe('Retain');
      }
    });

    test('no role has sagemaker:*, s3:* or kms:* on "*", nor AmazonSageMakerFullAccess', () => {
      const policies = {
        ...t.findResources('AWS::IAM::Policy'),
        ...t.findResources('AWS::IAM::ManagedPolicy'),
      } as Record<string, Resource>;
      expect(Object.keys(policies).length).toBeGreaterThan(0);
      for (const policy of Object.values(policies)) {
        const doc = policy.Properties['PolicyDocument'] as { Statement: Record<string, unknown>[] };
        for (const s of doc.Statement) {
          const actions = ([] as string[]).concat(s['Action'] as string | string[]);
          const resources = ([] as unknown[]).concat(s['Resource']);
          for (const a of actions) expect(a).not.toMatch(/^(sagemaker|s3|kms):\*$/i);
          if (resources.includes('*')) {
            for (const a of actions) expect(a).not.toMatch(/^(sagemaker|s3|kms):/i);
          }
        }
      }
      const roles = Object.values(t.findResources('AWS::IAM::Role')) as Resource[];
      expect(roles.length).toBeGreaterThan(0);
      for (const role of roles) {
        expect(JSON.stringify(role.Properties['ManagedPolicyArns'] ?? [])).not.toMatch(
          /AmazonSageMakerFullAccess|arn:aws:iam::aws:policy/,
        );
        expect(role.Properties['Policies']).toBeUndefined();
      }
    });

    test('our HIPAA pack finds nothing in the stack (VPC, isolation, capture encryption, autoscaling, no full access)', () => {
      prepare(stacks.inference);
      const report = new HipaaPlatformChecks().validateScope(stacks.inference);
      expect(
        report.violations.map(
          (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`,
        ),
      ).toEqual([]);
    });
  });
});

describe.each(['poc', 'production'])('inference stack with a shadow candidate (%s)', (profileName) => {
  // Prepare: the profile with a candidate card pending review, shadowing 20% of traffic.
  const models = JSON.parse(
    JSON.stringify(
      (PROFILES[profileName] as unknown as { inference: { models: Record<string, unknown>[] } }).inference
        .models,
    ),
  ) as Record<string, unknown>[];
  models[0]['shadow'] = {
    version: '1.1.0',
    imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/deterioration-risk:1.1.0',
    artifactKey: 'models/deterioration-risk/1.1.0/model.tar.gz',
    trafficPercent: 20,
    card: {
      ...MODEL_CARDS['deterioration-risk@1.0.0'],
      modelVersion: '1.1.0',
      approval: { status: 'PendingReview' },
    },
  };
  const config = loadProfile(profileName, { inference: { models } });
  const app = new App({ context: cdkJsonContext() });
  applyPlatformAspects(app);
  const region = config.profile.regions.primary;
  const foundation = new FoundationStack(app, 'Foundation', { config, region });
  // Act
  const stack = new InferenceStack(app, 'Inference', { config, region, foundation });
  const t = Template.fromStack(stack);
  const endpointName = `${config.profile.namePrefix}-deterioration-risk`;

  test('the shadow variant runs the candidate on a copy of 20% of live traffic, with its own card pending review', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ShadowProductionVariants: [
        Match.objectLike({
          VariantName: 'shadow',
          InstanceType: config.profile.limits.sagemaker.instanceType,
          InitialVariantWeight: 0.2,
        }),
      ],
    });
    t.resourcePropertiesCountIs('AWS::SageMaker::Model', { EnableNetworkIsolation: true }, 2);
    t.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: Match.objectLike({
        Environment: { MODEL_NAME: 'deterioration-risk', MODEL_VERSION: '1.1.0', MODEL_VARIANT: 'shadow' },
      }),
    });
    t.hasResourceProperties('AWS::SageMaker::ModelCard', {
      ModelCardName: `${endpointName}-shadow`,
      ModelCardStatus: 'PendingReview',
    });
    expect(stack.models['deterioration-risk'].shadowCard).toBeDefined();
  });

  test('the serving contract names the shadow variant; clinicians still get only the primary', () => {
    const param = Object.values(t.findResources('AWS::SSM::Parameter'))[0] as Resource;
    const value = param.Properties['Value'] as string;
    expect(JSON.parse(value)).toMatchObject({ primaryVariant: 'primary', shadowVariant: 'shadow' });
    // Only the primary variant autoscales and serves answers.
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
  });
});
