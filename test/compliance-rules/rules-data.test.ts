import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { NagRuleCompliance } from 'cdk-nag';
import { AuroraClusterProtected } from '../../compliance-rules/rules/aurora-cluster-protected';
import { AuroraGlobalClusterProtected } from '../../compliance-rules/rules/aurora-global-cluster-protected';
import { DataStoreClassified } from '../../compliance-rules/rules/data-store-classified';
import { DynamoDbTableProtected } from '../../compliance-rules/rules/dynamodb-table-protected';
import { PhiStoreRetained } from '../../compliance-rules/rules/phi-store-retained';
import { S3ReplicationDestinationProtected } from '../../compliance-rules/rules/s3-replication-destination-protected';
import { StoreBackedUpToLockedVault } from '../../compliance-rules/rules/store-backed-up-to-locked-vault';
import { ACCOUNT, check, fixtureApp, plainStack, profiledStack } from './fixtures';

const { COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE } = NagRuleCompliance;
const DR_KEY = `arn:aws:kms:us-west-2:${ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef`;

describe('DynamoDbTableProtected', () => {
  function globalTable(
    replica: Partial<dynamodb.ReplicaTableProps> = {},
    props: Partial<dynamodb.TablePropsV2> = {},
  ) {
    const stack = plainStack(fixtureApp());
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    return new dynamodb.TableV2(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(key, { 'us-west-2': DR_KEY }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      replicas: [{ region: 'us-west-2', ...replica }],
      ...props,
    });
  }

  test('a global table whose every replica has PITR, a CMK and deletion protection complies', () => {
    expect(check(DynamoDbTableProtected, globalTable())).toBe(COMPLIANT);
  });

  test('one replica without deletion protection fails the whole table', () => {
    expect(check(DynamoDbTableProtected, globalTable({ deletionProtection: false }))).toBe(NON_COMPLIANT);
  });

  test('one replica without PITR fails', () => {
    const t = globalTable({ pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false } });
    expect(check(DynamoDbTableProtected, t)).toBe(NON_COMPLIANT);
  });

  test('the AWS-owned key fails', () => {
    expect(
      check(
        DynamoDbTableProtected,
        globalTable({}, { encryption: dynamodb.TableEncryptionV2.dynamoOwnedKey() }),
      ),
    ).toBe(NON_COMPLIANT);
  });

  test('an escape-hatch override is seen: PITR switched off on the rendered template fails', () => {
    const t = globalTable();
    (t.node.defaultChild as dynamodb.CfnGlobalTable).addPropertyOverride(
      'Replicas.0.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled',
      false,
    );
    expect(check(DynamoDbTableProtected, t)).toBe(NON_COMPLIANT);
  });

  test('a classic table is held to the same bar', () => {
    const stack = plainStack(fixtureApp());
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const good = new dynamodb.Table(stack, 'Good', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
    });
    const bad = new dynamodb.Table(stack, 'Bad', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });
    expect(check(DynamoDbTableProtected, good)).toBe(COMPLIANT);
    expect(check(DynamoDbTableProtected, bad)).toBe(NON_COMPLIANT);
  });
});

describe('AuroraClusterProtected and AuroraGlobalClusterProtected', () => {
  function cluster(props: Partial<rds.CfnDBClusterProps> = {}) {
    const stack = plainStack(fixtureApp());
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const c = new rds.CfnDBCluster(stack, 'Cluster', {
      engine: 'aurora-postgresql',
      storageEncrypted: true,
      kmsKeyId: key.keyArn,
      enableIamDatabaseAuthentication: true,
      deletionProtection: true,
      ...props,
    });
    return { stack, c };
  }

  test('a CMK-encrypted cluster with IAM auth and deletion protection complies', () => {
    expect(check(AuroraClusterProtected, cluster().c)).toBe(COMPLIANT);
  });

  test.each([
    ['no customer-managed key', { kmsKeyId: undefined }],
    ['the AWS-managed key', { kmsKeyId: 'alias/aws/rds' }],
    ['no IAM authentication', { enableIamDatabaseAuthentication: false }],
    ['no deletion protection', { deletionProtection: undefined }],
    ['unencrypted', { storageEncrypted: false }],
  ])('fails with %s', (_what, props) => {
    expect(check(AuroraClusterProtected, cluster(props).c)).toBe(NON_COMPLIANT);
  });

  test('a global database secondary without its own region key fails like any cluster', () => {
    const { c } = cluster({ globalClusterIdentifier: 'clinical-global', kmsKeyId: undefined });
    expect(check(AuroraClusterProtected, c)).toBe(NON_COMPLIANT);
  });

  test('a global cluster made from the encrypted primary with deletion protection complies; without protection it fails', () => {
    const { stack, c } = cluster();
    const good = new rds.CfnGlobalCluster(stack, 'Global', {
      sourceDbClusterIdentifier: c.ref,
      deletionProtection: true,
    });
    const bad = new rds.CfnGlobalCluster(stack, 'Unprotected', { sourceDbClusterIdentifier: c.ref });
    expect(check(AuroraGlobalClusterProtected, good)).toBe(COMPLIANT);
    expect(check(AuroraGlobalClusterProtected, bad)).toBe(NON_COMPLIANT);
  });

  test('an empty global cluster must be StorageEncrypted', () => {
    const stack = plainStack(fixtureApp());
    const g = new rds.CfnGlobalCluster(stack, 'Global', {
      engine: 'aurora-postgresql',
      deletionProtection: true,
      storageEncrypted: false,
    });
    expect(check(AuroraGlobalClusterProtected, g)).toBe(NON_COMPLIANT);
  });
});

describe('S3ReplicationDestinationProtected', () => {
  function replicating(
    rule: Partial<s3.CfnBucket.ReplicationRuleProperty> = {},
    destName = 'cap-prod-docs-us-west-2',
  ) {
    const app = fixtureApp();
    const primary = plainStack(app, 'Primary', 'us-east-1');
    const dr = plainStack(app, 'Dr', 'us-west-2');
    new s3.CfnBucket(dr, 'Replica', { bucketName: 'cap-prod-docs-us-west-2' });
    const source = new s3.CfnBucket(primary, 'Source', {
      versioningConfiguration: { status: 'Enabled' },
      replicationConfiguration: {
        role: `arn:aws:iam::${ACCOUNT}:role/replication`,
        rules: [
          {
            status: 'Enabled',
            priority: 1,
            filter: { prefix: '' },
            deleteMarkerReplication: { status: 'Disabled' },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
            destination: {
              bucket: `arn:aws:s3:::${destName}`,
              encryptionConfiguration: { replicaKmsKeyId: DR_KEY },
              replicationTime: { status: 'Enabled', time: { minutes: 15 } },
              metrics: { status: 'Enabled', eventThreshold: { minutes: 15 } },
            },
            ...rule,
          },
        ],
      },
    });
    return source;
  }

  test('replicas under a key of the destination region, with RTC and SSE-KMS objects selected, comply', () => {
    expect(check(S3ReplicationDestinationProtected, replicating())).toBe(COMPLIANT);
  });

  test('a destination key of the source region fails', () => {
    const b = replicating({
      destination: {
        bucket: 'arn:aws:s3:::cap-prod-docs-us-west-2',
        encryptionConfiguration: { replicaKmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/abc` },
        replicationTime: { status: 'Enabled', time: { minutes: 15 } },
        metrics: { status: 'Enabled', eventThreshold: { minutes: 15 } },
      },
    });
    expect(check(S3ReplicationDestinationProtected, b)).toEqual(['DestinationKeyInOtherRegion']);
  });

  test('no destination key, no RTC and unselected SSE-KMS objects are each named', () => {
    const b = replicating({
      sourceSelectionCriteria: undefined,
      destination: { bucket: 'arn:aws:s3:::cap-prod-docs-us-west-2' },
    });
    expect(check(S3ReplicationDestinationProtected, b)).toEqual(
      expect.arrayContaining(['KmsObjectsNotReplicated', 'NoDestinationKey', 'NoReplicationTimeControl']),
    );
  });

  test('a destination outside the app cannot be shown to match its key region', () => {
    expect(check(S3ReplicationDestinationProtected, replicating({}, 'someone-elses-bucket'))).toEqual([
      'DestinationKeyRegionUnverifiable',
    ]);
  });

  test('a bucket without replication is not applicable', () => {
    const stack = plainStack(fixtureApp());
    expect(check(S3ReplicationDestinationProtected, new s3.CfnBucket(stack, 'Plain'))).toBe(NOT_APPLICABLE);
  });
});

describe('StoreBackedUpToLockedVault', () => {
  function table(scope: Construct) {
    return new dynamodb.TableV2(scope, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
  const lock = { minRetention: Duration.days(35), changeableFor: Duration.days(3) };

  test('poc: a store selected by a plan into a compliance-mode locked vault complies', () => {
    const stack = profiledStack(fixtureApp(), 'poc');
    const t = table(stack);
    const vault = new backup.BackupVault(stack, 'Vault', { lockConfiguration: lock });
    const plan = new backup.BackupPlan(stack, 'Plan', { backupVault: vault });
    plan.addRule(new backup.BackupPlanRule({ ruleName: 'daily', deleteAfter: Duration.days(35) }));
    plan.addSelection('Stores', { resources: [backup.BackupResource.fromArn(t.tableArn)] });
    expect(check(StoreBackedUpToLockedVault, t)).toBe(COMPLIANT);
  });

  test('BackupResource.fromConstruct(TableV2) selects nothing (CDK knows only Table): the rule sees through it', () => {
    const stack = profiledStack(fixtureApp(), 'poc');
    const t = table(stack);
    const vault = new backup.BackupVault(stack, 'Vault', { lockConfiguration: lock });
    const plan = new backup.BackupPlan(stack, 'Plan', { backupVault: vault });
    plan.addRule(new backup.BackupPlanRule({ ruleName: 'daily', deleteAfter: Duration.days(35) }));
    plan.addSelection('Stores', { resources: [backup.BackupResource.fromConstruct(t)] });
    expect(check(StoreBackedUpToLockedVault, t)).toEqual(['NotInBackupPlan']);
  });

  test("a plan in another region does not cover a store, even by a wildcard or the store's own name", () => {
    const app = fixtureApp();
    const west = profiledStack(app, 'poc', 'us-west-2', 'West');
    const t = new dynamodb.TableV2(west, 'Table', {
      tableName: 'cap-fixture-table',
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const east = profiledStack(app, 'poc', 'us-east-1', 'East');
    const vault = new backup.BackupVault(east, 'Vault', { lockConfiguration: lock });
    const plan = new backup.BackupPlan(east, 'Plan', { backupVault: vault });
    plan.addRule(new backup.BackupPlanRule({ ruleName: 'daily', deleteAfter: Duration.days(35) }));
    plan.addSelection('Stores', {
      resources: [
        backup.BackupResource.fromArn('arn:aws:dynamodb:us-west-2:123456789012:table/cap-fixture-table'),
        backup.BackupResource.fromArn('*'),
      ],
    });
    expect(check(StoreBackedUpToLockedVault, t)).toEqual(['NotInBackupPlan']);
  });

  test('a store that no selection covers fails', () => {
    const stack = profiledStack(fixtureApp(), 'poc');
    expect(check(StoreBackedUpToLockedVault, table(stack))).toEqual(['NotInBackupPlan']);
  });

  test('a governance-mode (or unlocked) vault fails', () => {
    const stack = profiledStack(fixtureApp(), 'poc');
    const t = table(stack);
    const vault = new backup.BackupVault(stack, 'Vault', {
      lockConfiguration: { minRetention: Duration.days(35) },
    });
    const plan = new backup.BackupPlan(stack, 'Plan', { backupVault: vault });
    plan.addRule(new backup.BackupPlanRule({ ruleName: 'daily', deleteAfter: Duration.days(35) }));
    plan.addSelection('Stores', { resources: [backup.BackupResource.fromArn(t.tableArn)] });
    expect(check(StoreBackedUpToLockedVault, t)).toEqual(['VaultNotLocked']);
  });

  function productionPlan(copyTo?: string, drLocked = true) {
    const app = fixtureApp();
    const primary = profiledStack(app, 'production', 'us-east-1');
    const dr = profiledStack(app, 'production', 'us-west-2');
    new backup.BackupVault(dr, 'DrVault', {
      backupVaultName: 'cap-prod-vault-us-west-2',
      lockConfiguration: drLocked ? lock : undefined,
    });
    const t = table(primary);
    Tags.of(t).add('backup', 'daily');
    const vault = new backup.BackupVault(primary, 'Vault', { lockConfiguration: lock });
    const plan = new backup.BackupPlan(primary, 'Plan', { backupVault: vault });
    plan.addRule(
      new backup.BackupPlanRule({
        ruleName: 'daily',
        deleteAfter: Duration.days(35),
        copyActions: copyTo
          ? [
              {
                destinationBackupVault: backup.BackupVault.fromBackupVaultArn(primary, 'DrVaultRef', copyTo),
                deleteAfter: Duration.days(35),
              },
            ]
          : undefined,
      }),
    );
    // Selection by tag, the other way a plan picks its stores.
    plan.addSelection('Tagged', { resources: [backup.BackupResource.fromTag('backup', 'daily')] });
    return t;
  }
  const DR_VAULT = `arn:aws:backup:us-west-2:${ACCOUNT}:backup-vault:cap-prod-vault-us-west-2`;

  test("production: a copy into the DR region's locked vault complies", () => {
    expect(check(StoreBackedUpToLockedVault, productionPlan(DR_VAULT))).toBe(COMPLIANT);
  });

  test('production: no cross-region copy fails', () => {
    expect(check(StoreBackedUpToLockedVault, productionPlan())).toEqual(['NoCrossRegionCopy']);
  });

  test('production: a copy into an unlocked DR vault, or one the app does not create, fails', () => {
    expect(check(StoreBackedUpToLockedVault, productionPlan(DR_VAULT, false))).toEqual([
      'CopyVaultNotLocked',
    ]);
    expect(
      check(
        StoreBackedUpToLockedVault,
        productionPlan(`arn:aws:backup:us-west-2:${ACCOUNT}:backup-vault:elsewhere`),
      ),
    ).toEqual(['CopyVaultNotLocked']);
  });
});

describe('DataStoreClassified and PhiStoreRetained', () => {
  test('a store tagged phi and retained complies with both', () => {
    const stack = plainStack(fixtureApp());
    const b = new s3.Bucket(stack, 'Docs', { removalPolicy: RemovalPolicy.RETAIN });
    Tags.of(b).add('data-classification', 'phi');
    expect(check(DataStoreClassified, b)).toBe(COMPLIANT);
    expect(check(PhiStoreRetained, b)).toBe(COMPLIANT);
  });

  test('an unclassified store fails classification, and counts as PHI: destroying it fails', () => {
    const stack = plainStack(fixtureApp());
    const b = new s3.Bucket(stack, 'Docs', { removalPolicy: RemovalPolicy.DESTROY });
    expect(check(DataStoreClassified, b)).toBe(NON_COMPLIANT);
    expect(check(PhiStoreRetained, b)).toBe(NON_COMPLIANT);
  });

  test('a classification outside the vocabulary fails', () => {
    const stack = plainStack(fixtureApp());
    const b = new s3.Bucket(stack, 'Docs');
    Tags.of(b).add('data-classification', 'top-secret');
    expect(check(DataStoreClassified, b)).toBe(NON_COMPLIANT);
  });

  test('every global-table replica must carry the tag', () => {
    const stack = plainStack(fixtureApp());
    const t = new dynamodb.CfnGlobalTable(stack, 'Table', {
      attributeDefinitions: [{ attributeName: 'pk', attributeType: 'S' }],
      keySchema: [{ attributeName: 'pk', keyType: 'HASH' }],
      billingMode: 'PAY_PER_REQUEST',
      replicas: [
        { region: 'us-east-1', tags: [{ key: 'data-classification', value: 'phi' }] },
        { region: 'us-west-2' },
      ],
    });
    expect(check(DataStoreClassified, t)).toBe(NON_COMPLIANT);
  });

  test('a PHI store retained on delete but replaced with Delete fails', () => {
    const stack = plainStack(fixtureApp());
    const b = new s3.CfnBucket(stack, 'Docs', { tags: [{ key: 'data-classification', value: 'phi' }] });
    b.applyRemovalPolicy(RemovalPolicy.RETAIN);
    b.addOverride('UpdateReplacePolicy', 'Delete');
    expect(check(PhiStoreRetained, b)).toBe(NON_COMPLIANT);
  });

  test('an RDS cluster kept by Snapshot complies; a confidential store is not a PHI store', () => {
    const stack = plainStack(fixtureApp());
    const c = new rds.CfnDBCluster(stack, 'Cluster', { engine: 'aurora-postgresql' });
    c.applyRemovalPolicy(RemovalPolicy.SNAPSHOT);
    const logs = new s3.Bucket(stack, 'Logs', { removalPolicy: RemovalPolicy.DESTROY });
    Tags.of(logs).add('data-classification', 'confidential');
    expect(check(PhiStoreRetained, c)).toBe(COMPLIANT);
    expect(check(PhiStoreRetained, logs)).toBe(NOT_APPLICABLE);
  });
});
