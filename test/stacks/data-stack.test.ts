import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgements } from '../../compliance-rules/acknowledge';
import { loadMigrationsFromDirectory } from '../../lambdas/migrate/migrations';
import {
  CLINICAL_DATABASE,
  CLUSTER_PORT,
  DATABASE_ROLES,
  MASTER_USERNAME,
  PROXY_PORT,
} from '../../lib/config/database';
import { AURORA_ENGINE_VERSION, AuroraClinicalCluster } from '../../lib/constructs/aurora-clinical-cluster';
import { DATA_BUCKET_PURPOSES, dataBucketName } from '../../lib/data-names';
import type { DataSecondaryStack } from '../../stacks/data-secondary-stack';
import type { DataStack } from '../../stacks/data-stack';
import { buildTestPlatform, platform } from '../helpers/platform';
import { DATA_PINNED } from './data-logical-ids';

/** Types that hold state: a replacement or a stack deletion would destroy it unless retained. */
const STATEFUL_TYPES = new Set([
  'AWS::KMS::Key',
  'AWS::KMS::ReplicaKey',
  'AWS::S3::Bucket',
  'AWS::Logs::LogGroup',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBInstance',
  'AWS::RDS::GlobalCluster',
  'AWS::SecretsManager::Secret',
  'AWS::Backup::BackupVault',
  'AWS::SQS::Queue',
]);

type Resource = {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
};
type Resources = Record<string, Resource>;
const resourcesOf = (t: Template, type: string): Resources => t.findResources(type) as Resources;
const only = (t: Template, type: string): [string, Resource] => {
  const all = Object.entries(resourcesOf(t, type));
  expect(all).toHaveLength(1);
  return all[0];
};

/** A weak reference to an output of the same region's foundation stack that carries the named key. */
const foundationKeyArn = (region: string, domain: 'PhiDataKey' | 'AuditLogsKey' | 'ModelArtifactsKey') => ({
  'Fn::GetStackOutput': Match.objectLike({
    Region: region,
    OutputName: Match.stringLikeRegexp(`^PublishOutputFnGetAtt${domain}[0-9A-F]{8}Arn`),
  }),
});

/** ARN of the DR region's replica of a primary-region key: the primary key's id in the DR region. */
const replicaKeyArn = (
  primaryRegion: string,
  drRegion: string,
  domain: 'PhiDataKey' | 'ModelArtifactsKey',
) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:kms:${drRegion}:`,
      { Ref: 'AWS::AccountId' },
      ':key/',
      {
        'Fn::GetStackOutput': Match.objectLike({
          Region: primaryRegion,
          OutputName: Match.stringLikeRegexp(`^PublishOutputRef${domain}[0-9A-F]{8}`),
        }),
      },
    ],
  ],
});

/** The same two references as jest asymmetric matchers, for `expect(...)` (CDK's Match only works in Template). */
const jKey = (region: string, domain: 'PhiDataKey' | 'AuditLogsKey' | 'ModelArtifactsKey'): unknown => ({
  'Fn::GetStackOutput': expect.objectContaining({
    Region: region,
    OutputName: expect.stringMatching(new RegExp(`^PublishOutputFnGetAtt${domain}[0-9A-F]{8}Arn`)) as unknown,
  }) as unknown,
});
const jReplica = (
  primaryRegion: string,
  drRegion: string,
  domain: 'PhiDataKey' | 'ModelArtifactsKey',
): unknown => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:kms:${drRegion}:`,
      { Ref: 'AWS::AccountId' },
      ':key/',
      {
        'Fn::GetStackOutput': expect.objectContaining({
          Region: primaryRegion,
          OutputName: expect.stringMatching(new RegExp(`^PublishOutputRef${domain}[0-9A-F]{8}`)) as unknown,
        }) as unknown,
      },
    ],
  ],
});

/**
 * The replication rule of the `purpose` bucket in `from` into its counterpart in `to`: every object and delete
 * marker, SSE-KMS objects included, replica modification sync (metadata changes on either side reach the other),
 * re-encrypted under `to`'s key (the multi-region replica key's id in `to`: no export), RTC 15 minutes and metrics.
 */
function expectReplicationRule(
  t: Template,
  profile: Parameters<typeof dataBucketName>[0],
  purpose: (typeof DATA_BUCKET_PURPOSES)[number],
  from: string,
  to: string,
): void {
  const domain = purpose === 'model-artifacts' ? 'ModelArtifactsKey' : 'PhiDataKey';
  t.hasResourceProperties('AWS::S3::Bucket', {
    BucketName: dataBucketName(profile, purpose, from),
    ReplicationConfiguration: {
      Role: Match.anyValue(),
      Rules: [
        {
          Id: `all-objects-to-${to}`,
          Status: 'Enabled',
          Priority: 1,
          Filter: { Prefix: '' },
          DeleteMarkerReplication: { Status: 'Enabled' },
          SourceSelectionCriteria: {
            SseKmsEncryptedObjects: { Status: 'Enabled' },
            ReplicaModifications: { Status: 'Enabled' },
          },
          Destination: {
            Bucket: `arn:aws:s3:::${dataBucketName(profile, purpose, to)}`,
            EncryptionConfiguration: { ReplicaKmsKeyID: replicaKeyArn(from, to, domain) },
            ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
            Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
          },
        },
      ],
    },
  });
}

/**
 * The three replication roles of the buckets in `from`: each reads exactly its own bucket and writes replicas into
 * exactly its counterpart in `to`, never `s3:*`; KMS decrypts through S3 in `from` and encrypts through S3 in `to`.
 */
function expectReplicationRoles(
  t: Template,
  profile: Parameters<typeof dataBucketName>[0],
  from: string,
  to: string,
): void {
  const policies = Object.values(resourcesOf(t, 'AWS::IAM::ManagedPolicy')).filter((m) =>
    String(m.Properties!['Description']).startsWith('S3 replication'),
  );
  expect(policies).toHaveLength(3);
  for (const purpose of DATA_BUCKET_PURPOSES) {
    const src = `arn:aws:s3:::${dataBucketName(profile, purpose, from)}`;
    const dst = `arn:aws:s3:::${dataBucketName(profile, purpose, to)}`;
    const policy = policies.find((m) => JSON.stringify(m).includes(`"${src}"`))!;
    const statements = (policy.Properties!['PolicyDocument'] as { Statement: Record<string, unknown>[] })
      .Statement;
    const literal = statements
      .flatMap((st) => ([] as unknown[]).concat(st['Resource']))
      .filter((r): r is string => typeof r === 'string');
    expect(literal.sort()).toEqual([src, `${src}/*`, `${dst}/*`].sort());
    const actions = (st: Record<string, unknown>) => ([] as unknown[]).concat(st['Action']).map(String);
    for (const st of statements) expect(actions(st)).not.toContain('s3:*');
    const kms = statements.filter((st) => actions(st)[0].startsWith('kms:'));
    expect(kms.map((st) => st['Condition'])).toEqual([
      { StringEquals: { 'kms:ViaService': `s3.${from}.amazonaws.com` } },
      { StringEquals: { 'kms:ViaService': `s3.${to}.amazonaws.com` } },
    ]);
  }
}

// Acknowledgements are recorded per process: take the ones each profile's build makes.
const seen = acknowledgements().length;
const poc = platform('poc');
const pocAcks = acknowledgements().slice(seen);
const seenProd = acknowledgements().length;
const production = platform('production');
const productionAcks = acknowledgements().slice(seenProd);

const PROFILES = { poc, production } as const;

describe.each(['poc', 'production'] as const)('data stacks (%s)', (profileName) => {
  const p = PROFILES[profileName];
  const { profile, capacity } = p.config;
  const primary = p.regions[0];
  const data = primary.data;
  const t = p.template(data);
  const auditDays = profile.logRetention.auditDays;
  const dr = profile.regions.dr;

  test('one data stack per region, stateful: termination protection on every data stack', () => {
    expect(p.regions.map((r) => r.data.stackName)).toEqual(
      p.config.regions.map((r) => `${profile.namePrefix}-data-${r}`),
    );
    for (const r of p.regions) {
      expect(r.data.terminationProtection).toBe(true);
      expect(r.dataSecondary?.terminationProtection ?? true).toBe(true);
    }
  });

  describe('Aurora PostgreSQL (primary region)', () => {
    const [clusterId, cluster] = only(t, 'AWS::RDS::DBCluster');
    const props = cluster.Properties!;

    test('Serverless v2 on the current engine, capacity from the capacity plan', () => {
      expect(props['Engine']).toBe('aurora-postgresql');
      expect(props['EngineVersion']).toBe(AURORA_ENGINE_VERSION.auroraPostgresFullVersion);
      expect(props['EngineVersion']).toMatch(/^16\.\d+$/);
      expect(props['ServerlessV2ScalingConfiguration']).toEqual({
        MinCapacity: capacity.aurora.minAcu,
        MaxCapacity: capacity.aurora.maxAcu,
      });
      expect(props['DBClusterIdentifier']).toBe(`${profile.namePrefix}-clinical-${primary.region}`);
      expect(props['DatabaseName']).toBe(CLINICAL_DATABASE);
      expect(props['Port']).toBe(CLUSTER_PORT);
      expect(props['Port']).not.toBe(5432);
    });

    test("encrypted with its own region's PHI key; IAM authentication; deletion protection; 35 days of backups", () => {
      expect(props['StorageEncrypted']).toBe(true);
      t.hasResourceProperties('AWS::RDS::DBCluster', {
        KmsKeyId: foundationKeyArn(primary.region, 'PhiDataKey'),
        EnableIAMDatabaseAuthentication: true,
        DeletionProtection: true,
        CopyTagsToSnapshot: true,
      });
      expect(props['BackupRetentionPeriod']).toBeGreaterThanOrEqual(35);
    });

    test('TLS 1.2+ forced and bind values kept out of the logs by the cluster parameter group', () => {
      const [pgId, pg] = only(t, 'AWS::RDS::DBClusterParameterGroup');
      expect(props['DBClusterParameterGroupName']).toEqual({ Ref: pgId });
      expect(pg.Properties!['Family']).toBe(
        `aurora-postgresql${AURORA_ENGINE_VERSION.auroraPostgresMajorVersion}`,
      );
      expect(pg.Properties!['Parameters']).toEqual(AuroraClinicalCluster.PARAMETERS);
      expect(pg.Properties!['Parameters']).toMatchObject({
        'rds.force_ssl': '1',
        ssl_min_protocol_version: 'TLSv1.2',
        log_parameter_max_length: '0',
        log_parameter_max_length_on_error: '0',
        log_error_verbosity: 'terse',
      });
    });

    test('PostgreSQL logs exported to a KMS-encrypted log group kept for the audit period, created first', () => {
      expect(props['EnableCloudwatchLogsExports']).toEqual(['postgresql']);
      const groups = Object.entries(resourcesOf(t, 'AWS::Logs::LogGroup')).filter(
        ([, g]) =>
          g.Properties!['LogGroupName'] ===
          `/aws/rds/cluster/${String(props['DBClusterIdentifier'])}/postgresql`,
      );
      expect(groups).toHaveLength(1);
      const [groupId, group] = groups[0];
      expect(group.Properties!['RetentionInDays']).toBe(auditDays);
      expect(group.Properties!['RetentionInDays']).toBeGreaterThanOrEqual(2192);
      expect(group.Properties!['KmsKeyId']).toEqual(jKey(primary.region, 'AuditLogsKey'));
      expect(group.DeletionPolicy).toBe('Retain');
      expect(cluster.DependsOn).toContain(groupId);
    });

    test('Enhanced Monitoring and Database Insights (advanced) with Performance Insights under the PHI key', () => {
      expect(props['DatabaseInsightsMode']).toBe('advanced');
      expect(props['PerformanceInsightsEnabled']).toBe(true);
      expect(props['PerformanceInsightsRetentionPeriod']).toBe(465);
      expect(props['PerformanceInsightsKmsKeyId']).toEqual(jKey(primary.region, 'PhiDataKey'));
      expect(props['MonitoringInterval']).toBeGreaterThan(0);
      const [roleId] = Object.entries(resourcesOf(t, 'AWS::IAM::Role')).find(([, r]) =>
        JSON.stringify(r.Properties!['AssumeRolePolicyDocument']).includes('monitoring.rds.amazonaws.com'),
      )!;
      expect(props['MonitoringRoleArn']).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
      // No AWS-managed policy on the monitoring role: a customer-managed one limited to RDSOSMetrics here.
      t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        Roles: [{ Ref: roleId }],
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
              Resource: `arn:aws:logs:${primary.region}:${profile.account}:log-group:RDSOSMetrics`,
            }),
          ]),
        }),
      });
      expect(resourcesOf(t, 'AWS::IAM::Role')[roleId].Properties!['ManagedPolicyArns']).toBeUndefined();
    });

    test(`${profile.limits.aurora.instances} Serverless v2 instance(s), each in its own AZ, private, monitored`, () => {
      const instances = Object.values(resourcesOf(t, 'AWS::RDS::DBInstance'));
      expect(instances).toHaveLength(profile.limits.aurora.instances);
      const azs = instances.map((i) => i.Properties!['AvailabilityZone']);
      expect(new Set(azs).size).toBe(instances.length);
      for (const i of instances) {
        expect(i.Properties).toMatchObject({
          DBClusterIdentifier: { Ref: clusterId },
          DBInstanceClass: 'db.serverless',
          Engine: 'aurora-postgresql',
          PubliclyAccessible: false,
          EnablePerformanceInsights: true,
          PerformanceInsightsKMSKeyId: jKey(primary.region, 'PhiDataKey'),
          MonitoringInterval: props['MonitoringInterval'],
        });
      }
      if (profileName === 'production') expect(instances.length).toBeGreaterThanOrEqual(2);
    });

    test('the master password lives in Secrets Manager under the PHI key and rotates in the VPC', () => {
      const [secretId, secret] = only(t, 'AWS::SecretsManager::Secret');
      expect(secret.Properties!['KmsKeyId']).toEqual(jKey(primary.region, 'PhiDataKey'));
      expect(JSON.stringify(props['MasterUserPassword'])).toContain(secretId);
      expect(JSON.stringify(props['MasterUsername'])).toContain(secretId);
      t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        HostedRotationLambda: Match.objectLike({
          RotationType: 'PostgreSQLSingleUser',
          KmsKeyArn: foundationKeyArn(primary.region, 'PhiDataKey'),
          VpcSubnetIds: Match.anyValue(),
          VpcSecurityGroupIds: Match.anyValue(),
        }),
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      });
      expect(([] as string[]).concat(t.toJSON()['Transform'] as string)).toContain(
        'AWS::SecretsManager-2024-09-16',
      );
      if (dr) {
        expect(secret.Properties!['ReplicaRegions']).toEqual([
          { Region: dr, KmsKeyId: jReplica(primary.region, dr, 'PhiDataKey') },
        ]);
      } else {
        expect(secret.Properties!['ReplicaRegions']).toBeUndefined();
      }
    });

    test('RDS Proxy: TLS required, IAM authentication required, end-to-end IAM to the database, no debug logs', () => {
      const [, proxy] = only(t, 'AWS::RDS::DBProxy');
      expect(proxy.Properties).toMatchObject({
        EngineFamily: 'POSTGRESQL',
        RequireTLS: true,
        DebugLogging: false,
        DefaultAuthScheme: 'IAM_AUTH',
        DBProxyName: `${String(props['DBClusterIdentifier'])}-proxy`,
      });
      // The master user (schema migrations) through its secret; clients still need an IAM token.
      const [secretAttachmentId] = only(t, 'AWS::SecretsManager::SecretTargetAttachment');
      expect(proxy.Properties!['Auth']).toEqual([
        { AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED', SecretArn: { Ref: secretAttachmentId } },
      ]);
      t.hasResourceProperties('AWS::RDS::DBProxy', {
        Auth: [Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED' })],
      });
      // The proxy's own IAM identity may log in as exactly the application roles.
      t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'EndToEndIamAuthentication',
              Action: 'rds-db:connect',
              Resource: Object.values(DATABASE_ROLES).map((u) => ({
                'Fn::Join': [
                  '',
                  [
                    `arn:aws:rds-db:${primary.region}:${profile.account}:dbuser:`,
                    { 'Fn::GetAtt': [clusterId, 'DBClusterResourceId'] },
                    `/${u}`,
                  ],
                ],
              })),
            }),
          ]),
        }),
      });
    });

    test('network: the cluster only admits the proxy and the rotation function; the proxy only its clients', () => {
      const ingress = Object.values(resourcesOf(t, 'AWS::EC2::SecurityGroupIngress'));
      const toCluster = ingress.filter((r) => r.Properties!['FromPort'] === CLUSTER_PORT);
      expect(toCluster).toHaveLength(2);
      for (const r of ingress) {
        expect(r.Properties!['CidrIp']).toBeUndefined();
        expect(r.Properties!['SourceSecurityGroupId']).toBeDefined();
        expect([CLUSTER_PORT, PROXY_PORT]).toContain(r.Properties!['FromPort']);
      }
      for (const sg of Object.values(resourcesOf(t, 'AWS::EC2::SecurityGroup'))) {
        expect(JSON.stringify(sg.Properties!['SecurityGroupIngress'] ?? [])).not.toContain('0.0.0.0/0');
      }
    });

    test('schema migrations run on deploy through the proxy with an IAM token, once the instances exist', () => {
      const manifest = loadMigrationsFromDirectory().map((m) => ({ name: m.name, checksum: m.checksum }));
      const [, cr] = only(t, 'Custom::ClinicalMigrations');
      expect(cr.Properties).toMatchObject({
        Port: String(PROXY_PORT),
        Database: CLINICAL_DATABASE,
        Username: MASTER_USERNAME,
        Region: primary.region,
        Migrations: manifest,
        Host: { 'Fn::GetAtt': [only(t, 'AWS::RDS::DBProxy')[0], 'Endpoint'] },
      });
      for (const instance of Object.keys(resourcesOf(t, 'AWS::RDS::DBInstance'))) {
        expect(cr.DependsOn).toContain(instance);
      }
      expect(cr.DependsOn!.some((d) => d.startsWith('DatabaseProxyProxyTargetGroup'))).toBe(true);
      t.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('schema migrations'),
        Runtime: 'nodejs24.x',
        Timeout: 600,
        ReservedConcurrentExecutions: 1,
        VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      });
      // Environment and dead-letter queue under the PHI key (Lambda, SQS), logs under the audit-logs key.
      const [fnId, fn] = Object.entries(resourcesOf(t, 'AWS::Lambda::Function')).find(([id]) =>
        id.startsWith('SchemaMigrationsFunction'),
      )!;
      expect(fn.Properties!['KmsKeyArn']).toEqual(jKey(primary.region, 'PhiDataKey'));
      expect(fnId).toMatch(/^SchemaMigrationsFunction/);
      const [, fnLogs] = Object.entries(resourcesOf(t, 'AWS::Logs::LogGroup')).find(([id]) =>
        id.startsWith('SchemaMigrationsFunctionLogs'),
      )!;
      expect(fnLogs.Properties!['KmsKeyId']).toEqual(jKey(primary.region, 'AuditLogsKey'));
      const [, dlq] = only(t, 'AWS::SQS::Queue');
      expect(dlq.Properties!['KmsMasterKeyId']).toEqual(jKey(primary.region, 'PhiDataKey'));
      // The function may connect as the schema owner through this proxy and nothing else.
      t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        Description: Match.stringLikeRegexp('SchemaMigrations/Function/Role/DefaultPolicy'),
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'rds-db:connect',
              Resource: { 'Fn::Join': ['', Match.arrayWith([`/${MASTER_USERNAME}`])] },
            }),
          ]),
        }),
      });
      const policies = JSON.stringify(resourcesOf(t, 'AWS::IAM::ManagedPolicy'));
      expect(policies).not.toContain('secretsmanager:GetSecretValue"],"Effect":"Allow","Resource":"*');
    });

    if (dr) {
      test('production: an encrypted global database with deletion protection; the writer joins it', () => {
        const [globalId, global] = only(t, 'AWS::RDS::GlobalCluster');
        expect(global.Properties).toEqual(
          expect.objectContaining({
            GlobalClusterIdentifier: `${profile.namePrefix}-clinical-global`,
            Engine: 'aurora-postgresql',
            EngineVersion: props['EngineVersion'],
            StorageEncrypted: true,
            DeletionProtection: true,
          }),
        );
        expect(props['GlobalClusterIdentifier']).toEqual({ Ref: globalId });
      });
    } else {
      test('poc: a regional cluster, no global database', () => {
        t.resourceCountIs('AWS::RDS::GlobalCluster', 0);
        expect(props['GlobalClusterIdentifier']).toBeUndefined();
      });
    }
  });

  describe('DynamoDB audit and idempotency table', () => {
    const [, table] = only(t, 'AWS::DynamoDB::GlobalTable');
    const props = table.Properties!;
    const replicas = props['Replicas'] as Record<string, unknown>[];

    test('one partition key, on-demand, TTL on expiresAt (idempotency items only carry it)', () => {
      expect(props['TableName']).toBe(`${profile.namePrefix}-audit-idempotency`);
      expect(props['KeySchema']).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
      expect(props['BillingMode']).toBe('PAY_PER_REQUEST');
      expect(props['TimeToLiveSpecification']).toEqual({ AttributeName: 'expiresAt', Enabled: true });
      expect(props['SSESpecification']).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    });

    test(`a replica per region (${p.config.regions.join(', ')}), each with PITR, deletion protection, contributor insights and its region's key`, () => {
      expect(replicas.map((r) => r['Region']).sort()).toEqual([...p.config.regions].sort());
      for (const r of replicas) {
        expect(r).toMatchObject({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
          DeletionProtectionEnabled: true,
          ContributorInsightsSpecification: { Enabled: true },
        });
        expect(JSON.stringify(r['Tags'])).toContain('"Key":"data-classification","Value":"phi"');
      }
      const own = replicas.find((r) => r['Region'] === primary.region)!;
      expect((own['SSESpecification'] as Record<string, unknown>)['KMSMasterKeyId']).toEqual(
        jKey(primary.region, 'PhiDataKey'),
      );
      if (dr) {
        const drReplica = replicas.find((r) => r['Region'] === dr)!;
        expect(drReplica['SSESpecification']).toEqual({
          KMSMasterKeyId: jReplica(primary.region, dr, 'PhiDataKey'),
        });
      }
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    });
  });

  describe('S3 stores', () => {
    test.each(DATA_BUCKET_PURPOSES.map((x) => [x]))(
      '%s: SSE-KMS with a bucket key, versioned, private, TLS 1.2 only, logged',
      (purpose) => {
        const name = dataBucketName(profile, purpose, primary.region);
        const domain = purpose === 'model-artifacts' ? 'ModelArtifactsKey' : 'PhiDataKey';
        t.hasResourceProperties('AWS::S3::Bucket', {
          BucketName: name,
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              {
                BucketKeyEnabled: true,
                ServerSideEncryptionByDefault: {
                  SSEAlgorithm: 'aws:kms',
                  KMSMasterKeyID: foundationKeyArn(primary.region, domain),
                },
              },
            ],
          },
          VersioningConfiguration: { Status: 'Enabled' },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          LoggingConfiguration: Match.objectLike({ LogFilePrefix: `${name}/` }),
        });
        const [bucketId] = Object.entries(resourcesOf(t, 'AWS::S3::Bucket')).find(
          ([, b]) => b.Properties!['BucketName'] === name,
        )!;
        t.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: bucketId },
          PolicyDocument: Match.objectLike({
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
              Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
            ]),
          }),
        });
      },
    );

    test('lifecycle keeps every version at least six years; only data capture expires, after six years', () => {
      for (const bucket of Object.values(resourcesOf(t, 'AWS::S3::Bucket'))) {
        const name = String(bucket.Properties!['BucketName']);
        if (!name.startsWith(profile.namePrefix)) continue;
        const rules = (bucket.Properties!['LifecycleConfiguration'] as { Rules: Record<string, unknown>[] })
          .Rules;
        for (const rule of rules) {
          if (rule['ExpirationInDays'] !== undefined)
            expect(rule['ExpirationInDays']).toBeGreaterThanOrEqual(2192);
          const nc = rule['NoncurrentVersionExpiration'] as { NoncurrentDays: number } | undefined;
          if (nc) expect(nc.NoncurrentDays).toBeGreaterThanOrEqual(2192);
        }
        expect(
          rules.some(
            (r) =>
              (r['NoncurrentVersionExpiration'] as { NoncurrentDays: number } | undefined)?.NoncurrentDays ===
              2192,
          ),
        ).toBe(true);
        const expires = rules.some((r) => r['ExpirationInDays'] !== undefined);
        expect(expires).toBe(name.includes('-data-capture-'));
      }
    });

    if (dr) {
      test.each(DATA_BUCKET_PURPOSES.map((x) => [x]))(
        'production: %s replicates to its DR bucket under the DR key, with RTC 15 minutes and metrics',
        (purpose) => expectReplicationRule(t, profile, purpose, primary.region, dr),
      );

      test('production: each replication role reads one bucket and writes one replica, KMS only through S3', () =>
        expectReplicationRoles(t, profile, primary.region, dr));
    } else {
      test('poc: no replication (single region)', () => {
        for (const b of Object.values(resourcesOf(t, 'AWS::S3::Bucket'))) {
          expect(b.Properties!['ReplicationConfiguration']).toBeUndefined();
        }
      });
    }
  });

  describe('AWS Backup', () => {
    test("a vault under the region's PHI key, locked in compliance mode, recovery points undeletable", () => {
      const [, vault] = only(t, 'AWS::Backup::BackupVault');
      expect(vault.Properties).toMatchObject({
        BackupVaultName: `${profile.namePrefix}-vault-${primary.region}`,
        EncryptionKeyArn: jKey(primary.region, 'PhiDataKey'),
        LockConfiguration: { MinRetentionDays: 35, ChangeableForDays: 3 },
      });
      expect(JSON.stringify(vault.Properties!['AccessPolicy'])).toContain('backup:DeleteRecoveryPoint');
      expect(vault.DeletionPolicy).toBe('Retain');
    });

    test('a plan covering Aurora, DynamoDB and every bucket: continuous 35 days and monthly 6 years', () => {
      const [, plan] = only(t, 'AWS::Backup::BackupPlan');
      const rules = (plan.Properties!['BackupPlan'] as { BackupPlanRule: Record<string, unknown>[] })
        .BackupPlanRule;
      expect(rules.map((r) => r['RuleName'])).toEqual(['continuous-35-days', 'monthly-6-years']);
      expect(rules[0]).toMatchObject({ EnableContinuousBackup: true, Lifecycle: { DeleteAfterDays: 35 } });
      expect(rules[1]).toMatchObject({ Lifecycle: { DeleteAfterDays: 2192 } });
      const [, selection] = only(t, 'AWS::Backup::BackupSelection');
      const resources = JSON.stringify(
        (selection.Properties!['BackupSelection'] as Record<string, unknown>)['Resources'],
      );
      const clusterId = Object.keys(resourcesOf(t, 'AWS::RDS::DBCluster'))[0];
      const tableId = Object.keys(resourcesOf(t, 'AWS::DynamoDB::GlobalTable'))[0];
      expect(resources).toContain(`"${clusterId}","DBClusterArn"`);
      expect(resources).toContain(`"${tableId}","Arn"`);
      for (const bucketId of Object.keys(resourcesOf(t, 'AWS::S3::Bucket')))
        expect(resources).toContain(`"${bucketId}","Arn"`);
      if (dr) {
        const dest = `arn:aws:backup:${dr}:${profile.account}:backup-vault:${profile.namePrefix}-vault-${dr}`;
        expect(rules[0]['CopyActions']).toEqual([
          { DestinationBackupVaultArn: dest, Lifecycle: { DeleteAfterDays: 35 } },
        ]);
        expect(rules[1]['CopyActions']).toEqual([
          { DestinationBackupVaultArn: dest, Lifecycle: { DeleteAfterDays: 2192 } },
        ]);
      } else {
        for (const r of rules) expect(r['CopyActions'] ?? []).toEqual([]);
      }
    });

    test('the backup role can only be assumed by AWS Backup for this account', () => {
      t.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [
            Match.objectLike({
              Principal: { Service: 'backup.amazonaws.com' },
              Condition: { StringEquals: { 'aws:SourceAccount': profile.account } },
            }),
          ],
        }),
      });
    });
  });

  test('every stateful resource survives a stack deletion or a replacement (Retain), stores keep deletion protection', () => {
    const stacks: Stack[] = p.regions.flatMap((r) => [r.data, ...(r.dataSecondary ? [r.dataSecondary] : [])]);
    let checked = 0;
    for (const stack of stacks) {
      const resources = p.template(stack).toJSON()['Resources'] as Resources;
      for (const [id, r] of Object.entries(resources)) {
        if (!STATEFUL_TYPES.has(r.Type) || r.Type === 'AWS::SQS::Queue') continue;
        checked++;
        expect([`${stack.node.id}/${id}`, r.DeletionPolicy]).toEqual([`${stack.node.id}/${id}`, 'Retain']);
        expect([`${stack.node.id}/${id}`, r.UpdateReplacePolicy]).toEqual([
          `${stack.node.id}/${id}`,
          'Retain',
        ]);
        if (r.Type === 'AWS::RDS::DBCluster' || r.Type === 'AWS::RDS::GlobalCluster') {
          expect(r.Properties!['DeletionProtection']).toBe(true);
        }
        if (r.Type === 'AWS::DynamoDB::GlobalTable') {
          for (const replica of r.Properties!['Replicas'] as Record<string, unknown>[]) {
            expect(replica['DeletionProtectionEnabled']).toBe(true);
          }
        }
      }
      // The only queue is the migration function's dead-letter queue: CloudFormation events, no PHI.
      for (const [id, r] of Object.entries(resources)) {
        if (r.Type === 'AWS::SQS::Queue') expect(id).toMatch(/^SchemaMigrationsFunctionDeadLetterQueue/);
      }
    }
    expect(checked).toBe(profileName === 'production' ? 19 : 10);
  });

  test.each(Object.entries(DATA_PINNED[profileName]).map(([id, ids]) => [id, ids] as const))(
    'pinned logical ids of the stateful resources of %s',
    (id, expected) => {
      const stack = p.app.node.findChild(id) as Stack;
      const resources = p.template(stack).toJSON()['Resources'] as Resources;
      const actual = Object.entries(resources)
        .filter(([, r]) => STATEFUL_TYPES.has(r.Type))
        .map(([logicalId]) => logicalId)
        .sort();
      expect(actual).toEqual([...expected].sort());
    },
  );

  test('no data stack reads another region: every cross-stack reference stays in its own region, no exports', () => {
    const stacks: Stack[] = p.regions.flatMap((r) => [r.data, ...(r.dataSecondary ? [r.dataSecondary] : [])]);
    for (const stack of stacks) {
      const json = p.template(stack).toJSON() as Record<string, unknown>;
      const text = JSON.stringify(json);
      expect(text).not.toContain('Fn::ImportValue');
      const refs = [...text.matchAll(/"Fn::GetStackOutput":\{"StackName":"([^"]+)","Region":"([^"]+)"/g)];
      for (const [, stackName, region] of refs) {
        expect([stack.stackName, stackName, region]).toEqual([
          stack.stackName,
          `${profile.namePrefix}-foundation-${stack.region}`,
          stack.region,
        ]);
      }
      const outputs = (json['Outputs'] ?? {}) as Record<string, { Export?: unknown }>;
      for (const o of Object.values(outputs)) expect(o.Export).toBeUndefined();
    }
  });
});

describe('production: the DR region', () => {
  const p = production;
  const [primary, drStacks] = [p.regions[0], p.regions[1]];
  const dr = drStacks.region;
  const { profile } = p.config;
  const t = p.template(drStacks.data);
  const s = p.template(drStacks.dataSecondary!);

  test('deploy order: primary foundation → DR foundation → DR data → primary data → DR secondary', () => {
    const deps = (stack: Stack) => stack.dependencies.map((d) => d.node.id).sort();
    expect(deps(drStacks.foundation)).toContain(primary.foundation.node.id);
    expect(deps(drStacks.data)).toContain(drStacks.foundation.node.id);
    expect(deps(primary.data)).toEqual(
      expect.arrayContaining([primary.foundation.node.id, drStacks.data.node.id]),
    );
    expect(deps(drStacks.dataSecondary!)).toEqual(
      expect.arrayContaining([drStacks.foundation.node.id, primary.data.node.id]),
    );
    // No cycle back: the DR data stack never waits for the primary's data stack.
    expect(deps(drStacks.data)).not.toContain(primary.data.node.id);
  });

  test("the replica buckets: deterministic names, the DR region's own keys, private, TLS 1.2+, logged, kept 6 years", () => {
    for (const purpose of DATA_BUCKET_PURPOSES) {
      const domain = purpose === 'model-artifacts' ? 'ModelArtifactsKey' : 'PhiDataKey';
      t.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: dataBucketName(profile, purpose, dr),
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: foundationKeyArn(dr, domain),
              },
            },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: `${dataBucketName(profile, purpose, dr)}/` }),
      });
      // The replicas are held to the same bar as their sources: TLS 1.2+ only; every version kept six years.
      const [bucketId, bucket] = Object.entries(resourcesOf(t, 'AWS::S3::Bucket')).find(
        ([, b]) => b.Properties!['BucketName'] === dataBucketName(profile, purpose, dr),
      )!;
      t.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
          ]),
        }),
      });
      const rules = (bucket.Properties!['LifecycleConfiguration'] as { Rules: Record<string, unknown>[] })
        .Rules;
      expect(rules).toContainEqual(
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 2192 } }),
      );
      for (const rule of rules) {
        if (rule['ExpirationInDays'] !== undefined)
          expect(rule['ExpirationInDays']).toBeGreaterThanOrEqual(2192);
      }
      expect(bucket.DeletionPolicy).toBe('Retain');
    }
    t.resourceCountIs('AWS::RDS::DBCluster', 0);
    t.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  });

  test.each(DATA_BUCKET_PURPOSES.map((x) => [x]))(
    "the %s replica replicates back to the primary's bucket under the primary's key, with RTC 15 minutes and metrics",
    (purpose) => expectReplicationRule(t, profile, purpose, dr, primary.region),
  );

  test('each replication role of the DR region reads one replica and writes one primary bucket, KMS only through S3', () =>
    expectReplicationRoles(t, profile, dr, primary.region));

  test("the DR vault is locked; the DR plan covers the replicas by name and copies back to the primary's vault", () => {
    t.hasResourceProperties('AWS::Backup::BackupVault', {
      BackupVaultName: `${profile.namePrefix}-vault-${dr}`,
      EncryptionKeyArn: foundationKeyArn(dr, 'PhiDataKey'),
      LockConfiguration: { MinRetentionDays: 35, ChangeableForDays: 3 },
    });
    const [, selection] = only(t, 'AWS::Backup::BackupSelection');
    const resources = JSON.stringify(
      (selection.Properties!['BackupSelection'] as Record<string, unknown>)['Resources'],
    );
    expect(resources).toContain(
      `arn:aws:dynamodb:${dr}:${profile.account}:table/${profile.namePrefix}-audit-idempotency`,
    );
    expect(resources).toContain(
      `arn:aws:rds:${dr}:${profile.account}:cluster:${profile.namePrefix}-clinical-${dr}`,
    );
    const [, plan] = only(t, 'AWS::Backup::BackupPlan');
    const dest = `arn:aws:backup:${primary.region}:${profile.account}:backup-vault:${profile.namePrefix}-vault-${primary.region}`;
    for (const rule of (plan.Properties!['BackupPlan'] as { BackupPlanRule: Record<string, unknown>[] })
      .BackupPlanRule) {
      expect(rule['CopyActions']).toEqual([expect.objectContaining({ DestinationBackupVaultArn: dest })]);
    }
  });

  test('the Aurora secondary joins the global database by name, under the DR key, with the same protections', () => {
    const [, cluster] = only(s, 'AWS::RDS::DBCluster');
    const primaryCluster = only(p.template(primary.data), 'AWS::RDS::DBCluster')[1];
    expect(cluster.Properties).toMatchObject({
      GlobalClusterIdentifier: `${profile.namePrefix}-clinical-global`,
      DBClusterIdentifier: `${profile.namePrefix}-clinical-${dr}`,
      Engine: 'aurora-postgresql',
      EngineVersion: primaryCluster.Properties!['EngineVersion'],
      StorageEncrypted: true,
      KmsKeyId: jKey(dr, 'PhiDataKey'),
      EnableIAMDatabaseAuthentication: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 35,
      EnableCloudwatchLogsExports: ['postgresql'],
      DatabaseInsightsMode: 'advanced',
      PerformanceInsightsKmsKeyId: jKey(dr, 'PhiDataKey'),
      ServerlessV2ScalingConfiguration: primaryCluster.Properties!['ServerlessV2ScalingConfiguration'],
    });
    // Credentials and the database come from the primary through replication.
    for (const k of ['MasterUsername', 'MasterUserPassword', 'DatabaseName']) {
      expect(cluster.Properties![k]).toBeUndefined();
    }
    s.resourceCountIs('AWS::SecretsManager::Secret', 0);
    // TLS 1.2+ forced and bind values kept out of the logs by its own parameter group, as on the writer.
    const [pgId, pg] = only(s, 'AWS::RDS::DBClusterParameterGroup');
    expect(cluster.Properties!['DBClusterParameterGroupName']).toEqual({ Ref: pgId });
    expect(pg.Properties!['Parameters']).toEqual(AuroraClinicalCluster.PARAMETERS);
    expect(pg.Properties!['Parameters']).toMatchObject({
      'rds.force_ssl': '1',
      ssl_min_protocol_version: 'TLSv1.2',
    });
    // Enhanced Monitoring through the DR region's own role; its instance monitored and under the DR key.
    expect(cluster.Properties!['MonitoringInterval']).toBeGreaterThan(0);
    expect(cluster.Properties!['PerformanceInsightsEnabled']).toBe(true);
    const [monitoringRoleId] = Object.entries(resourcesOf(s, 'AWS::IAM::Role')).find(([, r]) =>
      JSON.stringify(r.Properties!['AssumeRolePolicyDocument']).includes('monitoring.rds.amazonaws.com'),
    )!;
    expect(cluster.Properties!['MonitoringRoleArn']).toEqual({ 'Fn::GetAtt': [monitoringRoleId, 'Arn'] });
    s.resourceCountIs('AWS::RDS::DBInstance', 1);
    const [, instance] = only(s, 'AWS::RDS::DBInstance');
    expect(instance.Properties).toMatchObject({
      DBInstanceClass: 'db.serverless',
      PubliclyAccessible: false,
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: jKey(dr, 'PhiDataKey'),
      MonitoringInterval: cluster.Properties!['MonitoringInterval'],
      MonitoringRoleArn: { 'Fn::GetAtt': [monitoringRoleId, 'Arn'] },
    });
    s.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/rds/cluster/${profile.namePrefix}-clinical-${dr}/postgresql`,
      RetentionInDays: profile.logRetention.auditDays,
      KmsKeyId: foundationKeyArn(dr, 'AuditLogsKey'),
    });
    s.hasResourceProperties('AWS::RDS::DBProxy', {
      RequireTLS: true,
      DefaultAuthScheme: 'IAM_AUTH',
      DebugLogging: false,
    });
    expect(only(s, 'AWS::RDS::DBProxy')[1].Properties!['Auth']).toBeUndefined();
  });
});

describe('acknowledgements made by the data tier', () => {
  const ofDataTier = (acks: readonly { path: string; id: string }[]) =>
    acks
      .filter((a) => /^(Data|DataSecondary)-/.test(a.path))
      .map((a) => `${a.path} ${a.id}`)
      .sort();
  const bucketAcks = (region: string) =>
    ['DataCapture', 'Documents', 'ModelArtifacts'].flatMap((b) =>
      ['HIPAA.Security', 'NIST.800.53.R5'].map(
        (pack) => `Data-${region}/${b}/Store/Bucket ${pack}::${pack}-S3BucketReplicationEnabled`,
      ),
    );
  const backupRole = (region: string) =>
    ['AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForS3Backup'].map(
      (p) =>
        `Data-${region}/Backup/Role AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${p}]`,
    );
  // X-Ray and VPC network-interface actions of the migration function's role (HardenedFunction's FunctionRole).
  const unscopable =
    'Data-us-east-1/SchemaMigrations/Function/Role/UnscopableActions AwsSolutions::AwsSolutions-IAM5[Resource::*]';
  const monitoring = (stack: string, region: string) =>
    `${stack}/EnhancedMonitoring/Publish AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:logs:${region}:123456789012:log-group:RDSOSMetrics:log-stream:*]`;

  test('poc: exactly the documented ones (terminal buckets of a single region, two service roles)', () => {
    expect(ofDataTier(pocAcks)).toEqual(
      [
        ...bucketAcks('us-east-1'),
        ...backupRole('us-east-1'),
        monitoring('Data-us-east-1', 'us-east-1'),
        unscopable,
      ].sort(),
    );
  });

  // The replication role of each bucket in `region`: S3 object wildcards on exactly its source and its replica.
  const replication = (region: string) =>
    ['data-capture', 'documents', 'model-artifacts'].flatMap((purpose) => {
      const stackPath = `Data-${region}/${purpose === 'data-capture' ? 'DataCapture' : purpose === 'documents' ? 'Documents' : 'ModelArtifacts'}/ReplicationPolicy`;
      return ['us-east-1', 'us-west-2'].map(
        (r) =>
          `${stackPath} AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::cap-prod-${purpose}-123456789012-${r}/*]`,
      );
    });

  test('production: none on any data store; service roles and replication roles only', () => {
    const acks = ofDataTier(productionAcks);
    expect(acks).toEqual(
      [
        ...backupRole('us-east-1'),
        ...backupRole('us-west-2'),
        monitoring('Data-us-east-1', 'us-east-1'),
        monitoring('DataSecondary-us-west-2', 'us-west-2'),
        ...replication('us-east-1'),
        ...replication('us-west-2'),
        unscopable,
      ].sort(),
    );
    expect(acks.filter((a) => /\/Store\/Bucket |ClinicalDatabase|AuditIdempotencyTable/.test(a))).toEqual([]);
  });

  test('production, first deploy (rollout: install): the DR replicas alone are created without their rule back, each with one acknowledgement per pack', () => {
    const seenInstall = acknowledgements().length;
    const install = buildTestPlatform('production', { overrides: { rollout: 'install' } });
    const installAcks = ofDataTier(acknowledgements().slice(seenInstall));
    expect(installAcks).toEqual(
      [
        ...bucketAcks('us-west-2'),
        ...backupRole('us-east-1'),
        ...backupRole('us-west-2'),
        monitoring('Data-us-east-1', 'us-east-1'),
        monitoring('DataSecondary-us-west-2', 'us-west-2'),
        ...replication('us-east-1'),
        unscopable,
      ].sort(),
    );
    const [primaryStacks, drStacks] = install.regions;
    const bucketsOf = (stack: Stack) =>
      Object.values(resourcesOf(Template.fromStack(stack), 'AWS::S3::Bucket')).filter((b) =>
        DATA_BUCKET_PURPOSES.some((purpose) =>
          [primaryStacks.data.region, drStacks.data.region].some(
            (r) => b.Properties?.['BucketName'] === dataBucketName(install.config.profile, purpose, r),
          ),
        ),
      );
    expect(bucketsOf(drStacks.data)).toHaveLength(3);
    expect(bucketsOf(primaryStacks.data)).toHaveLength(3);
    for (const b of bucketsOf(drStacks.data))
      expect(b.Properties!['ReplicationConfiguration']).toBeUndefined();
    for (const b of bucketsOf(primaryStacks.data))
      expect(b.Properties!['ReplicationConfiguration']).toEqual(
        expect.objectContaining({ Rules: expect.any(Array) as unknown }),
      );
    // What makes the install rollout deployable on a fresh account: every replication destination is created by a
    // stack deployed before the bucket that names it. The steady rollout breaks that only with the rules back to
    // the primary, which is why the first deploy is `install`.
    const creatorOf = (app: typeof install.app) => {
      const byName = new Map<string, Stack>();
      for (const r of app.node.findAll()) {
        if (r instanceof s3.CfnBucket && typeof r.bucketName === 'string')
          byName.set(r.bucketName, Stack.of(r));
      }
      return byName;
    };
    const deployedBefore = (stack: Stack, other: Stack): boolean =>
      stack.dependencies.some((d) => d === other || deployedBefore(d, other));
    const orderProblems = (app: typeof install.app): string[] => {
      const creators = creatorOf(app);
      const problems: string[] = [];
      for (const r of app.node.findAll()) {
        if (!(r instanceof s3.CfnBucket) || r.replicationConfiguration === undefined) continue;
        const config = Stack.of(r).resolve(r.replicationConfiguration) as {
          rules: { destination: { bucket: string } }[];
        };
        for (const rule of config.rules) {
          const name = rule.destination.bucket.replace('arn:aws:s3:::', '');
          const creator = creators.get(name);
          if (!creator) problems.push(`${String(r.bucketName)} -> ${name}: not created by this app`);
          else if (!deployedBefore(Stack.of(r), creator))
            problems.push(`${String(r.bucketName)} -> ${name}: destination not deployed first`);
        }
      }
      return problems.sort();
    };
    expect(orderProblems(install.app)).toEqual([]);
    expect(orderProblems(production.app)).toEqual(
      DATA_BUCKET_PURPOSES.map(
        (purpose) =>
          `${dataBucketName(production.config.profile, purpose, 'us-west-2')} -> ${dataBucketName(production.config.profile, purpose, 'us-east-1')}: destination not deployed first`,
      ).sort(),
    );
    // The install acknowledgement names the next step.
    const reasons = acknowledgements()
      .slice(seenInstall)
      .filter((a) => a.path.startsWith('Data-') && a.id.endsWith('S3BucketReplicationEnabled'))
      .map((a) => a.reason);
    expect(new Set(reasons).size).toBe(1);
    expect(reasons[0]).toMatch(
      /rollout: install.*next deploy \(rollout: steady\) adds the rule back to us-east-1/,
    );
  });
});

// Keep the stack classes in the type graph (the describe blocks use them through RegionStacks).
export type { DataStack, DataSecondaryStack };
