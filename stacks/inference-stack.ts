import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { endpointName, regionalImageUri, type ServedModel } from '../lib/config/inference';
import { ClinicalModelCard } from '../lib/constructs/clinical-model-card';
import { DriftMonitor } from '../lib/constructs/drift-monitor';
import { InferenceEndpoint, PRIMARY_VARIANT, SHADOW_VARIANT } from '../lib/constructs/inference-endpoint';
import { RetrainingWorkflow } from '../lib/constructs/retraining-workflow';
import { dataBucketName } from '../lib/data-names';
import { parameterName } from '../lib/naming';
import type { FoundationStack } from './foundation-stack';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

export interface InferenceStackProps extends PlatformStackProps {
  /** This region's foundation: the VPC and the data-domain keys. */
  readonly foundation: FoundationStack;
  /**
   * Names of this region's model-artefact and data-capture buckets (the data tier's stores).
   * @default - the names lib/data-names.ts gives them, computed from the profile
   */
  readonly bucketNames?: { readonly modelArtifacts: string; readonly dataCapture: string };
}

/** Everything one served model has in a region. */
export interface ServedModelResources {
  readonly model: ServedModel;
  readonly endpoint: InferenceEndpoint;
  readonly driftMonitor: DriftMonitor;
  readonly card: ClinicalModelCard;
  /** The card of the shadow candidate, when there is one. */
  readonly shadowCard?: ClinicalModelCard;
  /** The retraining workflow: primary region only. */
  readonly retraining?: RetrainingWorkflow;
  /** `/<prefix>/inference/<model>/serving`: the serving contract the API handlers read (JSON). */
  readonly servingParameter: ssm.StringParameter;
  /** What the DR runbook changes to take the primary's load: the scalable target and its peak minimum. */
  readonly drScaleUp: {
    readonly scalableResourceId: string;
    readonly minCapacity: number;
    readonly maxCapacity: number;
  };
}

/**
 * The inference tier of a region (stateless: the stores it reads and writes belong to the data tier):
 * for each served model, a private autoscaled endpoint with deployment guardrails, hourly drift monitoring,
 * a KMS-encrypted model card and the serving contract in SSM; in the primary region, the retraining workflow.
 *
 * In production the DR region's endpoints are the same, kept warm at the capacity plan's minimum; the DR
 * runbook raises their minimum to the planned peak before traffic moves (see README, "Serving").
 */
export class InferenceStack extends PlatformStack {
  readonly models: Readonly<Record<string, ServedModelResources>>;
  /** `/aws/sagemaker/ProcessingJobs`, KMS-encrypted: Model Monitor runs are processing jobs. */
  readonly processingLogGroup: logs.LogGroup;
  /** `/aws/sagemaker/TrainingJobs`, KMS-encrypted (primary region, where retraining runs). */
  readonly trainingLogGroup?: logs.LogGroup;
  readonly modelArtifactsBucket: s3.IBucket;
  readonly dataCaptureBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: InferenceStackProps) {
    super(scope, id, props);
    const { profile } = props.config;
    const region = props.region;

    const keys = {
      model: props.foundation.importKey(this, 'model-artifacts'),
      phi: props.foundation.importKey(this, 'phi-data'),
      audit: props.foundation.importKey(this, 'audit-logs'),
    };
    const names = props.bucketNames ?? {
      modelArtifacts: dataBucketName(profile, 'model-artifacts', region),
      dataCapture: dataBucketName(profile, 'data-capture', region),
    };
    this.modelArtifactsBucket = s3.Bucket.fromBucketAttributes(this, 'ModelArtifactsBucket', {
      bucketName: names.modelArtifacts,
      encryptionKey: keys.model,
    });
    this.dataCaptureBucket = s3.Bucket.fromBucketAttributes(this, 'DataCaptureBucket', {
      bucketName: names.dataCapture,
      encryptionKey: keys.phi,
    });

    // SageMaker creates these account-wide groups unencrypted on first use: own them, encrypted and retained.
    const jobLogGroup = (id: string, name: string) =>
      new logs.LogGroup(this, id, {
        logGroupName: name,
        encryptionKey: keys.audit,
        retention: profile.logRetention.auditDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.processingLogGroup = jobLogGroup('ProcessingJobLogs', '/aws/sagemaker/ProcessingJobs');
    if (this.isPrimary) this.trainingLogGroup = jobLogGroup('TrainingJobLogs', '/aws/sagemaker/TrainingJobs');

    const models: Record<string, ServedModelResources> = {};
    for (const model of profile.inference.models) {
      models[model.name] = this.serve(model, props, keys);
    }
    this.models = models;
  }

  private serve(
    model: ServedModel,
    props: InferenceStackProps,
    keys: { model: kms.IKey; phi: kms.IKey; audit: kms.IKey },
  ): ServedModelResources {
    const { profile, capacity } = props.config;
    const inf = profile.inference;
    const region = props.region;
    const name = endpointName(profile.namePrefix, model.name);
    const id = pascal(model.name);
    const image = regionalImageUri(model.imageUri, region);

    const endpoint = new InferenceEndpoint(this, `${id}Endpoint`, {
      endpointName: name,
      modelName: model.name,
      serving: { version: model.version, imageUri: image, artifactKey: model.artifactKey },
      shadow: model.shadow
        ? {
            version: model.shadow.version,
            imageUri: regionalImageUri(model.shadow.imageUri, region),
            artifactKey: model.shadow.artifactKey,
            trafficPercent: model.shadow.trafficPercent,
          }
        : undefined,
      modelArtifactsBucket: this.modelArtifactsBucket,
      modelArtifactsKey: keys.model,
      dataCapture: {
        bucket: this.dataCaptureBucket,
        key: keys.phi,
        samplingPercent: model.dataCaptureSamplingPercent,
      },
      vpc: props.foundation.vpc,
      instanceType: profile.limits.sagemaker.instanceType,
      minInstances: capacity.sagemaker.minInstances,
      maxInstances: capacity.sagemaker.maxInstances,
      targetInvocationsPerInstance: capacity.sagemaker.targetInvocationsPerInstance,
      scaleOutCooldown: Duration.seconds(inf.scaling.scaleOutCooldownSeconds),
      scaleInCooldown: Duration.seconds(inf.scaling.scaleInCooldownSeconds),
      deployment: {
        trafficShifting: inf.deployment.trafficShifting,
        terminationWait: Duration.seconds(inf.deployment.terminationWaitSeconds),
        maximumExecutionTimeout: Duration.seconds(inf.deployment.maximumExecutionTimeoutSeconds),
      },
      alarmThresholds: {
        modelLatencyP99: Duration.millis(inf.alarms.modelLatencyP99Ms),
        errorRatePercent: inf.alarms.errorRatePercent,
      },
      logKey: keys.audit,
      // Encrypted with the audit key, so kept as long as audit records (ClinicalAI.HIPAA-AuditLogRetention).
      logRetentionDays: profile.logRetention.auditDays,
    });

    const driftMonitor = new DriftMonitor(this, `${id}DriftMonitor`, {
      endpoint,
      baselineBucket: this.modelArtifactsBucket,
      baselineKeyPrefix: model.baselineKeyPrefix,
      modelArtifactsKey: keys.model,
      features: model.drift.features,
      threshold: model.drift.threshold,
      vpc: props.foundation.vpc,
      instanceType: inf.monitoring.instanceType,
      volumeSizeGb: inf.monitoring.volumeSizeGb,
      maxRuntime: Duration.seconds(inf.monitoring.maxRuntimeSeconds),
      processingLogGroup: this.processingLogGroup,
    });

    const artifactUri = (key: string) => `s3://${this.modelArtifactsBucket.bucketName}/${key}`;
    const card = new ClinicalModelCard(this, `${id}ModelCard`, {
      card: model.card,
      modelCardName: name,
      key: keys.model,
      deployment: { imageUri: image, artifactUri: artifactUri(model.artifactKey), endpointName: name },
    });
    const shadowCard = model.shadow
      ? new ClinicalModelCard(this, `${id}ShadowModelCard`, {
          card: model.shadow.card,
          modelCardName: `${name}-${SHADOW_VARIANT}`,
          key: keys.model,
          deployment: {
            imageUri: regionalImageUri(model.shadow.imageUri, region),
            artifactUri: artifactUri(model.shadow.artifactKey),
            endpointName: name,
          },
        })
      : undefined;

    const drScaleUp = {
      scalableResourceId: endpoint.scalableResourceId,
      minCapacity: capacity.sagemaker.requiredInstances,
      maxCapacity: capacity.sagemaker.maxInstances,
    };
    // The contract the API handlers read: what to call, how far to trust it, and what to report with each
    // prediction (model name, version, variant and the card that describes it). No PHI.
    const contract = {
      model: model.name,
      endpointName: name,
      region,
      primaryVariant: PRIMARY_VARIANT,
      ...(model.shadow ? { shadowVariant: SHADOW_VARIANT } : {}),
      confidenceThreshold: model.confidenceThreshold,
      // The card is identified by name and the model version it describes (one card file per version).
      card: { name: card.modelCardName, describes: model.version, status: model.card.approval.status },
      scaling: { ...drScaleUp, warmMinCapacity: capacity.sagemaker.minInstances },
    };
    const servingParameterName = parameterName(profile, 'inference', model.name, 'serving');
    const servingParameter = new ssm.StringParameter(this, `${id}ServingContract`, {
      parameterName: servingParameterName,
      description: `Serving contract of ${model.name}: endpoint, confidence threshold, version and model card`,
      stringValue: Stack.of(this).toJsonString({
        ...contract,
        version: model.version,
        modelPackageArn: null,
        deployedBy: 'cloudformation',
      }),
    });

    let retraining: RetrainingWorkflow | undefined;
    if (this.isPrimary) {
      retraining = new RetrainingWorkflow(this, `${id}Retraining`, {
        endpoint,
        baseVersion: model.version,
        servingImageUri: image,
        training: {
          imageUri: regionalImageUri(inf.retraining.trainingImageUri, region),
          instanceType: inf.retraining.instanceType,
          volumeSizeGb: inf.retraining.volumeSizeGb,
          maxRuntime: Duration.hours(inf.retraining.maxRuntimeHours),
          hyperparameters: inf.retraining.hyperparameters,
          dataBucket: this.dataCaptureBucket,
          dataKey: keys.phi,
          dataKeyPrefix: `training-data/${model.name}/`,
          logGroup: this.trainingLogGroup!,
        },
        modelArtifactsBucket: this.modelArtifactsBucket,
        modelArtifactsKey: keys.model,
        vpc: props.foundation.vpc,
        driftAlarm: driftMonitor.driftAlarm,
        approval: {
          pollInterval: Duration.minutes(inf.retraining.approvalPollMinutes),
          timeout: Duration.days(inf.retraining.approvalTimeoutDays),
          approverEmails: inf.retraining.approverEmails,
        },
        notificationKey: keys.audit,
        logKey: keys.audit,
        logRetentionDays: profile.logRetention.auditDays,
        servingParameter: { name: servingParameterName, staticFields: contract },
      });
    }

    return { model, endpoint, driftMonitor, card, shadowCard, retraining, servingParameter, drScaleUp };
  }
}

const pascal = (s: string): string => s.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
