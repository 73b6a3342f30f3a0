import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Stack, Tags } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { NagPack } from 'cdk-nag';
import { type EvidenceReportOptions, synthWithEvidence } from '../../compliance-rules/evidence/write';
import { registerComplianceGate } from '../../compliance-rules/gate';
import { type PlatformConfig, loadProfile } from '../../lib/config';
import { buildPlatform } from '../../stacks/platform';
import { cdkJsonContext } from '../helpers/platform';

/**
 * A two-region app written at the CloudFormation level (L1), shaped like the platform's data tier, so the
 * inventory and the data-flow diagram can be tested against known answers before (and independently of) the
 * real tiers: keys with a multi-region replica found through its SSM parameter, S3 replication with RTC, a
 * DynamoDB global table, an Aurora Global Database, AWS Backup with a cross-region copy into a locked vault,
 * and the capacity plan's limits.
 */
export const PRIMARY = 'us-east-1';
export const DR = 'us-west-2';
const ACCOUNT = '123456789012';

export interface DataTierFixture {
  readonly app: App;
  readonly config: PlatformConfig;
  readonly outdir: string;
}

export function dataTierFixture(): DataTierFixture {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-fixture-'));
  const app = new App({ outdir, context: cdkJsonContext() });
  const config = loadProfile('production');
  const env = (region: string) => ({ account: ACCOUNT, region });
  Tags.of(app).add('data-classification', 'phi');

  // Keys: a multi-region primary that publishes its ARN, and its replica that reads it at deploy time.
  const keysPrimary = new Stack(app, 'KeysPrimary', { env: env(PRIMARY), stackName: 'fx-keys-us-east-1' });
  const phiKey = new kms.CfnKey(keysPrimary, 'PhiKey', {
    multiRegion: true,
    enableKeyRotation: true,
    rotationPeriodInDays: 365,
    keyPolicy: { Version: '2012-10-17', Statement: [] },
    tags: [{ key: 'clinical-ai:data-domain', value: 'phi-data' }],
  });
  new kms.CfnAlias(keysPrimary, 'PhiAlias', { aliasName: 'alias/fx/phi-data', targetKeyId: phiKey.attrArn });
  new ssm.CfnParameter(keysPrimary, 'PhiKeyArn', {
    name: '/fx/keys/phi-data/primary-arn',
    type: 'String',
    value: phiKey.attrArn,
  });

  const keysDr = new Stack(app, 'KeysDr', { env: env(DR), stackName: 'fx-keys-us-west-2' });
  const reader = new CfnResource(keysDr, 'PhiKeyArnReader', {
    type: 'Custom::CrossRegionParameter',
    properties: {
      ServiceToken: `arn:aws:lambda:${DR}:${ACCOUNT}:function:reader`,
      ParameterName: '/fx/keys/phi-data/primary-arn',
      Region: PRIMARY,
    },
  });
  const drKey = new kms.CfnReplicaKey(keysDr, 'PhiKey', {
    primaryKeyArn: reader.getAtt('Value').toString(),
    keyPolicy: { Version: '2012-10-17', Statement: [] },
    tags: [{ key: 'clinical-ai:data-domain', value: 'phi-data' }],
  });
  new kms.CfnAlias(keysDr, 'PhiAlias', { aliasName: 'alias/fx/phi-data', targetKeyId: drKey.attrArn });
  new kms.CfnKey(keysDr, 'LegacyKey', {
    enableKeyRotation: false,
    keyPolicy: { Version: '2012-10-17', Statement: [] },
  });

  // The primary region's stores, encrypted with the key of another stack (a cross-stack reference).
  const data = new Stack(app, 'DataPrimary', { env: env(PRIMARY), stackName: 'fx-data-us-east-1' });
  data.addStackDependency(keysPrimary);
  const documents = new s3.CfnBucket(data, 'Documents', {
    bucketName: 'fx-documents-use1',
    bucketEncryption: {
      serverSideEncryptionConfiguration: [
        {
          serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: phiKey.attrArn },
          bucketKeyEnabled: true,
        },
      ],
    },
    versioningConfiguration: { status: 'Enabled' },
    lifecycleConfiguration: { rules: [{ id: 'keep-six-years', status: 'Enabled', expirationInDays: 2192 }] },
    replicationConfiguration: {
      role: `arn:aws:iam::${ACCOUNT}:role/replication`,
      rules: [
        {
          status: 'Enabled',
          priority: 1,
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Enabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: 'arn:aws:s3:::fx-documents-usw2',
            encryptionConfiguration: { replicaKmsKeyId: `arn:aws:kms:${DR}:${ACCOUNT}:alias/fx/phi-data` },
            replicationTime: { status: 'Enabled', time: { minutes: 15 } },
            metrics: { status: 'Enabled', eventThreshold: { minutes: 15 } },
          },
        },
      ],
    },
  });
  new s3.CfnBucket(data, 'Scratch', {
    bucketEncryption: {
      serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    },
  });
  new dynamodb.CfnGlobalTable(data, 'Records', {
    tableName: 'fx-records',
    billingMode: 'PAY_PER_REQUEST',
    attributeDefinitions: [{ attributeName: 'pk', attributeType: 'S' }],
    keySchema: [{ attributeName: 'pk', keyType: 'HASH' }],
    sseSpecification: { sseEnabled: true, sseType: 'KMS' },
    replicas: [
      {
        region: PRIMARY,
        sseSpecification: { kmsMasterKeyId: phiKey.attrArn },
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtectionEnabled: true,
        tags: [{ key: 'data-classification', value: 'phi' }],
      },
      {
        region: DR,
        sseSpecification: { kmsMasterKeyId: 'alias/fx/phi-data' },
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtectionEnabled: true,
        tags: [{ key: 'data-classification', value: 'phi' }],
      },
    ],
  });
  const primaryCluster = new rds.CfnDBCluster(data, 'PrimaryCluster', {
    engine: 'aurora-postgresql',
    storageEncrypted: true,
    kmsKeyId: phiKey.attrArn,
    backupRetentionPeriod: 35,
    deletionProtection: true,
    serverlessV2ScalingConfiguration: {
      minCapacity: config.capacity.aurora.minAcu,
      maxCapacity: config.capacity.aurora.maxAcu,
    },
  });
  new rds.CfnGlobalCluster(data, 'GlobalDb', {
    globalClusterIdentifier: 'fx-global',
    sourceDbClusterIdentifier: primaryCluster.ref,
  });
  const vault = new backup.CfnBackupVault(data, 'Vault', {
    backupVaultName: 'fx-vault-use1',
    encryptionKeyArn: phiKey.attrArn,
    lockConfiguration: { minRetentionDays: 35, changeableForDays: 3 },
  });
  const plan = new backup.CfnBackupPlan(data, 'Plan', {
    backupPlan: {
      backupPlanName: 'fx-daily',
      backupPlanRule: [
        {
          ruleName: 'daily',
          targetBackupVault: vault.ref,
          scheduleExpression: 'cron(0 5 * * ? *)',
          lifecycle: { deleteAfterDays: 35 },
          copyActions: [
            {
              destinationBackupVaultArn: `arn:aws:backup:${DR}:${ACCOUNT}:backup-vault:fx-vault-usw2`,
              lifecycle: { deleteAfterDays: 35 },
            },
          ],
        },
      ],
    },
  });
  new backup.CfnBackupSelection(data, 'Selection', {
    backupPlanId: plan.ref,
    backupSelection: {
      selectionName: 'stores',
      iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/backup`,
      resources: [primaryCluster.attrDbClusterArn, documents.attrArn],
    },
  });
  new sqs.CfnQueue(data, 'Intake', { kmsMasterKeyId: phiKey.attrArn, messageRetentionPeriod: 1209600 });
  new logs.CfnLogGroup(data, 'AuditLog', { retentionInDays: 2192, kmsKeyId: phiKey.attrArn });
  new lambda.CfnFunction(data, 'Handler', {
    code: { zipFile: 'exports.handler = async () => ({})' },
    role: `arn:aws:iam::${ACCOUNT}:role/handler`,
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    reservedConcurrentExecutions: config.capacity.lambda.reservedConcurrency,
  });
  new autoscaling.CfnScalableTarget(data, 'EndpointScaling', {
    serviceNamespace: 'sagemaker',
    scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
    resourceId: 'endpoint/fx/variant/primary',
    minCapacity: config.capacity.sagemaker.minInstances,
    maxCapacity: config.capacity.sagemaker.maxInstances + 1,
  });

  // The DR region: the replica bucket, the Aurora secondary and the locked vault that receives copies.
  const dataDr = new Stack(app, 'DataDr', { env: env(DR), stackName: 'fx-data-us-west-2' });
  dataDr.addStackDependency(keysDr);
  new s3.CfnBucket(dataDr, 'DocumentsReplica', {
    bucketName: 'fx-documents-usw2',
    bucketEncryption: {
      serverSideEncryptionConfiguration: [
        { serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: drKey.attrArn } },
      ],
    },
    versioningConfiguration: { status: 'Enabled' },
  });
  new rds.CfnDBCluster(dataDr, 'SecondaryCluster', {
    engine: 'aurora-postgresql',
    storageEncrypted: true,
    kmsKeyId: drKey.attrArn,
    globalClusterIdentifier: 'fx-global',
    deletionProtection: true,
  });
  new backup.CfnBackupVault(dataDr, 'Vault', {
    backupVaultName: 'fx-vault-usw2',
    encryptionKeyArn: drKey.attrArn,
    lockConfiguration: { minRetentionDays: 35, changeableForDays: 3 },
  });
  return { app, config, outdir };
}

/** The result of an in-process synth that wrote the evidence report. */
export interface EvidenceSynth {
  readonly app: App;
  readonly config: PlatformConfig;
  readonly outdir: string;
  /** `<outdir>/compliance` */
  readonly dir: string;
  /** The synth's error when the gate failed it (the report is written all the same). */
  readonly error?: Error;
  /** How many times any pack applied a rule to a resource (counted independently of the recorder). */
  readonly applied: ReadonlyMap<string, number>;
}

/**
 * Synthesizes a profile as `npx cdk synth` does (the compliance gate registered, `synthWithEvidence`), into
 * a temp dir, without Lambda bundling; counts every `NagPack.applyRule` call per pack on the side.
 */
export function synthPlatformWithEvidence(
  profile: string,
  options: EvidenceReportOptions & { readonly addToApp?: (app: App) => void } = {},
): EvidenceSynth {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `evidence-${profile}-`));
  const app = new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  registerComplianceGate(app);
  const config = loadProfile(profile);
  buildPlatform(app, config);
  options.addToApp?.(app);
  return synthCounting(app, config, outdir, options);
}

/** Runs `synthWithEvidence` on an app, quietly, counting rule applications per pack. */
export function synthCounting(
  app: App,
  config: PlatformConfig,
  outdir: string,
  options: EvidenceReportOptions = {},
): EvidenceSynth {
  const applied = new Map<string, number>();
  const proto = NagPack.prototype as unknown as { applyRule: (this: NagPack, params: unknown) => void };
  const original = proto.applyRule;
  const counter = jest.spyOn(proto, 'applyRule').mockImplementation(function (
    this: NagPack,
    params: unknown,
  ) {
    applied.set(this.name, (applied.get(this.name) ?? 0) + 1);
    original.call(this, params);
  });
  const quiet = [
    jest.spyOn(console, 'error').mockImplementation(() => undefined),
    jest.spyOn(console, 'log').mockImplementation(() => undefined),
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true),
  ];
  let error: Error | undefined;
  try {
    synthWithEvidence(app, config, options);
  } catch (err) {
    error = err as Error;
  } finally {
    counter.mockRestore();
    quiet.forEach((q) => q.mockRestore());
  }
  return { app, config, outdir, dir: path.join(outdir, 'compliance'), applied, ...(error ? { error } : {}) };
}
