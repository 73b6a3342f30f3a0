import { AspectPriority, Aspects, Aws, type CfnElement, Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct, IConstruct } from 'constructs';
import { acknowledge, type Acknowledgement } from '../compliance-rules/acknowledge';
import { CLASSIFICATION_TAG } from '../compliance-rules/support/stores';
import { ExplicitGrantActions } from '../lib/aspects/explicit-grant-actions';
import type { Delivery } from '../lib/config/delivery';
import { AccessLogsBucket } from '../lib/constructs/access-logs-bucket';
import { EncryptedBucket } from '../lib/constructs/encrypted-bucket';
import { acknowledgeRestrictDefaultSgProvider } from './foundation-stack';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

export interface PipelineStackProps extends PlatformStackProps {
  /** The profile's delivery section (source, approvers, bootstrap qualifier). */
  readonly delivery: Delivery;
}

/** The bootstrap roles of one region that a delivery step may assume (`cdk bootstrap --qualifier`). */
export const bootstrapRoleArn = (
  qualifier: string,
  kind: 'deploy' | 'file-publishing' | 'lookup',
  account: string,
  region: string,
): string => `arn:${Aws.PARTITION}:iam::${account}:role/cdk-${qualifier}-${kind}-role-${account}-${region}`;

/** Where the evidence of each execution and of the last deployed assembly is kept in the evidence bucket. */
export const EVIDENCE_PREFIX = { execution: 'executions', deployed: 'deployed/evidence.json' } as const;

/**
 * The delivery pipeline of a profile (CodePipeline V2, in the primary region): it builds once, proves
 * compliance, publishes assets and rolls out region by region, with a person approving production against the
 * evidence report (45 CFR 164.308(a)(1)(ii)(D) information system activity review, 164.308(a)(8) evaluation,
 * 164.312(c)(1) integrity: what deploys is the assembly the gate passed, byte for byte).
 *
 * Stages, in order: Source (CodeStar connection) → Build (`npm ci`, `npm test`, the synth behind the gate,
 * the evidence and its diff against the last deployed report) → Assets (`cdk-assets publish` from the
 * synthesized manifests) → Approve (shows the evidence summary and the diff) → Deploy-<primary> → Deploy-<dr>.
 *
 * Explicit CodePipeline V2 stages rather than CDK Pipelines: CDK Pipelines would self-mutate and re-synthesize
 * inside its own stages, while here each step is one CodeBuild project with one least-privilege role, the
 * assets step runs cdk-assets itself, and the approval carries the evidence.
 *
 * Network: the projects run in a build VPC of their own (never the workload VPC: no path to PHI stores), in
 * private subnets whose only way out is one NAT gateway, with a security group that allows HTTPS out and
 * nothing else. `npm ci` needs the npm registry and the DR deploy needs the DR region's CloudFormation API,
 * which no VPC endpoint in this region reaches (docs/decisions.md#build-network).
 */
export class PipelineStack extends PlatformStack {
  readonly pipeline: codepipeline.Pipeline;
  readonly artifactKey: kms.Key;
  readonly artifactBucket: EncryptedBucket;
  readonly evidenceBucket: EncryptedBucket;
  readonly buildVpc: ec2.Vpc;
  readonly approvalTopic: sns.Topic;
  /** The CodeBuild projects by step: `build`, `assets`, `deploy-<region>`. */
  readonly projects: Readonly<Record<string, codebuild.PipelineProject>>;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { profile, regions } = props.config;
    const { delivery } = props;
    const owner = profile.tags.owner;
    const auditDays = profile.logRetention.auditDays;
    const account = profile.account;
    const q = delivery.bootstrapQualifier;

    // One CMK for the pipeline's artefacts, evidence, build logs and approval notices; rotated yearly.
    this.artifactKey = new kms.Key(this, 'ArtifactKey', {
      description: `clinical-ai ${profile.name} delivery pipeline: artefacts, evidence, build logs`,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
      alias: `alias/${profile.namePrefix}/delivery`,
    });
    this.artifactKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );

    const accessLogs = new AccessLogsBucket(this, 'AccessLogs', { retentionDays: auditDays });
    this.artifactBucket = new EncryptedBucket(this, 'Artifacts', {
      encryptionKey: this.artifactKey,
      accessLogsBucket: accessLogs.bucket,
      // Artefacts are rebuilt from Git; the evidence bucket keeps what must be kept.
      noncurrentVersionRetentionDays: 30,
      lifecycleRules: [{ id: 'expire-artefacts', expiration: Duration.days(90) }],
    });
    // Evidence of every execution and of what is deployed: compliance documentation, 6 years (164.316(b)(2)(i)).
    // Under Object Lock in compliance mode: no one, the pipeline included, can alter a report once written.
    this.evidenceBucket = new EncryptedBucket(this, 'Evidence', {
      encryptionKey: this.artifactKey,
      accessLogsBucket: accessLogs.bucket,
      objectLockDays: auditDays,
    });
    for (const b of [this.artifactBucket, this.evidenceBucket]) {
      // Source code, templates and compliance reports: confidential, never PHI.
      Tags.of(b.bucket).add(CLASSIFICATION_TAG, 'confidential');
    }

    this.buildVpc = this.createBuildVpc(auditDays, owner);
    const buildSecurityGroup = new ec2.SecurityGroup(this, 'BuildSecurityGroup', {
      vpc: this.buildVpc,
      description: 'CodeBuild delivery steps: HTTPS out only (npm registry, AWS APIs), nothing in',
      allowAllOutbound: false,
    });
    buildSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS out');

    const buildLogs = new logs.LogGroup(this, 'BuildLogs', {
      encryptionKey: this.artifactKey,
      retention: auditDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const project = (name: string, description: string, spec: Record<string, unknown>) =>
      new codebuild.PipelineProject(this, `${pascal(name)}Project`, {
        description,
        buildSpec: codebuild.BuildSpec.fromObject(spec),
        environment: {
          buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
          computeType: codebuild.ComputeType.MEDIUM,
          privileged: false,
        },
        encryptionKey: this.artifactKey,
        vpc: this.buildVpc,
        subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [buildSecurityGroup],
        timeout: Duration.minutes(60),
        logging: { cloudWatch: { logGroup: buildLogs, prefix: name } },
      });

    // `rollout` is `steady` except for the first execution of a two-region profile, started by hand with the
    // pipeline variable Rollout=install (README "The first deploy"); bin/app.ts validates the value.
    const synth = `npx cdk synth --quiet -c profile=${profile.name} -c @aws-cdk/core:bootstrapQualifier=${q} -c "rollout=$ROLLOUT"`;
    const install = { 'runtime-versions': { nodejs: 20 }, commands: ['npm ci'] };
    // PostgreSQL, moto_server and cfn-lint for the integration tests that `npm test` runs.
    const installWithServices = {
      'runtime-versions': { nodejs: 20 },
      commands: ['bash scripts/ci-services.sh', 'npm ci'],
    };
    const evidenceUri = `s3://${this.evidenceBucket.bucket.bucketName}`;

    const build = project(
      'build',
      'npm ci, npm test, synth behind the compliance gate, evidence and its diff',
      {
        version: '0.2',
        env: { 'exported-variables': ['GATE', 'SUMMARY', 'EVIDENCE_URI'] },
        phases: {
          install: installWithServices,
          build: {
            commands: [
              'npm test',
              synth,
              // Every asset present and hashing to its manifest id before anything is published.
              'npm run assets:list',
              `if aws s3 cp ${evidenceUri}/${EVIDENCE_PREFIX.deployed} /tmp/deployed-evidence.json; then ` +
                'npm run -s evidence:diff -- /tmp/deployed-evidence.json cdk.out > cdk.out/compliance/evidence-diff.txt; ' +
                "else echo 'No deployed evidence yet: first deploy, review the full report.' > cdk.out/compliance/evidence-diff.txt; fi",
              `EVIDENCE_URI=${evidenceUri}/${EVIDENCE_PREFIX.execution}/$EXECUTION_ID/`,
              'aws s3 cp --recursive cdk.out/compliance "$EVIDENCE_URI"',
              'GATE=$(node -p "require(\'./cdk.out/compliance/evidence.json\').summary.gate")',
              "SUMMARY=$(node -p \"const s=require('./cdk.out/compliance/evidence.json').summary; " +
                "s.controls.total+' controls, '+s.rules+' rules, '+s.results.total+' results'\")",
            ],
          },
        },
        artifacts: {
          'base-directory': 'cdk.out',
          files: ['**/*'],
          'secondary-artifacts': {
            Compliance: { 'base-directory': 'cdk.out/compliance', files: ['**/*'] },
          },
        },
      },
    );
    this.evidenceBucket.bucket.grantRead(build);
    this.evidenceBucket.bucket.grantPut(build);

    const filePublishingRoles = regions.map((r) => bootstrapRoleArn(q, 'file-publishing', account, r));
    const assets = project('assets', 'cdk-assets publish from the synthesized asset manifests', {
      version: '0.2',
      phases: {
        install,
        build: { commands: ['npm run assets:publish -- "$CODEBUILD_SRC_DIR_CloudAssembly"'] },
      },
    });
    assets.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: filePublishingRoles }),
    );

    const deploys: Record<string, codebuild.PipelineProject> = {};
    regions.forEach((region, i) => {
      const last = i === regions.length - 1;
      // The primary's data tier depends on the DR region's replica keys and buckets, so the first deploy may
      // reach into the DR region (cdk adds the dependencies); later regions deploy only their own stacks.
      const reach = i === 0 ? regions : [region];
      const commands = [
        `STACKS=$(npm run -s deploy:stacks -- ${region} "$CODEBUILD_SRC_DIR_CloudAssembly")`,
        `npx cdk deploy --app "$CODEBUILD_SRC_DIR_CloudAssembly" --require-approval never --concurrency 1 ` +
          `--progress events ${i === 0 ? '' : '--exclusively '}$STACKS`,
      ];
      if (last) {
        commands.push(
          `aws s3 cp ${evidenceUri}/${EVIDENCE_PREFIX.execution}/$EXECUTION_ID/evidence.json ${evidenceUri}/${EVIDENCE_PREFIX.deployed}`,
        );
      }
      const deploy = project(`deploy-${region}`, `cdk deploy --app cdk.out of the ${region} stacks`, {
        version: '0.2',
        phases: { install, build: { commands } },
      });
      deploy.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole'],
          resources: reach.flatMap((r) =>
            (['deploy', 'file-publishing', 'lookup'] as const).map((k) => bootstrapRoleArn(q, k, account, r)),
          ),
        }),
      );
      if (last) {
        this.evidenceBucket.bucket.grantRead(deploy);
        this.evidenceBucket.bucket.grantPut(deploy);
      }
      deploys[region] = deploy;
    });
    this.projects = {
      build,
      assets,
      ...Object.fromEntries(Object.entries(deploys).map(([r, p]) => [`deploy-${r}`, p])),
    };

    this.approvalTopic = new sns.Topic(this, 'ApprovalTopic', {
      displayName: `${profile.namePrefix} production deploy awaiting approval`,
      masterKey: this.artifactKey,
      enforceSSL: true,
    });
    for (const email of delivery.approverEmails) {
      this.approvalTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    const source = new codepipeline.Artifact('Source');
    const cloudAssembly = new codepipeline.Artifact('CloudAssembly');
    const compliance = new codepipeline.Artifact('Compliance');
    const [owner_, repo] = delivery.repository.split('/');
    const executionId = { value: '#{codepipeline.PipelineExecutionId}' };
    const rollout = new codepipeline.Variable({
      variableName: 'Rollout',
      description:
        'steady (every execution but one); install for the first deployment of a two-region profile (README "The first deploy")',
      defaultValue: 'steady',
    });

    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: codepipeline.ExecutionMode.QUEUED,
      artifactBucket: this.artifactBucket.bucket,
      restartExecutionOnUpdate: false,
      variables: [rollout],
      stages: [
        {
          stageName: 'Source',
          actions: [
            new actions.CodeStarConnectionsSourceAction({
              actionName: 'Checkout',
              connectionArn: delivery.connectionArn,
              owner: owner_,
              repo,
              branch: delivery.branch,
              output: source,
              triggerOnPush: true,
            }),
          ],
        },
        {
          stageName: 'Build',
          actions: [
            new actions.CodeBuildAction({
              actionName: 'TestSynthEvidence',
              project: build,
              input: source,
              outputs: [cloudAssembly, compliance],
              variablesNamespace: 'Evidence',
              environmentVariables: { EXECUTION_ID: executionId, ROLLOUT: { value: rollout.reference() } },
            }),
          ],
        },
        {
          stageName: 'Assets',
          actions: [
            new actions.CodeBuildAction({
              actionName: 'PublishAssets',
              project: assets,
              input: source,
              extraInputs: [cloudAssembly],
            }),
          ],
        },
        {
          stageName: 'Approve',
          actions: [
            new actions.ManualApprovalAction({
              actionName: 'ApproveProduction',
              notificationTopic: this.approvalTopic,
              additionalInformation:
                `Deploy ${profile.name} to ${regions.join(' then ')}. Compliance gate #{Evidence.GATE}: ` +
                '#{Evidence.SUMMARY}. Review evidence.md and evidence-diff.txt (changes against the last ' +
                'deployed report) under #{Evidence.EVIDENCE_URI} before approving.',
              externalEntityLink: `https://s3.console.aws.amazon.com/s3/buckets/${this.evidenceBucket.bucket.bucketName}?prefix=${EVIDENCE_PREFIX.execution}/#{codepipeline.PipelineExecutionId}/`,
              timeout: Duration.days(3),
            }),
          ],
        },
        ...regions.map((region) => ({
          stageName: `Deploy-${region}`,
          actions: [
            new actions.CodeBuildAction({
              actionName: `Deploy-${region}`,
              project: deploys[region],
              input: source,
              extraInputs: [cloudAssembly],
              environmentVariables: { EXECUTION_ID: executionId },
            }),
          ],
        })),
      ],
    });
    // CodePipeline publishes the approval notice to the encrypted topic.
    this.artifactKey.grant(this.pipeline.role, 'kms:GenerateDataKey', 'kms:Decrypt');

    Aspects.of(this).add(
      new ExplicitGrantActions({ expansions: EXPLICIT_ACTIONS, unusedResources: UNUSED }),
      {
        priority: AspectPriority.MUTATING - 50,
      },
    );
    this.acknowledgeDeliveryFindings(owner);
  }

  /**
   * The findings that remain after the grants are narrowed, each on the one resource it concerns
   * (README "Acknowledgements in force"; docs/decisions.md#delivery-pipeline).
   */
  private acknowledgeDeliveryFindings(owner: string): void {
    const ack = (scope: IConstruct, id: string, reason: string): void =>
      acknowledge(scope, {
        id,
        reason,
        reference: 'docs/decisions.md#delivery-pipeline',
        owner,
        expires: '2027-05-31',
      } satisfies Acknowledgement);
    const objects = (b: EncryptedBucket): string =>
      `AwsSolutions::AwsSolutions-IAM5[Resource::<${this.getLogicalId(b.bucket.node.defaultChild as CfnElement)}.Arn>/*]`;
    const grantPolicies = [this.pipeline.role, ...Object.values(this.projects).map((p) => p.role!)]
      .map((r) => r.node.tryFindChild('DefaultPolicy'))
      .concat(
        this.pipeline.node
          .findAll()
          .filter((c) => c.node.id === 'DefaultPolicy' && c.node.path.includes('CodePipelineActionRole')),
      );
    for (const policy of grantPolicies) {
      if (!policy) continue;
      const text = JSON.stringify(
        this.resolve(
          (policy.node.tryFindChild('Resource') as iam.CfnPolicy | undefined)?.policyDocument ?? {},
        ),
      );
      if (text.includes(this.getLogicalId(this.artifactBucket.bucket.node.defaultChild as CfnElement))) {
        ack(
          policy,
          objects(this.artifactBucket),
          "Pipeline artefacts are objects whose keys CodePipeline generates per execution; the grant covers only the objects of this pipeline's own artefact bucket.",
        );
      }
      if (text.includes(this.getLogicalId(this.evidenceBucket.bucket.node.defaultChild as CfnElement))) {
        ack(
          policy,
          objects(this.evidenceBucket),
          'Evidence reports are written under a per-execution prefix that exists only at run time; the bucket is under Object Lock, so the grant can add reports but never alter one.',
        );
      }
    }
    for (const project of Object.values(this.projects)) {
      ack(
        project,
        'HIPAA.Security::HIPAA.Security-CodeBuildProjectSourceRepoUrl',
        "The project's source is the pipeline artefact (type CODEPIPELINE) fetched through the CodeStar connection: it holds no repository URL and no OAuth or personal token to protect.",
      );
      ack(
        project.role!.node.findChild('DefaultPolicy'),
        'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]',
        'CodeBuild creates the network interface of each VPC build at run time; ec2:CreateNetworkInterfacePermission is limited by condition to the build subnets and to the CodeBuild service.',
      );
      ack(
        project.node.findChild('PolicyDocument'),
        'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        'The EC2 describe and network-interface actions CodeBuild needs to run a build in a VPC accept no resource-level permissions; this policy holds only those actions.',
      );
    }
    for (const bucket of [this.artifactBucket, this.evidenceBucket]) {
      for (const id of [
        'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled',
        'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled',
        'ClinicalAI.HIPAA::ClinicalAI.HIPAA-StoreBackedUpToLockedVault[NotInBackupPlan]',
      ]) {
        ack(
          bucket.bucket,
          id,
          bucket === this.artifactBucket
            ? 'Pipeline artefacts (source archive, cloud assembly) are rebuilt from Git by re-running the pipeline and expire after 90 days; they hold no PHI and no record that exists nowhere else.'
            : 'Evidence reports are under Object Lock in compliance mode for the audit retention (what a locked vault would add); each report is also recomputable from its Git commit.',
        );
      }
    }
    for (const subnet of this.buildVpc.publicSubnets) {
      for (const id of [
        'HIPAA.Security::HIPAA.Security-VPCNoUnrestrictedRouteToIGW',
        'NIST.800.53.R5::NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
      ]) {
        ack(
          subnet.node.findChild('DefaultRoute'),
          id,
          "Route of the build VPC's public subnet, which holds only the NAT gateway (no instance, no public IP assignment); builds run in private subnets whose security group allows HTTPS out and nothing in.",
        );
      }
    }
  }

  /**
   * A VPC for the build steps only: private subnets behind one NAT gateway (the public subnets hold nothing
   * else and assign no public IPs), an S3 gateway endpoint so that artefacts stay on the AWS network, flow
   * logs of all traffic to a KMS-encrypted group kept as audit records (164.312(b)).
   */
  private createBuildVpc(auditDays: number, owner: string): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'BuildVpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.255.0.0/24'),
      availabilityZones: this.availabilityZones.slice(0, 2),
      natGateways: 1,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        { name: 'nat', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 28, mapPublicIpOnLaunch: false },
        { name: 'build', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 26 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const flowLogs = new logs.LogGroup(this, 'BuildVpcFlowLogs', {
      encryptionKey: this.artifactKey,
      retention: auditDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    vpc.addFlowLog('AllTraffic', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    acknowledgeRestrictDefaultSgProvider(this, owner);
    return vpc;
  }
}

/** The action wildcards of CDK's pipeline grants, narrowed to the actions CodePipeline and CodeBuild use. */
const EXPLICIT_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  's3:GetObject*': ['s3:GetObject', 's3:GetObjectVersion'],
  's3:GetBucket*': ['s3:GetBucketLocation', 's3:GetBucketVersioning', 's3:GetBucketAcl'],
  's3:List*': ['s3:ListBucket'],
  's3:DeleteObject*': ['s3:DeleteObject'],
  's3:Abort*': ['s3:AbortMultipartUpload'],
  'kms:ReEncrypt*': ['kms:ReEncryptFrom', 'kms:ReEncryptTo'],
  'kms:GenerateDataKey*': ['kms:GenerateDataKey'],
};

/** Granted by CodeBuild by default but never used: the projects log to their own group and publish no reports. */
const UNUSED = [':log-group:/aws/codebuild/', ':report-group/'];

const pascal = (s: string): string => s.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
