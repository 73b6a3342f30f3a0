import { CfnResource, Duration, Fn, RemovalPolicy, Tags } from 'aws-cdk-lib';
import type { App, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { NagRuleCompliance } from 'cdk-nag';
import { PhiStoreDrCopy } from '../../compliance-rules/rules/phi-store-dr-copy';
import { PhiStoreKeyPolicyScoped } from '../../compliance-rules/rules/phi-store-key-policy-scoped';
import { DataDomainKey } from '../../lib/constructs/data-domain-key';
import { ACCOUNT, check, fixtureApp, plainStack, profiledStack } from './fixtures';

const { COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE } = NagRuleCompliance;

function production(): { app: App; primary: Stack; dr: Stack } {
  const app = fixtureApp();
  return {
    app,
    primary: profiledStack(app, 'production', 'us-east-1'),
    dr: profiledStack(app, 'production', 'us-west-2'),
  };
}

function phiBucket(scope: Stack, id: string, props: Partial<s3.CfnBucketProps> = {}) {
  const b = new s3.CfnBucket(scope, id, { versioningConfiguration: { status: 'Enabled' }, ...props });
  Tags.of(b).add('data-classification', 'phi');
  return b;
}

describe('PhiStoreDrCopy (relational)', () => {
  test('production: a primary PHI bucket replicating into a DR-region bucket of the app complies', () => {
    const { primary, dr } = production();
    phiBucket(dr, 'Replica', { bucketName: 'cap-prod-docs-us-west-2' });
    const source = phiBucket(primary, 'Docs', {
      replicationConfiguration: {
        role: `arn:aws:iam::${ACCOUNT}:role/replication`,
        rules: [{ status: 'Enabled', destination: { bucket: 'arn:aws:s3:::cap-prod-docs-us-west-2' } }],
      },
    });
    expect(check(PhiStoreDrCopy, source)).toBe(COMPLIANT);
  });

  test('production: a primary PHI store with no DR counterpart fails', () => {
    const primary = profiledStack(fixtureApp(), 'production', 'us-east-1');
    expect(check(PhiStoreDrCopy, phiBucket(primary, 'Docs'))).toBe(NON_COMPLIANT);
  });

  test('a global table with a replica in the DR region complies; one replicated elsewhere fails', () => {
    const primary = profiledStack(fixtureApp(), 'production', 'us-east-1');
    const table = (id: string, region: string) =>
      new dynamodb.TableV2(primary, id, {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        replicas: [{ region }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
    expect(check(PhiStoreDrCopy, table('InDr', 'us-west-2'))).toBe(COMPLIANT);
    expect(check(PhiStoreDrCopy, table('Elsewhere', 'eu-west-1'))).toBe(NON_COMPLIANT);
  });

  test('an Aurora cluster whose global database has a member in the DR region complies', () => {
    const { primary, dr } = production();
    const writer = new rds.CfnDBCluster(primary, 'Writer', {
      engine: 'aurora-postgresql',
      storageEncrypted: true,
    });
    const global = new rds.CfnGlobalCluster(primary, 'Global', {
      globalClusterIdentifier: 'cap-prod-clinical',
      sourceDbClusterIdentifier: writer.ref,
    });
    const member = new rds.CfnDBCluster(primary, 'Member', {
      engine: 'aurora-postgresql',
      globalClusterIdentifier: global.ref,
    });
    new rds.CfnDBCluster(dr, 'Secondary', {
      engine: 'aurora-postgresql',
      globalClusterIdentifier: 'cap-prod-clinical',
    });
    const alone = new rds.CfnDBCluster(primary, 'Alone', { engine: 'aurora-postgresql' });
    expect(check(PhiStoreDrCopy, member)).toBe(COMPLIANT);
    // The writer the global database was created from belongs to it without naming it.
    expect(check(PhiStoreDrCopy, writer)).toBe(COMPLIANT);
    expect(check(PhiStoreDrCopy, alone)).toBe(NON_COMPLIANT);
  });

  test('a backup copy into a DR-region vault of the app counts as the DR copy', () => {
    const { primary, dr } = production();
    new backup.BackupVault(dr, 'DrVault', { backupVaultName: 'cap-prod-vault-us-west-2' });
    const docs = phiBucket(primary, 'Docs');
    const plan = new backup.BackupPlan(primary, 'Plan');
    plan.addRule(
      new backup.BackupPlanRule({
        ruleName: 'daily',
        deleteAfter: Duration.days(35),
        copyActions: [
          {
            destinationBackupVault: backup.BackupVault.fromBackupVaultArn(
              primary,
              'DrVaultRef',
              `arn:aws:backup:us-west-2:${ACCOUNT}:backup-vault:cap-prod-vault-us-west-2`,
            ),
            deleteAfter: Duration.days(35),
          },
        ],
      }),
    );
    plan.addSelection('Docs', { resources: [backup.BackupResource.fromArn(docs.attrArn)] });
    expect(check(PhiStoreDrCopy, docs)).toBe(COMPLIANT);
  });

  test('not applicable in poc, to DR-region stores and to non-PHI stores', () => {
    const poc = profiledStack(fixtureApp(), 'poc');
    expect(check(PhiStoreDrCopy, phiBucket(poc, 'Docs'))).toBe(NOT_APPLICABLE);
    const { primary, dr } = production();
    const drDocs = phiBucket(dr, 'DrDocs');
    const logs = new s3.CfnBucket(primary, 'Logs');
    Tags.of(logs).add('data-classification', 'confidential');
    expect(check(PhiStoreDrCopy, drDocs)).toBe(NOT_APPLICABLE);
    expect(check(PhiStoreDrCopy, logs)).toBe(NOT_APPLICABLE);
  });
});

describe('PhiStoreKeyPolicyScoped (relational)', () => {
  const encrypted = (scope: Stack, id: string, key: unknown) =>
    phiBucket(scope, id, {
      bucketEncryption: {
        serverSideEncryptionConfiguration: [
          { serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key as string } },
        ],
      },
    });

  test('a store under a DataDomainKey (administration for the account, use via services or tagged roles) complies', () => {
    const stack = plainStack(fixtureApp());
    const key = new DataDomainKey(stack, 'Phi', { domain: 'phi-data' });
    expect(check(PhiStoreKeyPolicyScoped, encrypted(stack, 'Docs', key.keyArn))).toBe(COMPLIANT);
  });

  test('the key is followed into another stack (a consumer importing the foundation key by ARN)', () => {
    const app = fixtureApp();
    const foundation = plainStack(app, 'Foundation');
    const data = plainStack(app, 'Data');
    const good = new DataDomainKey(foundation, 'Phi', { domain: 'phi-data' });
    const broad = new kms.Key(foundation, 'Broad', { enableKeyRotation: true });
    const goodRef = kms.Key.fromKeyArn(data, 'GoodRef', good.keyArn);
    const broadRef = kms.Key.fromKeyArn(data, 'BroadRef', broad.keyArn);
    expect(check(PhiStoreKeyPolicyScoped, encrypted(data, 'Good', goodRef.keyArn))).toBe(COMPLIANT);
    expect(check(PhiStoreKeyPolicyScoped, encrypted(data, 'Broad', broadRef.keyArn))).toEqual([
      'KeyPolicyGrantsKmsStar',
    ]);
  });

  test("CDK's default key policy (kms:* to the account root) fails", () => {
    const stack = plainStack(fixtureApp());
    const key = new kms.Key(stack, 'Default', { enableKeyRotation: true });
    expect(check(PhiStoreKeyPolicyScoped, encrypted(stack, 'Docs', key.keyArn))).toEqual([
      'KeyPolicyGrantsKmsStar',
    ]);
  });

  test('unconditioned Decrypt to the account fails; the same grant narrowed by kms:ViaService complies', () => {
    const stack = plainStack(fixtureApp());
    const policy = (conditions?: Record<string, unknown>) =>
      new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            principals: [new iam.AccountRootPrincipal()],
            actions: ['kms:Describe*', 'kms:Put*'],
            resources: ['*'],
          }),
          new iam.PolicyStatement({
            principals: [new iam.AccountRootPrincipal()],
            actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            resources: ['*'],
            conditions,
          }),
        ],
      });
    const open = new kms.Key(stack, 'Open', { enableKeyRotation: true, policy: policy() });
    const scoped = new kms.Key(stack, 'Scoped', {
      enableKeyRotation: true,
      policy: policy({ StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } }),
    });
    expect(check(PhiStoreKeyPolicyScoped, encrypted(stack, 'OpenDocs', open.keyArn))).toEqual([
      'KeyPolicyGrantsUnscopedUse',
    ]);
    expect(check(PhiStoreKeyPolicyScoped, encrypted(stack, 'ScopedDocs', scoped.keyArn))).toBe(COMPLIANT);
  });

  test('a key outside the app, the AWS-managed key, and no KMS key at all are each named', () => {
    const stack = plainStack(fixtureApp());
    const outside = encrypted(
      stack,
      'Outside',
      `arn:aws:kms:us-east-1:${ACCOUNT}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0`,
    );
    const managed = encrypted(stack, 'Managed', 'alias/aws/s3');
    const sseS3 = phiBucket(stack, 'SseS3', {
      bucketEncryption: {
        serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
      },
    });
    expect(check(PhiStoreKeyPolicyScoped, outside)).toEqual(['KeyOutsideApp']);
    expect(check(PhiStoreKeyPolicyScoped, managed)).toEqual(['NoCustomerManagedKey']);
    expect(check(PhiStoreKeyPolicyScoped, sseS3)).toEqual(['NoCustomerManagedKey']);
  });

  test("a global table's DR replica key, given as an ARN computed from the primary's key id, is followed to the replica", () => {
    const { primary, dr } = production();
    const phi = new DataDomainKey(primary, 'Phi', { domain: 'phi-data', multiRegion: true });
    new ssm.StringParameter(primary, 'PhiArn', {
      parameterName: '/cap-prod/keys/phi-data/primary-arn',
      stringValue: phi.keyArn,
    });
    const reader = new CfnResource(dr, 'PhiArnReader', {
      type: 'Custom::CrossRegionParameter',
      properties: {
        ServiceToken: `arn:aws:lambda:us-west-2:${ACCOUNT}:function:reader`,
        Region: 'us-east-1',
        ParameterName: '/cap-prod/keys/phi-data/primary-arn',
      },
    });
    // The DR replica's policy is deliberately broad, so that following the ARN to it is observable.
    new kms.CfnReplicaKey(dr, 'PhiReplica', {
      primaryKeyArn: reader.getAtt('Value').toString(),
      keyPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
        ],
      },
    });
    const drKeyArn = Fn.join('', [
      `arn:aws:kms:us-west-2:${ACCOUNT}:key/`,
      Fn.select(1, Fn.split('/', phi.keyArn)),
    ]);
    const table = new dynamodb.TableV2(primary, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(phi.key, { 'us-west-2': drKeyArn }),
      replicas: [{ region: 'us-west-2' }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    expect(check(PhiStoreKeyPolicyScoped, table)).toEqual(['KeyPolicyGrantsKmsStar']);
  });
});
