import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { CONSTRUCT_LIBRARY_OWNER } from '../../compliance-rules/acknowledge';
import { acknowledgeWildcardResource } from '../../compliance-rules/acknowledge-wildcard';
import { DataDomainKey } from './data-domain-key';
import type { InferenceEndpoint } from './inference-endpoint';
import { INFERENCE_ACKNOWLEDGEMENTS_EXPIRE, SageMakerExecutionRole } from './sagemaker-execution-role';
import { StateMachineRole } from './state-machine-role';
import { runbookLink } from '../runbooks';

export interface RetrainingWorkflowProps {
  /** The endpoint a candidate is deployed to once approved (through its guarded blue/green update). */
  readonly endpoint: InferenceEndpoint;
  /** The served version the candidate is retrained from; a candidate reports `<base>+pkg.<package version>`. */
  readonly baseVersion: string;
  /** Serving image of the candidate, in this region. */
  readonly servingImageUri: string;
  readonly training: {
    /** Training image, in this region. */
    readonly imageUri: string;
    readonly instanceType: string;
    readonly volumeSizeGb: number;
    readonly maxRuntime: Duration;
    readonly hyperparameters: Readonly<Record<string, string>>;
    /** Bucket of the labelled training data (PHI) and its CMK. */
    readonly dataBucket: s3.IBucket;
    readonly dataKey: kms.IKey;
    /** Prefix (ending in `/`) of this model's training data. */
    readonly dataKeyPrefix: string;
    /** The KMS-encrypted `/aws/sagemaker/TrainingJobs` log group of the region. */
    readonly logGroup: logs.ILogGroup;
  };
  /** The model-artefact bucket: candidates are written under `models/<model>/candidates/`. */
  readonly modelArtifactsBucket: s3.IBucket;
  /** The model-artifacts CMK: candidate artefacts, training volumes and endpoint configs. */
  readonly modelArtifactsKey: kms.IKey;
  /** The VPC whose isolated subnets training runs in. */
  readonly vpc: ec2.IVpc;
  /** The drift alarm: its transition to ALARM starts a run. */
  readonly driftAlarm: cloudwatch.IAlarm;
  readonly approval: {
    /** How often the workflow reads the model package's approval status. */
    readonly pollInterval: Duration;
    /** How long a run may wait for a decision; the whole run times out after training plus this. */
    readonly timeout: Duration;
    /** Who is asked to review the candidate. */
    readonly approverEmails: readonly string[];
  };
  /** CMK of the approval topic (a key SNS may use: the audit-logs key). */
  readonly notificationKey: kms.IKey;
  /** CMK of the workflow's execution log group (the audit-logs key). */
  readonly logKey: kms.IKey;
  /** Days the execution history is kept (audit retention, at least 2,192). */
  readonly logRetentionDays: number;
  /** The SSM parameter holding the serving contract, rewritten after a successful deployment. */
  readonly servingParameter: {
    readonly name: string;
    /** The contract's fields that do not change with the deployed version. */
    readonly staticFields: Readonly<Record<string, unknown>>;
  };
}

/** Step Functions reports a finished SageMaker training job through this managed rule. */
const TRAINING_EVENTS_RULE = 'StepFunctionsGetEventsForSageMakerTrainingJobsRule';

/**
 * The retraining workflow of one model (45 CFR 164.308(a)(1)(ii)(B) risk management, 164.312(c)(1) integrity):
 * a Step Functions state machine, started by the drift alarm through EventBridge or on demand, that
 *
 * 1. trains a candidate in the VPC with network isolation (SageMaker training job, run to completion);
 * 2. registers it in the model's model package group as `PendingManualApproval`;
 * 3. asks the approvers (SNS) and waits until a clinician or data scientist approves or rejects the package
 *    in the model registry; the decision, its author and description are recorded on the package and in
 *    CloudTrail;
 * 4. deploys the approved package through the endpoint's guarded blue/green update and waits for the result.
 *
 * A failed training, a rejection, a timeout or a rolled-back deployment ends the run in a failed state and
 * leaves production on the model it was serving. Execution history goes to a KMS-encrypted log group kept for
 * the audit retention period; X-Ray traces every run. Only one run proceeds at a time.
 */
export class RetrainingWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly stateMachineName: string;
  readonly modelPackageGroup: sagemaker.CfnModelPackageGroup;
  readonly modelPackageGroupName: string;
  readonly trainingRole: SageMakerExecutionRole;
  readonly trainingSecurityGroup: ec2.SecurityGroup;
  readonly approvalTopic: sns.Topic;
  readonly logGroup: logs.LogGroup;
  /** EventBridge rule: drift alarm → start a run. */
  readonly driftRule: events.Rule;
  /** A run that failed, timed out or was aborted (a rejection included): worth a look. */
  readonly failedRunAlarm: cloudwatch.Alarm;
  /** `models/<model>/candidates/`: where training writes candidate artefacts. */
  readonly candidatePrefix: string;

  constructor(scope: Construct, id: string, props: RetrainingWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const ep = props.endpoint;
    if (!props.training.dataKeyPrefix.endsWith('/'))
      throw new Error(`${this.node.path}: dataKeyPrefix must end with /`);
    if (props.approval.approverEmails.length === 0)
      throw new Error(`${this.node.path}: name at least one approver`);

    // Every resource a run creates is named `<endpoint>-rt-<run id>`, so the role can be scoped to that prefix.
    const runPrefix = `${ep.endpointName}-rt-`;
    const sagemakerArn = (resource: string, name: string) =>
      stack.formatArn({ service: 'sagemaker', resource, resourceName: name });
    this.candidatePrefix = `models/${ep.modelName}/candidates/`;
    this.stateMachineName = `${ep.endpointName}-retraining`;
    this.modelPackageGroupName = ep.endpointName;

    this.modelPackageGroup = new sagemaker.CfnModelPackageGroup(this, 'ModelPackageGroup', {
      modelPackageGroupName: this.modelPackageGroupName,
      modelPackageGroupDescription: `Candidates of ${ep.modelName}; a version ships only after manual approval`,
    });
    // The registry is the record of who approved which model: keep it.
    this.modelPackageGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const packagesArn = sagemakerArn('model-package', `${this.modelPackageGroupName}/*`);

    this.trainingRole = this.createTrainingRole(props);
    this.trainingSecurityGroup = new ec2.SecurityGroup(this, 'TrainingSecurityGroup', {
      vpc: props.vpc,
      description: `Training of ${ep.modelName}: no inbound; HTTPS out to the VPC endpoints only`,
      allowAllOutbound: false,
    });
    this.trainingSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to VPC endpoints (S3 gateway)',
    );

    this.approvalTopic = new sns.Topic(this, 'ApprovalTopic', {
      displayName: `${ep.modelName} candidate awaiting approval`,
      masterKey: props.notificationKey,
      enforceSSL: true,
    });
    for (const email of props.approval.approverEmails) {
      this.approvalTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    // ---- the states ----
    const failed = (name: string, error: string, cause: string) => new sfn.Fail(this, name, { error, cause });
    const trainingFailed = failed(
      'TrainingFailed',
      'TrainingFailed',
      'The training job failed or was stopped; production is unchanged.',
    );
    const registrationFailed = failed(
      'RegistrationFailed',
      'RegistrationFailed',
      'The candidate could not be registered; production is unchanged.',
    );
    const rejected = failed(
      'CandidateRejected',
      'CandidateRejected',
      'An approver rejected the candidate; production is unchanged.',
    );
    const deploymentFailed = failed(
      'DeploymentFailed',
      'DeploymentFailed',
      'The update could not start or the endpoint failed; SageMaker keeps serving the previous model.',
    );
    const rolledBack = failed(
      'RolledBack',
      'RolledBack',
      'A rollback alarm tripped during the blue/green deployment; the endpoint is back on the previous model.',
    );

    const checkRunning = new tasks.CallAwsService(this, 'CheckNoOtherRun', {
      service: 'sfn',
      action: 'listExecutions',
      parameters: {
        StateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
        StatusFilter: 'RUNNING',
        MaxResults: 2,
      },
      iamResources: [
        stack.formatArn({
          service: 'states',
          resource: 'stateMachine',
          resourceName: this.stateMachineName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      iamAction: 'states:ListExecutions',
      resultSelector: { 'executions.$': '$.Executions' },
      resultPath: '$.running',
    });
    const anotherRun = new sfn.Succeed(this, 'AnotherRunInProgress', {
      comment: 'A run is already under way; this trigger adds nothing.',
    });

    const prepare = new sfn.Pass(this, 'NameTheRun', {
      parameters: {
        'trigger.$': '$',
        'run.$': `States.Format('${runPrefix}{}', States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 0))`,
      },
    });

    const train = new sfn.CustomState(this, 'TrainCandidate', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${stack.partition}:states:::sagemaker:createTrainingJob.sync`,
        Parameters: {
          'TrainingJobName.$': '$.run',
          RoleArn: this.trainingRole.roleArn,
          AlgorithmSpecification: { TrainingImage: props.training.imageUri, TrainingInputMode: 'File' },
          HyperParameters: props.training.hyperparameters,
          InputDataConfig: [
            {
              ChannelName: 'train',
              DataSource: {
                S3DataSource: {
                  S3DataType: 'S3Prefix',
                  S3Uri: `s3://${props.training.dataBucket.bucketName}/${props.training.dataKeyPrefix}`,
                  S3DataDistributionType: 'FullyReplicated',
                },
              },
            },
          ],
          OutputDataConfig: {
            S3OutputPath: `s3://${props.modelArtifactsBucket.bucketName}/${this.candidatePrefix}`,
            KmsKeyId: props.modelArtifactsKey.keyArn,
          },
          ResourceConfig: {
            InstanceCount: 1,
            InstanceType: props.training.instanceType,
            VolumeSizeInGB: props.training.volumeSizeGb,
            VolumeKmsKeyId: props.modelArtifactsKey.keyArn,
          },
          StoppingCondition: { MaxRuntimeInSeconds: props.training.maxRuntime.toSeconds() },
          VpcConfig: {
            Subnets: ep.isolatedSubnetIds,
            SecurityGroupIds: [this.trainingSecurityGroup.securityGroupId],
          },
          EnableNetworkIsolation: true,
          EnableInterContainerTrafficEncryption: true,
        },
        ResultSelector: { 'artifact.$': '$.ModelArtifacts.S3ModelArtifacts' },
        ResultPath: '$.training',
      },
    });
    train.addCatch(trainingFailed, { resultPath: '$.error' });

    const register = new tasks.CallAwsService(this, 'RegisterCandidate', {
      service: 'sagemaker',
      action: 'createModelPackage',
      parameters: {
        ModelPackageGroupName: this.modelPackageGroupName,
        ModelPackageDescription: sfn.JsonPath.format(
          `Retrained from ${ep.modelName} ${props.baseVersion} by run {}`,
          sfn.JsonPath.stringAt('$.run'),
        ),
        ModelApprovalStatus: 'PendingManualApproval',
        InferenceSpecification: {
          Containers: [
            {
              Image: props.servingImageUri,
              ModelDataUrl: sfn.JsonPath.stringAt('$.training.artifact'),
            },
          ],
          SupportedContentTypes: ['application/json'],
          SupportedResponseMIMETypes: ['application/json'],
          SupportedRealtimeInferenceInstanceTypes: [ep.instanceType],
        },
        CustomerMetadataProperties: {
          trainingJob: sfn.JsonPath.stringAt('$.run'),
          baseVersion: props.baseVersion,
          execution: sfn.JsonPath.stringAt('$$.Execution.Name'),
        },
      },
      iamResources: [packagesArn, sagemakerArn('model-package-group', this.modelPackageGroupName)],
      iamAction: 'sagemaker:CreateModelPackage',
      resultSelector: { 'arn.$': '$.ModelPackageArn' },
      resultPath: '$.package',
    });
    register.addCatch(registrationFailed, { resultPath: '$.error' });

    const askForApproval = new tasks.SnsPublish(this, 'AskForApproval', {
      topic: this.approvalTopic,
      subject: `${ep.modelName}: candidate awaiting clinical approval`,
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(
          `A retrained ${ep.modelName} candidate (from ${props.baseVersion}) is registered as {} and waits for your decision. Review its training job {} and evaluation in the SageMaker model registry, then approve or reject it there (aws sagemaker update-model-package --model-package-name <arn> --model-approval-status Approved|Rejected --approval-description <reason>). Nothing ships until it is approved.`,
          sfn.JsonPath.stringAt('$.package.arn'),
          sfn.JsonPath.stringAt('$.run'),
        ),
      ),
      resultPath: sfn.JsonPath.DISCARD,
    });

    const waitForDecision = new sfn.Wait(this, 'WaitForDecision', {
      time: sfn.WaitTime.duration(props.approval.pollInterval),
    });
    const readDecision = new tasks.CallAwsService(this, 'ReadDecision', {
      service: 'sagemaker',
      action: 'describeModelPackage',
      parameters: { ModelPackageName: sfn.JsonPath.stringAt('$.package.arn') },
      iamResources: [packagesArn],
      iamAction: 'sagemaker:DescribeModelPackage',
      resultSelector: { 'status.$': '$.ModelApprovalStatus', 'version.$': '$.ModelPackageVersion' },
      resultPath: '$.decision',
    });

    const version = sfn.JsonPath.format(
      `${props.baseVersion}+pkg.{}`,
      sfn.JsonPath.stringAt('$.decision.version'),
    );
    const createModel = new tasks.CallAwsService(this, 'CreateCandidateModel', {
      service: 'sagemaker',
      action: 'createModel',
      parameters: ep.createModelRequest(
        sfn.JsonPath.stringAt('$.run'),
        sfn.JsonPath.stringAt('$.package.arn'),
        version,
      ),
      iamResources: [sagemakerArn('model', `${runPrefix}*`)],
      iamAction: 'sagemaker:CreateModel',
      additionalIamStatements: [
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [ep.role.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        }),
      ],
      resultPath: sfn.JsonPath.DISCARD,
    });
    const createConfig = new tasks.CallAwsService(this, 'CreateCandidateEndpointConfig', {
      service: 'sagemaker',
      action: 'createEndpointConfig',
      parameters: ep.createEndpointConfigRequest(
        sfn.JsonPath.stringAt('$.run'),
        sfn.JsonPath.stringAt('$.run'),
      ),
      iamResources: [sagemakerArn('endpoint-config', `${runPrefix}*`)],
      iamAction: 'sagemaker:CreateEndpointConfig',
      resultPath: sfn.JsonPath.DISCARD,
    });
    const endpointArn = sagemakerArn('endpoint', ep.endpointName);
    const update = new tasks.CallAwsService(this, 'DeployThroughGuardrails', {
      service: 'sagemaker',
      action: 'updateEndpoint',
      parameters: ep.updateEndpointRequest(sfn.JsonPath.stringAt('$.run')),
      iamResources: [endpointArn, sagemakerArn('endpoint-config', `${runPrefix}*`)],
      iamAction: 'sagemaker:UpdateEndpoint',
      additionalIamStatements: [
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms'],
          resources: [ep.errorRateAlarm.alarmArn, ep.latencyAlarm.alarmArn],
        }),
      ],
      resultPath: sfn.JsonPath.DISCARD,
    });
    for (const t of [createModel, createConfig, update])
      t.addCatch(deploymentFailed, { resultPath: '$.error' });

    const waitForDeployment = new sfn.Wait(this, 'WaitForDeployment', {
      time: sfn.WaitTime.duration(Duration.minutes(1)),
    });
    const readEndpoint = new tasks.CallAwsService(this, 'ReadEndpoint', {
      service: 'sagemaker',
      action: 'describeEndpoint',
      parameters: { EndpointName: ep.endpointName },
      iamResources: [endpointArn],
      iamAction: 'sagemaker:DescribeEndpoint',
      resultSelector: { 'status.$': '$.EndpointStatus', 'config.$': '$.EndpointConfigName' },
      resultPath: '$.endpoint',
    });
    const record = new tasks.CallAwsService(this, 'RecordDeployedVersion', {
      service: 'ssm',
      action: 'putParameter',
      parameters: {
        Name: props.servingParameter.name,
        Type: 'String',
        Overwrite: true,
        Value: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.serving')),
      },
      iamResources: [
        stack.formatArn({
          service: 'ssm',
          resource: 'parameter',
          resourceName: props.servingParameter.name.replace(/^\//, ''),
        }),
      ],
      iamAction: 'ssm:PutParameter',
      resultPath: sfn.JsonPath.DISCARD,
    });
    const buildContract = new sfn.Pass(this, 'DescribeDeployment', {
      parameters: {
        ...props.servingParameter.staticFields,
        'version.$': `States.Format('${props.baseVersion}+pkg.{}', $.decision.version)`,
        'modelPackageArn.$': '$.package.arn',
        deployedBy: 'retraining-workflow',
        'execution.$': '$$.Execution.Name',
      },
      resultPath: '$.serving',
    });
    const deployed = new sfn.Succeed(this, 'Deployed');

    const retryThrottling = (t: tasks.CallAwsService) =>
      t.addRetry({
        errors: ['SageMaker.ThrottlingException', 'States.TaskFailed'],
        maxAttempts: 3,
        backoffRate: 2,
        interval: Duration.seconds(10),
      });
    [readDecision, readEndpoint].forEach(retryThrottling);

    const definition = checkRunning.next(
      new sfn.Choice(this, 'OnlyRun?')
        .when(sfn.Condition.isPresent('$.running.executions[1]'), anotherRun)
        .otherwise(
          prepare
            .next(train)
            .next(register)
            .next(askForApproval)
            .next(waitForDecision)
            .next(readDecision)
            .next(
              new sfn.Choice(this, 'Decision')
                .when(sfn.Condition.stringEquals('$.decision.status', 'Approved'), createModel)
                .when(sfn.Condition.stringEquals('$.decision.status', 'Rejected'), rejected)
                .otherwise(waitForDecision),
            ),
        ),
    );
    createModel
      .next(createConfig)
      .next(update)
      .next(waitForDeployment)
      .next(readEndpoint)
      .next(
        new sfn.Choice(this, 'DeploymentOutcome')
          .when(
            sfn.Condition.or(
              sfn.Condition.stringEquals('$.endpoint.status', 'Updating'),
              sfn.Condition.stringEquals('$.endpoint.status', 'SystemUpdating'),
            ),
            waitForDeployment,
          )
          .when(
            sfn.Condition.and(
              sfn.Condition.stringEquals('$.endpoint.status', 'InService'),
              sfn.Condition.stringEqualsJsonPath('$.endpoint.config', '$.run'),
            ),
            buildContract.next(record).next(deployed),
          )
          .when(sfn.Condition.stringEquals('$.endpoint.status', 'InService'), rolledBack)
          .otherwise(deploymentFailed),
      );

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      encryptionKey: props.logKey,
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const deploymentDeadline = Duration.hours(8);
    const role = new StateMachineRole(this, 'Role', {
      stateMachineName: this.stateMachineName,
      description: `Runs the retraining workflow of ${ep.modelName}`,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      role,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.seconds(
        props.training.maxRuntime.toSeconds() +
          props.approval.timeout.toSeconds() +
          deploymentDeadline.toSeconds(),
      ),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: `Retrains ${ep.modelName} on drift or on demand; ships only after human approval, through the endpoint's guardrails`,
    });
    this.grantStateMachine(props, runPrefix, packagesArn);
    const ack = {
      reference: 'docs/decisions.md#sagemaker-generated-names',
      owner: CONSTRUCT_LIBRARY_OWNER,
      expires: INFERENCE_ACKNOWLEDGEMENTS_EXPIRE,
    };
    for (const resource of ['training-job', 'model', 'endpoint-config']) {
      acknowledgeWildcardResource(role, sagemakerArn(resource, `${runPrefix}*`), {
        ...ack,
        reason: `Each run names its ${resource} ${runPrefix}<run id> when it starts; the run prefix of this endpoint is the narrowest scope that exists.`,
      });
    }
    acknowledgeWildcardResource(role, packagesArn, {
      ...ack,
      reason: `The model registry numbers each package of the ${this.modelPackageGroupName} group when it is registered; the grant covers that group's packages only.`,
    });

    this.driftRule = new events.Rule(this, 'StartOnDrift', {
      description: `Starts the retraining of ${ep.modelName} when its drift alarm goes into ALARM`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [props.driftAlarm.alarmArn],
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({
            trigger: 'drift-alarm',
            alarmName: events.EventField.fromPath('$.detail.alarmName'),
            at: events.EventField.time,
          }),
          retryAttempts: 10,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });

    this.failedRunAlarm = new cloudwatch.Alarm(this, 'FailedRunAlarm', {
      alarmDescription: `A retraining run of ${ep.modelName} failed, timed out or was aborted (a rejection included); production is unchanged. \r\nRunbook: ${runbookLink('retraining')}`,
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ period: Duration.minutes(5) }),
          timedOut: this.stateMachine.metricTimedOut({ period: Duration.minutes(5) }),
          aborted: this.stateMachine.metricAborted({ period: Duration.minutes(5) }),
        },
        period: Duration.minutes(5),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.failedRunAlarm.addAlarmAction(
      new cwActions.SsmAction(cwActions.OpsItemSeverity.MEDIUM, cwActions.OpsItemCategory.PERFORMANCE),
    );
  }

  private createTrainingRole(props: RetrainingWorkflowProps): SageMakerExecutionRole {
    const ep = props.endpoint;
    const role = new SageMakerExecutionRole(this, 'TrainingRole', {
      description: `Runs the retraining jobs of ${ep.modelName}`,
    });
    const data = props.training.dataBucket.arnForObjects(`${props.training.dataKeyPrefix}*`);
    const output = props.modelArtifactsBucket.arnForObjects(`${this.candidatePrefix}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [data] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.training.dataBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${props.training.dataKeyPrefix}*`] } },
      }),
    );
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [output] }));
    role.acknowledgeGeneratedObjectKeys(
      data,
      "Read-only on this model's labelled training-data prefix: the dataset is a set of files that grows with each labelling round, so no fixed list of keys exists.",
    );
    role.acknowledgeGeneratedObjectKeys(
      output,
      "Write-only on this model's candidates prefix of the model-artefact bucket: SageMaker names the output by training job at run time.",
    );
    DataDomainKey.allowDirectUse(role, props.training.dataKey, 'phi-data', [
      'kms:Decrypt',
      'kms:DescribeKey',
    ]);
    DataDomainKey.allowDirectUse(role, props.modelArtifactsKey, 'model-artifacts', [
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'kms:DescribeKey',
    ]);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [props.modelArtifactsKey.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );
    role.allowImagePull(props.training.imageUri);
    role.allowLogWrite(props.training.logGroup);
    return role;
  }

  /** What the state machine's role needs beyond what its tasks declare. */
  private grantStateMachine(props: RetrainingWorkflowProps, runPrefix: string, packagesArn: string): void {
    const stack = Stack.of(this);
    const sm = this.stateMachine;
    const trainingJobs = stack.formatArn({
      service: 'sagemaker',
      resource: 'training-job',
      resourceName: `${runPrefix}*`,
    });
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopTrainingJob',
        ],
        resources: [trainingJobs],
      }),
    );
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({ service: 'events', resource: 'rule', resourceName: TRAINING_EVENTS_RULE }),
        ],
      }),
    );
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.trainingRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    // A model created from a package reads the package; an endpoint config names the two CMKs.
    sm.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:DescribeModelPackage'], resources: [packagesArn] }),
    );
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [props.modelArtifactsKey.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );
    DataDomainKey.allowDirectUse(sm.role, props.endpoint.captureKey, 'phi-data', ['kms:DescribeKey']);
    // Publish to the encrypted approval topic.
    props.notificationKey.grant(sm.role, 'kms:GenerateDataKey', 'kms:Decrypt');
  }
}
