import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { DataDomainKey } from './data-domain-key';
import { SageMakerExecutionRole } from './sagemaker-execution-role';
import { runbookLink } from '../runbooks';

/** Traffic shifting of a blue/green endpoint update. */
export type TrafficShifting =
  | { readonly type: 'canary'; readonly canaryPercent: number; readonly waitIntervalSeconds: number }
  | { readonly type: 'linear'; readonly stepPercent: number; readonly waitIntervalSeconds: number };

/** A model version as the endpoint runs it. */
export interface EndpointModelVersion {
  /** Semantic version; passed to the container as MODEL_VERSION so responses can name it. */
  readonly version: string;
  /** Serving image in this endpoint's region. */
  readonly imageUri: string;
  /** Key of model.tar.gz in the model-artefact bucket. */
  readonly artifactKey: string;
}

export interface InferenceEndpointProps {
  /** Physical endpoint name, the same in every region (API handlers and runbooks address it by name). */
  readonly endpointName: string;
  /** Logical model name, passed to the container as MODEL_NAME. */
  readonly modelName: string;
  /** The version served to clinicians (production variant `primary`). */
  readonly serving: EndpointModelVersion;
  /**
   * A candidate that receives a copy of live traffic (shadow variant `shadow`); its answers are never returned.
   * @default - no shadow variant
   */
  readonly shadow?: EndpointModelVersion & {
    /** Percentage of production requests copied to the shadow. */
    readonly trafficPercent: number;
  };
  /** The KMS-encrypted model-artefact bucket. */
  readonly modelArtifactsBucket: s3.IBucket;
  /** The region's model-artifacts CMK: decrypts the artefact and encrypts the endpoint's ML storage volumes. */
  readonly modelArtifactsKey: kms.IKey;
  /** Where requests and responses are captured (PHI: a KMS-encrypted bucket). */
  readonly dataCapture: {
    readonly bucket: s3.IBucket;
    /** The CMK the captured objects are encrypted with (the region's PHI key). */
    readonly key: kms.IKey;
    /** Percentage of requests captured, 1-100. */
    readonly samplingPercent: number;
    /**
     * Key prefix in the bucket; SageMaker writes `<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl`.
     * @default 'data-capture'
     */
    readonly prefix?: string;
  };
  /** The VPC whose isolated subnets the model runs in. */
  readonly vpc: ec2.IVpc;
  /** Serving instance type. */
  readonly instanceType: string;
  /** Autoscaling bounds from the capacity plan; the endpoint starts at the minimum. */
  readonly minInstances: number;
  readonly maxInstances: number;
  /** Target value of SageMakerVariantInvocationsPerInstance (invocations per instance per minute). */
  readonly targetInvocationsPerInstance: number;
  /** Wait after a scale-out before the next one: short, so load is met fast. */
  readonly scaleOutCooldown: Duration;
  /** Wait after a scale-in before the next one: long, so capacity is not given up on a dip. */
  readonly scaleInCooldown: Duration;
  /** Blue/green guardrails of every update. */
  readonly deployment: {
    readonly trafficShifting: TrafficShifting;
    readonly terminationWait: Duration;
    readonly maximumExecutionTimeout: Duration;
  };
  /** Thresholds of the rollback alarms. */
  readonly alarmThresholds: {
    /** p99 ModelLatency above which the new fleet is rolled back. */
    readonly modelLatencyP99: Duration;
    /** Percentage of invocations answered 5xx above which the new fleet is rolled back. */
    readonly errorRatePercent: number;
  };
  /** CMK of the endpoint's CloudWatch log group (a key CloudWatch Logs may use: the audit-logs key). */
  readonly logKey: kms.IKey;
  /** Days the endpoint's container logs are kept. */
  readonly logRetentionDays: number;
}

/** The variant names: stable across versions, as blue/green updates require. */
export const PRIMARY_VARIANT = 'primary';
export const SHADOW_VARIANT = 'shadow';

/**
 * Variant properties an update takes from the new config rather than keeping from the running endpoint:
 * the instance count autoscaling chose is kept, weights and capture settings follow the config.
 */
const NOT_RETAINED = ['DesiredWeight', 'DataCaptureConfig'] as const;

/** One CloudWatch datapoint a minute: the guardrails react within the baking period. */
const ALARM_PERIOD = Duration.minutes(1);

/**
 * A private, autoscaled SageMaker real-time endpoint with deployment guardrails, built from L1 resources
 * (the aws-sagemaker-alpha module on the registry is stale).
 *
 * - The model runs in the VPC's isolated subnets with network isolation, under a role that can read only its
 *   own artefacts, write only its own capture prefix and use only the named keys (45 CFR 164.312(a)(1),
 *   164.312(e)(1)).
 * - The endpoint config encrypts ML storage with the region's model-artifacts CMK and captures requests and
 *   responses into the PHI bucket under the PHI CMK (164.312(a)(2)(iv), 164.312(b)).
 * - Every update is blue/green with canary or linear traffic shifting and rolls back automatically when the
 *   error-rate or latency alarm trips; the production variant scales on invocations per instance.
 */
export class InferenceEndpoint extends Construct {
  readonly endpointName: string;
  readonly role: SageMakerExecutionRole;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  readonly model: sagemaker.CfnModel;
  readonly shadowModel?: sagemaker.CfnModel;
  readonly endpointConfig: sagemaker.CfnEndpointConfig;
  readonly endpoint: sagemaker.CfnEndpoint;
  readonly scalableTarget: appscaling.CfnScalableTarget;
  readonly scalingPolicy: appscaling.CfnScalingPolicy;
  /** `endpoint/<name>/variant/primary`: what the DR runbook raises the minimum of. */
  readonly scalableResourceId: string;
  /** 5xx responses as a share of invocations, in percent: a rollback alarm. */
  readonly errorRateAlarm: cloudwatch.Alarm;
  /** p99 ModelLatency: a rollback alarm. */
  readonly latencyAlarm: cloudwatch.Alarm;
  /** The metrics behind the alarms, for dashboards. */
  readonly metrics: {
    readonly invocations: cloudwatch.Metric;
    readonly invocationsPerInstance: cloudwatch.Metric;
    readonly modelErrors: cloudwatch.Metric;
    readonly modelLatencyP99: cloudwatch.Metric;
    readonly errorRatePercent: cloudwatch.MathExpression;
  };
  /** `s3://<bucket>/<prefix>`: the endpoint writes under `<prefix>/<endpoint name>/`. */
  readonly captureDestinationUri: string;
  /** `<prefix>/<endpoint name>/`: the objects Model Monitor reads. */
  readonly captureKeyPrefix: string;
  /** The capture bucket and its CMK (PHI). */
  readonly captureBucket: s3.IBucket;
  readonly captureKey: kms.IKey;
  /** The logical model name. */
  readonly modelName: string;
  /** Serving instance type. */
  readonly instanceType: string;
  /** The isolated subnets the model (and its monitoring and training jobs) run in. */
  readonly isolatedSubnetIds: string[];

  private readonly props: InferenceEndpointProps;

  constructor(scope: Construct, id: string, props: InferenceEndpointProps) {
    super(scope, id);
    validate(this, props);
    this.props = props;
    this.endpointName = props.endpointName;
    this.modelName = props.modelName;
    this.instanceType = props.instanceType;
    this.captureBucket = props.dataCapture.bucket;
    this.captureKey = props.dataCapture.key;
    const capturePrefix = (props.dataCapture.prefix ?? 'data-capture').replace(/\/+$/, '');
    this.captureDestinationUri = `s3://${props.dataCapture.bucket.bucketName}/${capturePrefix}`;
    this.captureKeyPrefix = `${capturePrefix}/${props.endpointName}/`;
    this.isolatedSubnetIds = props.vpc.selectSubnets({
      subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
    }).subnetIds;

    this.role = new SageMakerExecutionRole(this, 'ExecutionRole', {
      description: `Runs the ${props.modelName} model of endpoint ${props.endpointName}`,
    });
    this.grantModelAccess();

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Model ${props.endpointName}: no inbound; HTTPS out to the VPC endpoints only`,
      allowAllOutbound: false,
    });
    // The isolated subnets route only to VPC endpoints (S3 gateway, interface endpoints), so HTTPS "anywhere"
    // reaches nothing else; SageMaker fetches the artefact through the S3 gateway endpoint.
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to VPC endpoints (S3 gateway)',
    );

    // Container logs: created here so that they are KMS-encrypted and retained, not auto-created in the clear.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/sagemaker/Endpoints/${props.endpointName}`,
      encryptionKey: props.logKey,
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role.allowLogWrite(this.logGroup);

    this.model = this.createModel('Model', props.serving, PRIMARY_VARIANT);
    if (props.shadow) this.shadowModel = this.createModel('ShadowModel', props.shadow, SHADOW_VARIANT);

    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', this.endpointConfigProps());

    const dims = { EndpointName: props.endpointName, VariantName: PRIMARY_VARIANT };
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SageMaker',
        metricName,
        dimensionsMap: dims,
        statistic,
        period: ALARM_PERIOD,
      });
    const invocations = metric('Invocations', 'Sum');
    const modelErrors = metric('Invocation5XXErrors', 'Sum');
    const errorRatePercent = new cloudwatch.MathExpression({
      expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
      usingMetrics: { invocations, errors: modelErrors },
      period: ALARM_PERIOD,
      label: 'Model error rate (%)',
    });
    const modelLatencyP99 = metric('ModelLatency', 'p99');
    this.metrics = {
      invocations,
      invocationsPerInstance: metric('InvocationsPerInstance', 'Sum'),
      modelErrors,
      modelLatencyP99,
      errorRatePercent,
    };
    // Both alarms watch the endpoint as a whole (old and new fleets): any trip during a baking period rolls
    // the update back, and outside deployments they page through an OpsCenter item (164.308(a)(6)).
    this.errorRateAlarm = errorRatePercent.createAlarm(this, 'ModelErrorRateAlarm', {
      alarmDescription: `Model ${props.endpointName}: more than ${props.alarmThresholds.errorRatePercent}% of invocations answered 5xx. Rolls back a blue/green deployment. \r\nRunbook: ${runbookLink('modelEndpoint')}`,
      threshold: props.alarmThresholds.errorRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.latencyAlarm = modelLatencyP99.createAlarm(this, 'ModelLatencyAlarm', {
      alarmDescription: `Model ${props.endpointName}: p99 model latency above ${props.alarmThresholds.modelLatencyP99.toMilliseconds()} ms. Rolls back a blue/green deployment. \r\nRunbook: ${runbookLink('modelEndpoint')}`,
      // ModelLatency is reported in microseconds.
      threshold: props.alarmThresholds.modelLatencyP99.toMilliseconds() * 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.errorRateAlarm.addAlarmAction(
      new cwActions.SsmAction(cwActions.OpsItemSeverity.HIGH, cwActions.OpsItemCategory.AVAILABILITY),
    );
    this.latencyAlarm.addAlarmAction(
      new cwActions.SsmAction(cwActions.OpsItemSeverity.HIGH, cwActions.OpsItemCategory.PERFORMANCE),
    );
    // SageMaker reads the rollback alarms with the execution role during a deployment.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: [this.errorRateAlarm.alarmArn, this.latencyAlarm.alarmArn],
      }),
    );

    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName: props.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
      deploymentConfig: this.deploymentConfig(),
      // Keep the instance count that autoscaling chose; take weights and capture settings from the new config.
      retainAllVariantProperties: true,
      excludeRetainedVariantProperties: NOT_RETAINED.map((variantPropertyType) => ({ variantPropertyType })),
    });
    this.endpoint.node.addDependency(this.role);

    this.scalableResourceId = `endpoint/${props.endpointName}/variant/${PRIMARY_VARIANT}`;
    // No RoleARN: Application Auto Scaling uses its SageMaker service-linked role.
    this.scalableTarget = new appscaling.CfnScalableTarget(this, 'ScalableTarget', {
      serviceNamespace: 'sagemaker',
      resourceId: this.scalableResourceId,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: props.minInstances,
      maxCapacity: props.maxInstances,
    });
    // The target names the endpoint by its literal name: register it only once the endpoint exists.
    this.scalableTarget.node.addDependency(this.endpoint);
    // Application Auto Scaling targets take no tags in the CloudFormation schema cfn-lint validates against.
    this.scalableTarget.addPropertyDeletionOverride('Tags');
    this.scalingPolicy = new appscaling.CfnScalingPolicy(this, 'InvocationsPerInstanceTracking', {
      policyName: `${props.endpointName}-invocations-per-instance`,
      policyType: 'TargetTrackingScaling',
      scalingTargetId: this.scalableTarget.ref,
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        targetValue: props.targetInvocationsPerInstance,
        scaleOutCooldown: props.scaleOutCooldown.toSeconds(),
        scaleInCooldown: props.scaleInCooldown.toSeconds(),
        disableScaleIn: false,
      },
    });
  }

  /** The endpoint's ARN (its name is fixed, so the ARN is known without a reference). */
  get endpointArn(): string {
    return Stack.of(this).formatArn({
      service: 'sagemaker',
      resource: 'endpoint',
      resourceName: this.endpointName,
    });
  }

  /** Lets a caller (the predictions API) invoke this endpoint, and nothing else. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:InvokeEndpoint'],
      resourceArns: [this.endpointArn],
    });
  }

  /**
   * The blue/green deployment configuration of every update: the CloudFormation path uses it on the
   * endpoint, and the retraining workflow passes the same object to UpdateEndpoint.
   */
  deploymentConfig(): sagemaker.CfnEndpoint.DeploymentConfigProperty {
    const d = this.props.deployment;
    const t = d.trafficShifting;
    return {
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration:
          t.type === 'canary'
            ? {
                type: 'CANARY',
                canarySize: { type: 'CAPACITY_PERCENT', value: t.canaryPercent },
                waitIntervalInSeconds: t.waitIntervalSeconds,
              }
            : {
                type: 'LINEAR',
                linearStepSize: { type: 'CAPACITY_PERCENT', value: t.stepPercent },
                waitIntervalInSeconds: t.waitIntervalSeconds,
              },
        terminationWaitInSeconds: d.terminationWait.toSeconds(),
        maximumExecutionTimeoutInSeconds: d.maximumExecutionTimeout.toSeconds(),
      },
      autoRollbackConfiguration: {
        alarms: [{ alarmName: this.errorRateAlarm.alarmName }, { alarmName: this.latencyAlarm.alarmName }],
      },
    };
  }

  /**
   * The endpoint-config properties with the primary variant running `primaryModelName` (a model of this
   * construct, or one the retraining workflow creates from an approved package): same KMS key, data capture,
   * instance type and shadow variant, so that a workflow deployment cannot weaken them.
   */
  endpointConfigProps(primaryModelName: string = this.model.attrModelName): sagemaker.CfnEndpointConfigProps {
    const p = this.props;
    return {
      kmsKeyId: p.modelArtifactsKey.keyArn,
      productionVariants: [
        {
          variantName: PRIMARY_VARIANT,
          modelName: primaryModelName,
          instanceType: p.instanceType,
          initialInstanceCount: p.minInstances,
          initialVariantWeight: 1,
        },
      ],
      ...(p.shadow && this.shadowModel
        ? {
            shadowProductionVariants: [
              {
                variantName: SHADOW_VARIANT,
                modelName: this.shadowModel.attrModelName,
                instanceType: p.instanceType,
                initialInstanceCount: p.minInstances,
                // Shadow weight relative to the production weight 1 = share of requests copied to it.
                initialVariantWeight: p.shadow.trafficPercent / 100,
              },
            ],
          }
        : {}),
      dataCaptureConfig: {
        enableCapture: true,
        initialSamplingPercentage: p.dataCapture.samplingPercent,
        destinationS3Uri: this.captureDestinationUri,
        kmsKeyId: p.dataCapture.key.keyArn,
        captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
        // Store JSON as text (not base64) so that Model Monitor can parse it.
        captureContentTypeHeader: { jsonContentTypes: ['application/json'] },
      },
    };
  }

  /**
   * The UpdateEndpoint request (SageMaker API shape) of a guarded update to `endpointConfigName`: the same
   * blue/green policy, rollback alarms and retained properties as a CloudFormation update.
   */
  updateEndpointRequest(endpointConfigName: string): Record<string, unknown> {
    return {
      EndpointName: this.endpointName,
      EndpointConfigName: endpointConfigName,
      DeploymentConfig: toApiShape(this.deploymentConfig()),
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: NOT_RETAINED.map((VariantPropertyType) => ({ VariantPropertyType })),
    };
  }

  /** The CreateEndpointConfig request (SageMaker API shape) with `primaryModelName` as the primary variant. */
  createEndpointConfigRequest(endpointConfigName: string, primaryModelName: string): Record<string, unknown> {
    return {
      EndpointConfigName: endpointConfigName,
      ...(toApiShape(this.endpointConfigProps(primaryModelName)) as Record<string, unknown>),
    };
  }

  /**
   * The CreateModel request (SageMaker API shape) of a model from an approved model package, in the VPC with
   * network isolation under this endpoint's execution role.
   */
  createModelRequest(modelName: string, modelPackageArn: string, version: string): Record<string, unknown> {
    return {
      ModelName: modelName,
      ExecutionRoleArn: this.role.roleArn,
      EnableNetworkIsolation: true,
      VpcConfig: { Subnets: this.isolatedSubnetIds, SecurityGroupIds: [this.securityGroup.securityGroupId] },
      PrimaryContainer: {
        ModelPackageName: modelPackageArn,
        Environment: { MODEL_NAME: this.modelName, MODEL_VERSION: version, MODEL_VARIANT: PRIMARY_VARIANT },
      },
    };
  }

  /** The CreateModel properties of a model version (used for the served and shadow models and by the workflow). */
  modelProps(
    container: sagemaker.CfnModel.ContainerDefinitionProperty,
    env: Record<string, string>,
  ): sagemaker.CfnModelProps {
    return {
      executionRoleArn: this.role.roleArn,
      enableNetworkIsolation: true,
      vpcConfig: { subnets: this.isolatedSubnetIds, securityGroupIds: [this.securityGroup.securityGroupId] },
      primaryContainer: {
        ...container,
        environment: { MODEL_NAME: this.props.modelName, ...env },
      },
    };
  }

  private createModel(id: string, v: EndpointModelVersion, variant: string): sagemaker.CfnModel {
    const model = new sagemaker.CfnModel(
      this,
      id,
      this.modelProps(
        {
          image: v.imageUri,
          modelDataUrl: `s3://${this.props.modelArtifactsBucket.bucketName}/${v.artifactKey}`,
        },
        { MODEL_VERSION: v.version, MODEL_VARIANT: variant },
      ),
    );
    // SageMaker checks the role's access to the artefact and image when the model is created.
    model.node.addDependency(this.role);
    return model;
  }

  private grantModelAccess(): void {
    const p = this.props;
    // Artefacts: this model's prefix only (served, shadow and workflow-trained versions live under it).
    const artefacts = p.modelArtifactsBucket.arnForObjects(`models/${p.modelName}/*`);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [artefacts] }),
    );
    // Capture: write-only, into this endpoint's prefix; the role never reads captured PHI back.
    const capture = p.dataCapture.bucket.arnForObjects(`${this.captureKeyPrefix}*`);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [capture] }),
    );
    this.role.acknowledgeGeneratedObjectKeys(
      artefacts,
      `Read-only on this model's own prefix of the model-artefact bucket (no PHI): served and shadow versions, and candidates whose artefact keys the retraining workflow's training jobs generate.`,
    );
    this.role.acknowledgeGeneratedObjectKeys(
      capture,
      "Write-only on this endpoint's data-capture prefix: SageMaker names capture files by variant and hour at run time, so no fixed key exists; the role cannot read captured PHI.",
    );
    DataDomainKey.allowDirectUse(this.role, p.modelArtifactsKey, 'model-artifacts', [
      'kms:Decrypt',
      'kms:DescribeKey',
    ]);
    // SageMaker calls kms:Encrypt/GenerateDataKey with the execution role for the capture files.
    DataDomainKey.allowDirectUse(this.role, p.dataCapture.key, 'phi-data', [
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ]);
    this.role.allowImagePull(p.serving.imageUri, ...(p.shadow ? [p.shadow.imageUri] : []));
  }
}

/**
 * L1 property objects (camelCase) to the SageMaker API's PascalCase. Only for structures without free-form
 * maps (endpoint config, deployment config): their property names are the API's names.
 */
export function toApiShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toApiShape);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k.charAt(0).toUpperCase() + k.slice(1),
      toApiShape(v),
    ]),
  );
}

function validate(scope: Construct, p: InferenceEndpointProps): void {
  const problems: string[] = [];
  if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(p.endpointName))
    problems.push('endpointName must be a SageMaker name of at most 63 characters');
  if (p.minInstances < 1) problems.push('minInstances must be at least 1');
  if (p.maxInstances < p.minInstances) problems.push('maxInstances must be at least minInstances');
  if (p.targetInvocationsPerInstance <= 0) problems.push('targetInvocationsPerInstance must be positive');
  if (p.dataCapture.samplingPercent < 1 || p.dataCapture.samplingPercent > 100)
    problems.push('dataCapture.samplingPercent must be 1-100');
  if (p.scaleInCooldown.toSeconds() < p.scaleOutCooldown.toSeconds())
    problems.push('scaleInCooldown must be at least scaleOutCooldown');
  if (problems.length > 0) throw new Error(`${scope.node.path}: ${problems.join('; ')}`);
}
