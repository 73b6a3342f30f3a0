import { createHash } from 'node:crypto';
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { modelMonitorImageUri } from '../config/inference';
import { DataDomainKey } from './data-domain-key';
import type { InferenceEndpoint } from './inference-endpoint';
import { SageMakerExecutionRole } from './sagemaker-execution-role';
import { runbookLink } from '../runbooks';

/** Top of every hour (UTC): SageMaker's hourly schedule for real-time endpoints. */
export const HOURLY = 'cron(0 * ? * * *)';

/** Where SageMaker Model Monitor publishes data-quality metrics of a real-time endpoint. */
export const DATA_METRICS_NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';

export interface DriftMonitorProps {
  /** The endpoint whose captured requests are compared with the baseline. */
  readonly endpoint: InferenceEndpoint;
  /** The model-artefact bucket holding the baseline. */
  readonly baselineBucket: s3.IBucket;
  /** Prefix (ending in `/`) of `constraints.json` and `statistics.json` from the baselining job. */
  readonly baselineKeyPrefix: string;
  /** The model-artifacts CMK: decrypts the baseline and encrypts the job's ML storage volume. */
  readonly modelArtifactsKey: kms.IKey;
  /** Features whose baseline drift raises the alarm (at most 10: one metric-math alarm). */
  readonly features: readonly string[];
  /** Baseline distance above which a feature has drifted. */
  readonly threshold: number;
  /** The VPC whose isolated subnets the job runs in. */
  readonly vpc: ec2.IVpc;
  readonly instanceType: string;
  readonly volumeSizeGb: number;
  /** Deadline of one hourly run (at most an hour). */
  readonly maxRuntime: Duration;
  /** The KMS-encrypted `/aws/sagemaker/ProcessingJobs` log group of the region. */
  readonly processingLogGroup: logs.ILogGroup;
  /**
   * Key prefix of the monitoring reports in the capture bucket (they summarise PHI, so they stay with it).
   * @default 'monitoring-reports'
   */
  readonly reportsPrefix?: string;
}

/**
 * Drift monitoring of one endpoint (45 CFR 164.312(c)(1) integrity of the model's inputs, 164.308(a)(1)(ii)(D)
 * information system activity review): a SageMaker Model Monitor data-quality job definition and an hourly
 * monitoring schedule that compares the captured requests with the training baseline, inside the VPC with
 * network isolation, and a CloudWatch alarm on the features' baseline-drift metrics.
 */
export class DriftMonitor extends Construct {
  readonly role: SageMakerExecutionRole;
  readonly securityGroup: ec2.SecurityGroup;
  readonly jobDefinition: sagemaker.CfnDataQualityJobDefinition;
  readonly schedule: sagemaker.CfnMonitoringSchedule;
  readonly scheduleName: string;
  /** `feature_baseline_drift_<feature>` per monitored feature. */
  readonly driftMetrics: Readonly<Record<string, cloudwatch.Metric>>;
  /** The largest drift of the monitored features. */
  readonly maxDrift: cloudwatch.MathExpression;
  /** In ALARM when a feature drifts past the threshold; the retraining workflow starts on it. */
  readonly driftAlarm: cloudwatch.Alarm;
  /** `s3://<capture bucket>/<reports prefix>/<endpoint>`. */
  readonly reportsUri: string;

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    const ep = props.endpoint;
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region))
      throw new Error(`${this.node.path}: the stack needs a concrete region (Model Monitor image)`);
    if (props.features.length < 1 || props.features.length > 10) {
      throw new Error(
        `${this.node.path}: monitor 1 to 10 features (one metric-math alarm), got ${props.features.length}`,
      );
    }
    if (!props.baselineKeyPrefix.endsWith('/'))
      throw new Error(`${this.node.path}: baselineKeyPrefix must end with /`);
    if (props.maxRuntime.toSeconds() > 3600)
      throw new Error(`${this.node.path}: an hourly job must finish within 3600 s`);

    const reportsPrefix = `${(props.reportsPrefix ?? 'monitoring-reports').replace(/\/+$/, '')}/${ep.endpointName}`;
    this.reportsUri = `s3://${ep.captureBucket.bucketName}/${reportsPrefix}`;
    const baselineUri = (file: string) =>
      `s3://${props.baselineBucket.bucketName}/${props.baselineKeyPrefix}${file}`;
    const imageUri = modelMonitorImageUri(region);

    this.role = new SageMakerExecutionRole(this, 'Role', {
      description: `Runs the hourly data-quality monitoring of endpoint ${ep.endpointName}`,
    });
    // Reads the captured requests of this endpoint only (PHI), and the two baseline files.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [ep.captureBucket.arnForObjects(`${ep.captureKeyPrefix}*`)],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [ep.captureBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ep.captureKeyPrefix}*`] } },
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: ['constraints.json', 'statistics.json'].map((f) =>
          props.baselineBucket.arnForObjects(`${props.baselineKeyPrefix}${f}`),
        ),
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [ep.captureBucket.arnForObjects(`${reportsPrefix}/*`)],
      }),
    );
    this.role.acknowledgeGeneratedObjectKeys(
      ep.captureBucket.arnForObjects(`${ep.captureKeyPrefix}*`),
      "Read-only on this endpoint's data-capture prefix, which Model Monitor analyses every hour; SageMaker names the capture files by variant and hour at run time.",
    );
    this.role.acknowledgeGeneratedObjectKeys(
      ep.captureBucket.arnForObjects(`${reportsPrefix}/*`),
      "Write-only on this endpoint's monitoring-report prefix; SageMaker names each hourly report folder after the execution at run time.",
    );
    // PHI key: read the capture, write the reports. Model-artifacts key: read the baseline, encrypt the volume.
    DataDomainKey.allowDirectUse(this.role, ep.captureKey, 'phi-data', [
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:DescribeKey',
    ]);
    DataDomainKey.allowDirectUse(this.role, props.modelArtifactsKey, 'model-artifacts', [
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'kms:DescribeKey',
    ]);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [props.modelArtifactsKey.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );
    this.role.allowImagePull(imageUri);
    this.role.allowLogWrite(props.processingLogGroup);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Model Monitor of ${ep.endpointName}: no inbound; HTTPS out to the VPC endpoints only`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to VPC endpoints (S3 gateway)',
    );

    const definition: Omit<sagemaker.CfnDataQualityJobDefinitionProps, 'jobDefinitionName'> = {
      endpointName: ep.endpointName,
      roleArn: this.role.roleArn,
      dataQualityAppSpecification: {
        imageUri,
        // The analyzer writes the drift metrics; SageMaker publishes them to CloudWatch (no network needed).
        environment: { publish_cloudwatch_metrics: 'Enabled' },
      },
      dataQualityBaselineConfig: {
        constraintsResource: { s3Uri: baselineUri('constraints.json') },
        statisticsResource: { s3Uri: baselineUri('statistics.json') },
      },
      dataQualityJobInput: {
        endpointInput: {
          endpointName: ep.endpointName,
          localPath: '/opt/ml/processing/input/endpoint',
          s3InputMode: 'File',
          s3DataDistributionType: 'FullyReplicated',
        },
      },
      dataQualityJobOutputConfig: {
        kmsKeyId: ep.captureKey.keyArn,
        monitoringOutputs: [
          {
            s3Output: {
              localPath: '/opt/ml/processing/output',
              s3Uri: this.reportsUri,
              s3UploadMode: 'EndOfJob',
            },
          },
        ],
      },
      jobResources: {
        clusterConfig: {
          instanceCount: 1,
          instanceType: props.instanceType,
          volumeSizeInGb: props.volumeSizeGb,
          volumeKmsKeyId: props.modelArtifactsKey.keyArn,
        },
      },
      networkConfig: {
        enableNetworkIsolation: true,
        enableInterContainerTrafficEncryption: true,
        vpcConfig: { subnets: ep.isolatedSubnetIds, securityGroupIds: [this.securityGroup.securityGroupId] },
      },
      stoppingCondition: { maxRuntimeInSeconds: props.maxRuntime.toSeconds() },
    };
    // Every property of a job definition requires replacement, and a fixed name would collide with the
    // definition it replaces: the name carries a hash of the definition, so a change creates a new one.
    const digest = createHash('sha256')
      .update(JSON.stringify(Stack.of(this).resolve(definition)))
      .digest('hex')
      .slice(0, 8);
    this.jobDefinition = new sagemaker.CfnDataQualityJobDefinition(this, 'JobDefinition', {
      ...definition,
      jobDefinitionName: `${ep.endpointName}-dq-${digest}`,
    });
    // The job definition names the endpoint, which must exist with data capture on.
    this.jobDefinition.node.addDependency(ep.endpoint);
    this.jobDefinition.node.addDependency(this.role);

    this.scheduleName = `${ep.endpointName}-data-quality`;
    this.schedule = new sagemaker.CfnMonitoringSchedule(this, 'Schedule', {
      monitoringScheduleName: this.scheduleName,
      endpointName: ep.endpointName,
      monitoringScheduleConfig: {
        monitoringJobDefinitionName: this.jobDefinition.jobDefinitionName!,
        monitoringType: 'DataQuality',
        scheduleConfig: { scheduleExpression: HOURLY },
      },
    });
    this.schedule.node.addDependency(this.jobDefinition);

    const metrics: Record<string, cloudwatch.Metric> = {};
    props.features.forEach((feature) => {
      metrics[feature] = new cloudwatch.Metric({
        namespace: DATA_METRICS_NAMESPACE,
        metricName: `feature_baseline_drift_${feature}`,
        dimensionsMap: { Endpoint: ep.endpointName, MonitoringSchedule: this.scheduleName },
        statistic: 'Maximum',
        period: Duration.hours(1),
      });
    });
    this.driftMetrics = metrics;
    this.maxDrift = new cloudwatch.MathExpression({
      expression: `MAX([${props.features.map((_, i) => `f${i}`).join(', ')}])`,
      usingMetrics: Object.fromEntries(props.features.map((f, i) => [`f${i}`, metrics[f]])),
      period: Duration.hours(1),
      label: 'Largest feature baseline drift',
    });
    this.driftAlarm = this.maxDrift.createAlarm(this, 'DriftAlarm', {
      alarmDescription: `Data drift on endpoint ${ep.endpointName}: a monitored feature's distance from the training baseline exceeds ${props.threshold}. Starts the retraining workflow. \r\nRunbook: ${runbookLink('drift')}`,
      threshold: props.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No capture in an hour (no traffic, e.g. the warm DR region) is not drift.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.driftAlarm.addAlarmAction(
      new cwActions.SsmAction(cwActions.OpsItemSeverity.MEDIUM, cwActions.OpsItemCategory.PERFORMANCE),
    );
  }
}
