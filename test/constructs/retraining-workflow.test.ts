import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DriftMonitor } from '../../lib/constructs/drift-monitor';
import { RetrainingWorkflow } from '../../lib/constructs/retraining-workflow';
import { endpointIn, inferenceFixture, logicalIdOf, statementsOfRole } from '../helpers/inference';

type State = Record<string, unknown> & { Type: string; Next?: string; Default?: string };

/** The state machine definition with every CloudFormation intrinsic replaced by a readable marker. */
function definitionOf(t: Template): {
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, State>;
} {
  const sm = Object.values(t.findResources('AWS::StepFunctions::StateMachine'))[0] as {
    Properties: { DefinitionString: { 'Fn::Join': [string, unknown[]] } };
  };
  const text = sm.Properties.DefinitionString['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const o = part as Record<string, unknown>;
      if (o['Ref'] === 'AWS::Partition') return 'aws';
      if (typeof o['Ref'] === 'string') return `REF(${o['Ref']})`;
      if (o['Fn::GetAtt']) return `GETATT(${(o['Fn::GetAtt'] as string[]).join('.')})`;
      return 'INTRINSIC';
    })
    .join('');
  return JSON.parse(text) as { StartAt: string; TimeoutSeconds: number; States: Record<string, State> };
}

/** The states a state leads to: Next, Default, Choice branches and Catch handlers. */
function successors(s: State): string[] {
  const out: string[] = [];
  if (s.Next) out.push(s.Next);
  if (s.Default) out.push(s.Default);
  for (const c of (s['Choices'] ?? []) as { Next: string }[]) out.push(c.Next);
  for (const c of (s['Catch'] ?? []) as { Next: string }[]) out.push(c.Next);
  return out;
}

function reachable(
  states: Record<string, State>,
  from: string,
  skip?: (state: string, next: string) => boolean,
): Set<string> {
  const seen = new Set<string>([from]);
  const queue = [from];
  while (queue.length > 0) {
    const name = queue.shift()!;
    for (const next of successors(states[name])) {
      if (skip?.(name, next) || seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return seen;
}

describe('RetrainingWorkflow', () => {
  // Prepare
  const f = inferenceFixture();
  const endpoint = endpointIn(f);
  const drift = new DriftMonitor(f.stack, 'Drift', {
    endpoint,
    baselineBucket: f.modelBucket,
    baselineKeyPrefix: 'models/deterioration-risk/1.0.0/baseline/',
    modelArtifactsKey: f.modelKey,
    features: ['spo2'],
    threshold: 0.1,
    vpc: f.vpc,
    instanceType: 'ml.m5.xlarge',
    volumeSizeGb: 20,
    maxRuntime: Duration.minutes(30),
    processingLogGroup: f.processingLogs,
  });
  // Act
  const workflow = new RetrainingWorkflow(f.stack, 'Retraining', {
    endpoint,
    baseVersion: '1.0.0',
    servingImageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/deterioration-risk:1.0.0',
    training: {
      imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/deterioration-risk-training:1.0.0',
      instanceType: 'ml.m5.2xlarge',
      volumeSizeGb: 100,
      maxRuntime: Duration.hours(8),
      hyperparameters: { max_depth: '6' },
      dataBucket: f.captureBucket,
      dataKey: f.phiKey,
      dataKeyPrefix: 'training-data/deterioration-risk/',
      logGroup: f.trainingLogs,
    },
    modelArtifactsBucket: f.modelBucket,
    modelArtifactsKey: f.modelKey,
    vpc: f.vpc,
    driftAlarm: drift.driftAlarm,
    approval: {
      pollInterval: Duration.minutes(15),
      timeout: Duration.days(14),
      approverEmails: ['a@example.org', 'b@example.org'],
    },
    notificationKey: f.auditKey,
    logKey: f.auditKey,
    logRetentionDays: 2192,
    servingParameter: {
      name: '/cap-test/inference/deterioration-risk/serving',
      staticFields: { model: 'deterioration-risk' },
    },
  });
  const t = Template.fromStack(f.stack);
  const id = (type: string, part: string) => logicalIdOf(t, type, part);
  const { StartAt, States, TimeoutSeconds } = definitionOf(t);
  const arn = (resource: string) => `arn:aws:sagemaker:us-east-1:123456789012:${resource}`;

  test('a standard state machine with KMS-encrypted, audit-retained execution logs and X-Ray tracing', () => {
    const logGroup = id('AWS::Logs::LogGroup', 'RetrainingExecutionLogs');
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'cap-test-deterioration-risk-retraining',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroup, 'Arn'] } } }],
      },
      TracingConfiguration: { Enabled: true },
      RoleArn: { 'Fn::GetAtt': [id('AWS::IAM::Role', 'RetrainingRole'), 'Arn'] },
    });
    t.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        KmsKeyId: { 'Fn::GetAtt': [id('AWS::KMS::Key', 'AuditKey'), 'Arn'] },
        RetentionInDays: 2192,
      },
      DeletionPolicy: 'Retain',
    });
    // The whole run may take the training, the approval window and the deployment, and no longer.
    expect(TimeoutSeconds).toBe(8 * 3600 + 14 * 86400 + 8 * 3600);
  });

  test('only this state machine of this account may assume its role', () => {
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'states.amazonaws.com' },
            Condition: {
              ArnLike: {
                'aws:SourceArn':
                  'arn:aws:states:us-east-1:123456789012:stateMachine:cap-test-deterioration-risk-retraining',
              },
              StringEquals: { 'aws:SourceAccount': '123456789012' },
            },
          }),
        ],
      },
    });
  });

  test('it starts on the drift alarm going into ALARM (EventBridge), once at a time', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ 'Fn::GetAtt': [id('AWS::CloudWatch::Alarm', 'DriftDriftAlarm'), 'Arn'] }],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: [Match.objectLike({ Arn: { Ref: id('AWS::StepFunctions::StateMachine', '') } })],
    });
    expect(StartAt).toBe('CheckNoOtherRun');
    expect(States['CheckNoOtherRun']).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:sfn:listExecutions',
      Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id', StatusFilter: 'RUNNING' },
    });
    expect(States['OnlyRun?']).toMatchObject({
      Choices: [{ Variable: '$.running.executions[1]', IsPresent: true, Next: 'AnotherRunInProgress' }],
    });
  });

  test('1. training runs to completion in the VPC with network isolation and encrypted volumes and output', () => {
    expect(States['TrainCandidate']).toMatchObject({
      Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
      Parameters: {
        'TrainingJobName.$': '$.run',
        EnableNetworkIsolation: true,
        EnableInterContainerTrafficEncryption: true,
        InputDataConfig: [
          {
            DataSource: { S3DataSource: { S3Uri: 's3://capture-bucket/training-data/deterioration-risk/' } },
          },
        ],
        OutputDataConfig: {
          S3OutputPath: 's3://model-bucket/models/deterioration-risk/candidates/',
          KmsKeyId: `GETATT(${id('AWS::KMS::Key', 'ModelKey')}.Arn)`,
        },
        ResourceConfig: {
          InstanceType: 'ml.m5.2xlarge',
          VolumeSizeInGB: 100,
          VolumeKmsKeyId: `GETATT(${id('AWS::KMS::Key', 'ModelKey')}.Arn)`,
        },
        StoppingCondition: { MaxRuntimeInSeconds: 8 * 3600 },
        HyperParameters: { max_depth: '6' },
      },
    });
    expect(JSON.stringify(States['TrainCandidate']['Parameters'])).toContain('"VpcConfig":{"Subnets":["REF(');
    expect(States['NameTheRun']['Parameters']).toMatchObject({
      'run.$':
        "States.Format('cap-test-deterioration-risk-rt-{}', States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 0))",
    });
  });

  test('2. the candidate is registered in the model package group, pending manual approval', () => {
    expect(States['RegisterCandidate']).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:sagemaker:createModelPackage',
      Parameters: {
        ModelPackageGroupName: 'cap-test-deterioration-risk',
        ModelApprovalStatus: 'PendingManualApproval',
        InferenceSpecification: { Containers: [{ 'ModelDataUrl.$': '$.training.artifact' }] },
      },
    });
    t.hasResource('AWS::SageMaker::ModelPackageGroup', {
      Properties: { ModelPackageGroupName: 'cap-test-deterioration-risk' },
      DeletionPolicy: 'Retain',
    });
  });

  test('3. approvers are asked (KMS-encrypted topic), and only an Approved package leads to a deployment', () => {
    t.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [id('AWS::KMS::Key', 'AuditKey'), 'Arn'] },
    });
    t.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 2);
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    expect(States['ReadDecision']).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:sagemaker:describeModelPackage',
      Parameters: { 'ModelPackageName.$': '$.package.arn' },
    });
    expect(States['WaitForDecision']).toMatchObject({ Seconds: 900, Next: 'ReadDecision' });
    expect(States['Decision']).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.decision.status', StringEquals: 'Approved', Next: 'CreateCandidateModel' },
        { Variable: '$.decision.status', StringEquals: 'Rejected', Next: 'CandidateRejected' },
      ],
      Default: 'WaitForDecision',
    });
    // Take away the Approved branch and nothing that touches the endpoint can be reached.
    const withoutApproval = reachable(
      States,
      StartAt,
      (s, next) => s === 'Decision' && next === 'CreateCandidateModel',
    );
    for (const touching of [
      'CreateCandidateModel',
      'CreateCandidateEndpointConfig',
      'DeployThroughGuardrails',
      'RecordDeployedVersion',
    ]) {
      expect(withoutApproval.has(touching)).toBe(false);
    }
    expect(reachable(States, StartAt).has('DeployThroughGuardrails')).toBe(true);
  });

  test('4. the approved package deploys through the endpoint guardrails (same blue/green policy and alarms)', () => {
    expect(States['CreateCandidateModel']).toMatchObject({
      Parameters: {
        'ModelName.$': '$.run',
        EnableNetworkIsolation: true,
        ExecutionRoleArn: `GETATT(${id('AWS::IAM::Role', 'EndpointExecutionRole')}.Arn)`,
        PrimaryContainer: {
          'ModelPackageName.$': '$.package.arn',
          Environment: { 'MODEL_VERSION.$': "States.Format('1.0.0+pkg.{}', $.decision.version)" },
        },
      },
    });
    expect(States['CreateCandidateEndpointConfig']).toMatchObject({
      Parameters: {
        'EndpointConfigName.$': '$.run',
        KmsKeyId: `GETATT(${id('AWS::KMS::Key', 'ModelKey')}.Arn)`,
        DataCaptureConfig: { EnableCapture: true, KmsKeyId: `GETATT(${id('AWS::KMS::Key', 'PhiKey')}.Arn)` },
        ProductionVariants: [{ VariantName: 'primary', 'ModelName.$': '$.run' }],
      },
    });
    expect(States['DeployThroughGuardrails']).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:sagemaker:updateEndpoint',
      Parameters: {
        EndpointName: 'cap-test-deterioration-risk',
        'EndpointConfigName.$': '$.run',
        RetainAllVariantProperties: true,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Value: 20 } },
          },
          AutoRollbackConfiguration: {
            Alarms: [
              { AlarmName: `REF(${id('AWS::CloudWatch::Alarm', 'ModelErrorRateAlarm')})` },
              { AlarmName: `REF(${id('AWS::CloudWatch::Alarm', 'ModelLatencyAlarm')})` },
            ],
          },
        },
      },
    });
  });

  test('a failed, rejected or rolled-back run ends in a failed state; success records the deployed version', () => {
    for (const task of [
      'TrainCandidate',
      'RegisterCandidate',
      'CreateCandidateModel',
      'CreateCandidateEndpointConfig',
      'DeployThroughGuardrails',
    ]) {
      const handler = ((States[task]['Catch'] ?? []) as { ErrorEquals: string[]; Next: string }[])[0];
      expect(handler?.ErrorEquals).toEqual(['States.ALL']);
      expect(States[handler.Next].Type).toBe('Fail');
    }
    for (const fail of [
      'CandidateRejected',
      'RolledBack',
      'DeploymentFailed',
      'TrainingFailed',
      'RegistrationFailed',
    ]) {
      expect(States[fail].Type).toBe('Fail');
    }
    expect(States['DeploymentOutcome']).toMatchObject({
      Choices: [
        { Or: [{ StringEquals: 'Updating' }, { StringEquals: 'SystemUpdating' }], Next: 'WaitForDeployment' },
        {
          And: [{ StringEquals: 'InService' }, { Variable: '$.endpoint.config', StringEqualsPath: '$.run' }],
          Next: 'DescribeDeployment',
        },
        { StringEquals: 'InService', Next: 'RolledBack' },
      ],
      Default: 'DeploymentFailed',
    });
    expect(States['RecordDeployedVersion']).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:ssm:putParameter',
      Parameters: {
        Name: '/cap-test/inference/deterioration-risk/serving',
        'Value.$': 'States.JsonToString($.serving)',
        Overwrite: true,
      },
    });
    expect(States['DescribeDeployment']['Parameters']).toMatchObject({
      model: 'deterioration-risk',
      'version.$': "States.Format('1.0.0+pkg.{}', $.decision.version)",
      deployedBy: 'retraining-workflow',
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'failed + timedOut + aborted' })]),
      AlarmActions: [Match.stringLikeRegexp(':opsitem:')],
    });
  });

  test('the workflow role: run-scoped SageMaker actions, PassRole only to SageMaker, no wildcard outside the unscopable policy', () => {
    const statements = statementsOfRole(t, id('AWS::IAM::Role', 'RetrainingRole'));
    const resourcesOf = (action: string) =>
      statements
        .filter((s) => ([] as unknown[]).concat(s['Action']).includes(action))
        .flatMap((s) => s['Resource']);
    expect(resourcesOf('sagemaker:CreateTrainingJob')).toEqual([
      arn('training-job/cap-test-deterioration-risk-rt-*'),
    ]);
    expect(resourcesOf('sagemaker:CreateModel')).toEqual([arn('model/cap-test-deterioration-risk-rt-*')]);
    expect(resourcesOf('sagemaker:CreateEndpointConfig')).toEqual([
      arn('endpoint-config/cap-test-deterioration-risk-rt-*'),
    ]);
    expect(resourcesOf('sagemaker:UpdateEndpoint').sort()).toEqual(
      [
        arn('endpoint/cap-test-deterioration-risk'),
        arn('endpoint-config/cap-test-deterioration-risk-rt-*'),
      ].sort(),
    );
    expect(resourcesOf('sagemaker:CreateModelPackage')).toContain(
      arn('model-package/cap-test-deterioration-risk/*'),
    );
    expect(resourcesOf('ssm:PutParameter')).toEqual([
      'arn:aws:ssm:us-east-1:123456789012:parameter/cap-test/inference/deterioration-risk/serving',
    ]);
    const passRole = statements.filter((s) => s['Action'] === 'iam:PassRole');
    const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect(passRole.flatMap((s) => s['Resource']).sort(byJson)).toEqual(
      [id('AWS::IAM::Role', 'EndpointExecutionRole'), id('AWS::IAM::Role', 'RetrainingTrainingRole')]
        .map((r) => ({ 'Fn::GetAtt': [r, 'Arn'] }))
        .sort(byJson),
    );
    for (const s of passRole) {
      expect(s['Condition']).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    }
    for (const s of statements) {
      const actions = ([] as string[]).concat(s['Action'] as string);
      for (const a of actions) expect(a).not.toMatch(/^(sagemaker|s3|kms|states|iam):\*$/);
      if (JSON.stringify(s['Resource']) === '"*"') {
        for (const a of actions) expect(a).toMatch(/^(logs|xray):/);
      }
    }
  });

  test('the training role reads only this model training data and writes only its candidates prefix', () => {
    const statements = statementsOfRole(t, id('AWS::IAM::Role', 'RetrainingTrainingRole'));
    const resourcesOf = (action: string) =>
      statements
        .filter((s) => ([] as unknown[]).concat(s['Action']).includes(action))
        .flatMap((s) => s['Resource']);
    expect(resourcesOf('s3:GetObject')).toEqual([
      'arn:aws:s3:::capture-bucket/training-data/deterioration-risk/*',
    ]);
    expect(resourcesOf('s3:PutObject')).toEqual([
      'arn:aws:s3:::model-bucket/models/deterioration-risk/candidates/*',
    ]);
    expect(resourcesOf('ecr:BatchGetImage')).toEqual([
      'arn:aws:ecr:us-east-1:123456789012:repository/clinical-ai/deterioration-risk-training',
    ]);
    expect(workflow.candidatePrefix).toBe('models/deterioration-risk/candidates/');
  });
});
