import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  DATA_METRICS_NAMESPACE,
  DriftMonitor,
  HOURLY,
  type DriftMonitorProps,
} from '../../lib/constructs/drift-monitor';
import {
  endpointIn,
  inferenceFixture,
  logicalIdOf,
  statementsOfRole,
  type InferenceFixture,
} from '../helpers/inference';

const FEATURES = ['respiration_rate', 'spo2', 'pulse'];

function monitorIn(f: InferenceFixture, overrides: Partial<DriftMonitorProps> = {}): DriftMonitor {
  const endpoint = endpointIn(f);
  return new DriftMonitor(f.stack, 'Drift', {
    endpoint,
    baselineBucket: f.modelBucket,
    baselineKeyPrefix: 'models/deterioration-risk/1.0.0/baseline/',
    modelArtifactsKey: f.modelKey,
    features: FEATURES,
    threshold: 0.1,
    vpc: f.vpc,
    instanceType: 'ml.m5.xlarge',
    volumeSizeGb: 20,
    maxRuntime: Duration.minutes(30),
    processingLogGroup: f.processingLogs,
    ...overrides,
  });
}

describe('DriftMonitor', () => {
  // Prepare, act
  const f = inferenceFixture();
  const monitor = monitorIn(f);
  const t = Template.fromStack(f.stack);
  const id = (type: string, part: string) => logicalIdOf(t, type, part);
  const getAttArn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

  test('a data-quality job reads the endpoint capture against the baseline, in the VPC with network isolation', () => {
    t.hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
      JobDefinitionName: Match.stringLikeRegexp('^cap-test-deterioration-risk-dq-[0-9a-f]{8}$'),
      EndpointName: 'cap-test-deterioration-risk',
      DataQualityAppSpecification: {
        ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
        Environment: { publish_cloudwatch_metrics: 'Enabled' },
      },
      DataQualityBaselineConfig: {
        ConstraintsResource: {
          S3Uri: 's3://model-bucket/models/deterioration-risk/1.0.0/baseline/constraints.json',
        },
        StatisticsResource: {
          S3Uri: 's3://model-bucket/models/deterioration-risk/1.0.0/baseline/statistics.json',
        },
      },
      DataQualityJobInput: {
        EndpointInput: {
          EndpointName: 'cap-test-deterioration-risk',
          LocalPath: '/opt/ml/processing/input/endpoint',
        },
      },
      DataQualityJobOutputConfig: {
        KmsKeyId: getAttArn(id('AWS::KMS::Key', 'PhiKey')),
        MonitoringOutputs: [
          {
            S3Output: {
              S3Uri: 's3://capture-bucket/monitoring-reports/cap-test-deterioration-risk',
              LocalPath: '/opt/ml/processing/output',
              S3UploadMode: 'EndOfJob',
            },
          },
        ],
      },
      JobResources: {
        ClusterConfig: {
          InstanceCount: 1,
          InstanceType: 'ml.m5.xlarge',
          VolumeSizeInGB: 20,
          VolumeKmsKeyId: getAttArn(id('AWS::KMS::Key', 'ModelKey')),
        },
      },
      NetworkConfig: {
        EnableNetworkIsolation: true,
        EnableInterContainerTrafficEncryption: true,
        VpcConfig: {
          Subnets: Object.keys(t.findResources('AWS::EC2::Subnet')).map((s) => ({ Ref: s })),
          SecurityGroupIds: [
            { 'Fn::GetAtt': [id('AWS::EC2::SecurityGroup', 'DriftSecurityGroup'), 'GroupId'] },
          ],
        },
      },
      StoppingCondition: { MaxRuntimeInSeconds: 1800 },
      RoleArn: getAttArn(id('AWS::IAM::Role', 'DriftRole')),
    });
  });

  test('an hourly data-quality schedule on the endpoint, created after the endpoint and the job definition', () => {
    t.hasResource('AWS::SageMaker::MonitoringSchedule', {
      Properties: {
        MonitoringScheduleName: 'cap-test-deterioration-risk-data-quality',
        EndpointName: 'cap-test-deterioration-risk',
        MonitoringScheduleConfig: {
          MonitoringJobDefinitionName: Match.stringLikeRegexp('-dq-[0-9a-f]{8}$'),
          MonitoringType: 'DataQuality',
          ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
        },
      },
      DependsOn: Match.arrayWith([id('AWS::SageMaker::DataQualityJobDefinition', 'DriftJobDefinition')]),
    });
    t.hasResource('AWS::SageMaker::DataQualityJobDefinition', {
      DependsOn: Match.arrayWith([id('AWS::SageMaker::Endpoint', '')]),
    });
    expect(HOURLY).toBe('cron(0 * ? * * *)');
  });

  test('a drift violation raises an alarm on the largest baseline drift of the monitored features', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 0.1,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [Match.stringLikeRegexp(':opsitem:3#CATEGORY=Performance$')],
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'MAX([f0, f1, f2])', ReturnData: true }),
        ...FEATURES.map((feature, i) =>
          Match.objectLike({
            Id: `f${i}`,
            ReturnData: false,
            MetricStat: {
              Metric: {
                Namespace: DATA_METRICS_NAMESPACE,
                MetricName: `feature_baseline_drift_${feature}`,
                Dimensions: Match.arrayWith([
                  { Name: 'Endpoint', Value: 'cap-test-deterioration-risk' },
                  { Name: 'MonitoringSchedule', Value: 'cap-test-deterioration-risk-data-quality' },
                ]),
              },
              Period: 3600,
              Stat: 'Maximum',
            },
          }),
        ),
      ]),
    });
    expect(Object.keys(monitor.driftMetrics)).toEqual(FEATURES);
  });

  test('the job role reads only this endpoint capture and the two baseline files, and writes only its reports', () => {
    const statements = statementsOfRole(t, id('AWS::IAM::Role', 'DriftRole'));
    const grantsOf = (action: string) =>
      statements
        .filter((s) => ([] as unknown[]).concat(s['Action']).includes(action))
        .flatMap((s) => s['Resource']);
    expect(grantsOf('s3:GetObject').sort()).toEqual(
      [
        'arn:aws:s3:::capture-bucket/data-capture/cap-test-deterioration-risk/*',
        'arn:aws:s3:::model-bucket/models/deterioration-risk/1.0.0/baseline/constraints.json',
        'arn:aws:s3:::model-bucket/models/deterioration-risk/1.0.0/baseline/statistics.json',
      ].sort(),
    );
    expect(grantsOf('s3:PutObject')).toEqual([
      'arn:aws:s3:::capture-bucket/monitoring-reports/cap-test-deterioration-risk/*',
    ]);
    const list = statements.find((s) => s['Action'] === 's3:ListBucket');
    expect(list?.['Condition']).toEqual({
      StringLike: { 's3:prefix': ['data-capture/cap-test-deterioration-risk/*'] },
    });
    const grant = statements.find((s) => s['Action'] === 'kms:CreateGrant');
    expect(grant?.['Condition']).toEqual({ Bool: { 'kms:GrantIsForAWSResource': true } });
    for (const s of statements) {
      for (const a of ([] as string[]).concat(s['Action'] as string)) expect(a).not.toMatch(/:\*$/);
    }
  });

  test.each([
    [{ features: [] }, 'monitor 1 to 10 features'],
    [{ features: Array.from({ length: 11 }, (_, i) => `f${i}`) }, 'monitor 1 to 10 features'],
    [{ baselineKeyPrefix: 'models/x/baseline' }, 'baselineKeyPrefix must end with /'],
    [{ maxRuntime: Duration.hours(2) }, 'an hourly job must finish within 3600 s'],
  ])('refuses %j', (overrides, message) => {
    expect(() => monitorIn(inferenceFixture(), overrides)).toThrow(message);
  });

  test('the job definition name changes with its content, so CloudFormation can replace it', () => {
    const name = (threshold: number, volumeSizeGb: number) => {
      const g = inferenceFixture();
      return monitorIn(g, { threshold, volumeSizeGb }).jobDefinition.jobDefinitionName;
    };
    expect(name(0.1, 20)).toBe(name(0.2, 20));
    expect(name(0.1, 20)).not.toBe(name(0.1, 30));
  });
});
