import { ArnFormat, Duration, RemovalPolicy, Stack, type CfnResource } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CLINICAL_DATABASE, CLUSTER_PORT, MASTER_USERNAME } from '../config/database';

/** The engine every cluster of the platform runs: one constant, so a global database's clusters always match. */
export const AURORA_ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_16_13;

/** Aurora keeps automated backups (point-in-time restore) at most 35 days; we keep the maximum. */
export const AURORA_BACKUP_RETENTION_DAYS = 35;

/**
 * Performance Insights retention required by Database Insights advanced mode (15 months). It carries query
 * digests, never bind values; it is encrypted with the cluster's CMK.
 */
export const PERFORMANCE_INSIGHTS_RETENTION_DAYS = 465;

/** Where a cluster stands in an Aurora global database. */
export type GlobalDatabaseRole =
  /** A regional cluster on its own (poc). */
  | { readonly kind: 'standalone' }
  /** The writer cluster; the global cluster is created from it. */
  | { readonly kind: 'primary'; readonly globalClusterIdentifier: string }
  /** A read-only secondary in another region that joins the existing global cluster. */
  | { readonly kind: 'secondary'; readonly globalClusterIdentifier: string };

/** A region that receives a read-only replica of the master secret, under that region's CMK. */
export interface SecretReplica {
  readonly region: string;
  /** ARN of the CMK in that region (a multi-region replica key: same key id as this region's primary). */
  readonly keyArn: string;
}

export interface AuroraClinicalClusterProps {
  /** The region's isolated VPC; the cluster lives in its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** DB cluster identifier; also names the log group, so it is fixed (see lib/data-names.ts). */
  readonly clusterIdentifier: string;
  /** This region's PHI CMK: storage, Performance Insights and the master secret. */
  readonly key: kms.IKey;
  /** CMK of the log groups the PostgreSQL logs are exported to (its key policy admits CloudWatch Logs). */
  readonly logKey: kms.IKey;
  /** Days the exported PostgreSQL logs are kept: they are audit records (45 CFR 164.316(b)(2)(i)). */
  readonly logRetentionDays: number;
  /** Serverless v2 minimum capacity (ACU), from the capacity plan. */
  readonly minCapacity: number;
  /** Serverless v2 maximum capacity (ACU), from the capacity plan. */
  readonly maxCapacity: number;
  /** The role Enhanced Monitoring assumes. */
  readonly monitoringRole: iam.IRole;
  /**
   * DB instances, each in a different availability zone; the first is the writer, the others are failover
   * targets that scale with it (promotion tier 1).
   * @default 1
   */
  readonly instances?: number;
  /**
   * Membership of an Aurora global database.
   * @default { kind: 'standalone' }
   */
  readonly global?: GlobalDatabaseRole;
  /**
   * Regions that receive a read-only replica of the master secret (ignored for a secondary, which has none).
   * @default - no replicas
   */
  readonly secretReplicas?: SecretReplica[];
  /**
   * Days between rotations of the master password.
   * @default 30
   */
  readonly rotationDays?: number;
  /**
   * Enhanced Monitoring granularity.
   * @default Duration.seconds(30)
   */
  readonly monitoringInterval?: Duration;
}

/**
 * An Aurora PostgreSQL Serverless v2 cluster for clinical data, safe by construction:
 *
 * - encrypted at rest with the region's own CMK, and Performance Insights under the same key (164.312(a)(2)(iv));
 * - IAM database authentication, and TLS 1.2+ forced by the cluster parameter group (164.312(d), 164.312(e)(1));
 * - deletion protection, 35 days of point-in-time restore, copy of tags to snapshots, retained on stack deletion
 *   (164.308(a)(7)(ii)(A) data backup plan);
 * - Enhanced Monitoring and Database Insights (advanced), PostgreSQL connection, disconnection and DDL logs
 *   exported to a KMS-encrypted log group kept for the audit period, with bind parameters never logged
 *   (164.312(b) audit controls, without PHI in the logs);
 * - the master password generated into Secrets Manager under the CMK and rotated by a hosted rotation function
 *   that runs in the isolated subnets (164.308(a)(5)(ii)(D) password management).
 *
 * In a global database the primary creates the (encrypted) global cluster and joins it as the writer; a secondary
 * joins it by name and has no credentials of its own (they replicate with the data).
 */
export class AuroraClinicalCluster extends Construct {
  readonly cluster: rds.CfnDBCluster;
  readonly instances: rds.CfnDBInstance[];
  readonly securityGroup: ec2.SecurityGroup;
  readonly parameterGroup: rds.CfnDBClusterParameterGroup;
  readonly logGroup: logs.LogGroup;
  /** The global cluster (primary only). */
  readonly globalCluster: rds.CfnGlobalCluster | undefined;
  /** The master secret with the cluster's connection details attached (not on a secondary). */
  readonly secret?: secretsmanager.ISecret;
  /** The master password's rotation schedule (not on a secondary). */
  readonly rotation?: secretsmanager.RotationSchedule;
  /** Security group of the hosted rotation function (not on a secondary). */
  readonly rotationSecurityGroup?: ec2.SecurityGroup;
  /** The cluster as an L2 reference (for RDS Proxy targets and connections). */
  readonly ref: rds.IDatabaseCluster;
  readonly clusterIdentifier: string;

  constructor(scope: Construct, id: string, props: AuroraClinicalClusterProps) {
    super(scope, id);
    const global = props.global ?? { kind: 'standalone' };
    const instanceCount = props.instances ?? 1;
    const azs = props.vpc.availabilityZones;
    if (instanceCount < 1 || instanceCount > azs.length) {
      throw new Error(
        `${this.node.path}: instances must be between 1 and ${azs.length} (one per availability zone)`,
      );
    }
    if (props.maxCapacity < props.minCapacity) {
      throw new Error(`${this.node.path}: maxCapacity must be at least minCapacity`);
    }
    this.clusterIdentifier = props.clusterIdentifier;
    const isolated = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Aurora ${props.clusterIdentifier}: PostgreSQL from the proxy and the rotation function only`,
      allowAllOutbound: false,
    });

    const subnetGroup = new rds.CfnDBSubnetGroup(this, 'Subnets', {
      dbSubnetGroupDescription: `Isolated subnets of ${props.clusterIdentifier}`,
      subnetIds: isolated.subnetIds,
    });
    subnetGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.parameterGroup = new rds.CfnDBClusterParameterGroup(this, 'Parameters', {
      family: `aurora-postgresql${AURORA_ENGINE_VERSION.auroraPostgresMajorVersion}`,
      description: `${props.clusterIdentifier}: TLS 1.2+ only, audit logging without bind values`,
      parameters: AuroraClinicalCluster.PARAMETERS,
    });
    this.parameterGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);

    // The log group exists (encrypted, with retention) before RDS starts exporting to it; RDS would otherwise
    // create it unencrypted and kept forever.
    this.logGroup = new logs.LogGroup(this, 'PostgresqlLogs', {
      logGroupName: `/aws/rds/cluster/${props.clusterIdentifier}/postgresql`,
      encryptionKey: props.logKey,
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    let secret: secretsmanager.ISecret | undefined;
    let masterSecret: rds.DatabaseSecret | undefined;
    if (global.kind !== 'secondary') {
      masterSecret = new rds.DatabaseSecret(this, 'MasterSecret', {
        username: MASTER_USERNAME,
        encryptionKey: props.key,
        // Characters that break connection strings and the rotation function's shell-free SQL.
        excludeCharacters: AuroraClinicalCluster.EXCLUDED_PASSWORD_CHARACTERS,
        replicaRegions: (props.secretReplicas ?? []).map((r) => ({
          region: r.region,
          encryptionKey: kms.Key.fromKeyArn(this, `SecretReplicaKey-${r.region}`, r.keyArn),
        })),
      });
      masterSecret.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }

    if (global.kind === 'primary') {
      // The global database is created first, encrypted; the writer cluster joins it as its first member and
      // the DR region's secondary joins it later by name (CloudFormation's documented order for a new global
      // database).
      this.globalCluster = new rds.CfnGlobalCluster(this, 'GlobalCluster', {
        globalClusterIdentifier: global.globalClusterIdentifier,
        engine: 'aurora-postgresql',
        engineVersion: AURORA_ENGINE_VERSION.auroraPostgresFullVersion,
        storageEncrypted: true,
        deletionProtection: true,
      });
      this.globalCluster.applyRemovalPolicy(RemovalPolicy.RETAIN);
    } else {
      this.globalCluster = undefined;
    }

    this.cluster = new rds.CfnDBCluster(this, 'Cluster', {
      dbClusterIdentifier: props.clusterIdentifier,
      engine: 'aurora-postgresql',
      engineVersion: AURORA_ENGINE_VERSION.auroraPostgresFullVersion,
      port: CLUSTER_PORT,
      globalClusterIdentifier:
        this.globalCluster?.ref ?? (global.kind === 'secondary' ? global.globalClusterIdentifier : undefined),
      databaseName: global.kind === 'secondary' ? undefined : CLINICAL_DATABASE,
      masterUsername: masterSecret ? masterSecret.secretValueFromJson('username').unsafeUnwrap() : undefined,
      masterUserPassword: masterSecret
        ? masterSecret.secretValueFromJson('password').unsafeUnwrap()
        : undefined,
      storageEncrypted: true,
      kmsKeyId: props.key.keyArn,
      enableIamDatabaseAuthentication: true,
      deletionProtection: true,
      backupRetentionPeriod: AURORA_BACKUP_RETENTION_DAYS,
      preferredBackupWindow: '07:00-08:00',
      preferredMaintenanceWindow: 'sun:08:30-sun:09:30',
      copyTagsToSnapshot: true,
      enableCloudwatchLogsExports: ['postgresql'],
      dbClusterParameterGroupName: this.parameterGroup.ref,
      dbSubnetGroupName: subnetGroup.ref,
      vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
      serverlessV2ScalingConfiguration: { minCapacity: props.minCapacity, maxCapacity: props.maxCapacity },
      databaseInsightsMode: 'advanced',
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: props.key.keyArn,
      performanceInsightsRetentionPeriod: PERFORMANCE_INSIGHTS_RETENTION_DAYS,
      monitoringInterval: (props.monitoringInterval ?? Duration.seconds(30)).toSeconds(),
      monitoringRoleArn: props.monitoringRole.roleArn,
      autoMinorVersionUpgrade: true,
    });
    this.cluster.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.cluster.node.addDependency(this.logGroup);

    this.instances = Array.from({ length: instanceCount }, (_, i) => {
      const instance = new rds.CfnDBInstance(this, i === 0 ? 'Writer' : `Reader${i}`, {
        dbClusterIdentifier: this.cluster.ref,
        dbInstanceIdentifier: `${props.clusterIdentifier}-${i + 1}`,
        dbInstanceClass: 'db.serverless',
        engine: 'aurora-postgresql',
        availabilityZone: azs[i],
        // Tier 0-1 readers scale with the writer, so a failover lands on warm capacity.
        promotionTier: i === 0 ? 0 : 1,
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        caCertificateIdentifier: 'rds-ca-rsa2048-g1',
        enablePerformanceInsights: true,
        performanceInsightsKmsKeyId: props.key.keyArn,
        performanceInsightsRetentionPeriod: PERFORMANCE_INSIGHTS_RETENTION_DAYS,
        monitoringInterval: (props.monitoringInterval ?? Duration.seconds(30)).toSeconds(),
        monitoringRoleArn: props.monitoringRole.roleArn,
      });
      instance.applyRemovalPolicy(RemovalPolicy.RETAIN);
      return instance;
    });

    this.ref = rds.DatabaseCluster.fromDatabaseClusterAttributes(this, 'Ref', {
      clusterIdentifier: this.cluster.ref,
      clusterResourceIdentifier: this.cluster.attrDbClusterResourceId,
      clusterEndpointAddress: this.cluster.attrEndpointAddress,
      readerEndpointAddress: this.cluster.attrReadEndpointAddress,
      port: CLUSTER_PORT,
      securityGroups: [this.securityGroup],
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: AURORA_ENGINE_VERSION }),
      instanceIdentifiers: this.instances.map((i) => i.ref),
    });

    if (masterSecret) {
      secret = masterSecret.attach({
        asSecretAttachmentTarget: () => ({
          targetId: this.cluster.ref,
          targetType: secretsmanager.AttachmentTargetType.RDS_DB_CLUSTER,
        }),
      });
      this.secret = secret;
      this.rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
        vpc: props.vpc,
        description: `Hosted rotation of the ${props.clusterIdentifier} master password: database and Secrets Manager endpoint`,
        allowAllOutbound: false,
      });
      this.rotationSecurityGroup.addEgressRule(
        ec2.Peer.ipv4(props.vpc.vpcCidrBlock),
        ec2.Port.tcp(443),
        'Secrets Manager interface endpoint',
      );
      this.allowFrom(this.rotationSecurityGroup, 'hosted rotation function');
      this.rotation = secret.addRotationSchedule('Rotation', {
        hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser({
          functionName: `${props.clusterIdentifier}-rotation`.slice(0, 64),
          vpc: props.vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
          securityGroups: [this.rotationSecurityGroup],
          excludeCharacters: AuroraClinicalCluster.EXCLUDED_PASSWORD_CHARACTERS,
        }),
        automaticallyAfter: Duration.days(props.rotationDays ?? 30),
      });
      // Rotate only once the instances accept connections.
      for (const instance of this.instances)
        (this.rotation.node.defaultChild as CfnResource).addResourceDependency(instance);
    }
  }

  /** Opens the cluster port to a security group (the proxy, the rotation function), both directions. */
  allowFrom(peer: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(CLUSTER_PORT), `PostgreSQL from the ${description}`);
    peer.addEgressRule(
      this.securityGroup,
      ec2.Port.tcp(CLUSTER_PORT),
      `PostgreSQL to ${this.clusterIdentifier}`,
    );
  }

  /** ARN of the cluster (for backup selections). */
  get clusterArn(): string {
    return this.cluster.attrDbClusterArn;
  }

  /** ARN that `rds-db:connect` takes for a database user of this cluster (direct IAM authentication). */
  dbUserArn(user: string): string {
    const stack = Stack.of(this);
    return stack.formatArn({
      service: 'rds-db',
      resource: 'dbuser',
      resourceName: `${this.cluster.attrDbClusterResourceId}/${user}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * Cluster parameters. `rds.force_ssl` and `ssl_min_protocol_version` refuse plaintext and TLS < 1.2
   * (164.312(e)(1)). Connections, disconnections and DDL are logged for audit; statement text with values and
   * bind parameters are not, so PHI never reaches the logs.
   */
  static readonly PARAMETERS: Readonly<Record<string, string>> = {
    'rds.force_ssl': '1',
    ssl_min_protocol_version: 'TLSv1.2',
    log_connections: '1',
    log_disconnections: '1',
    log_statement: 'ddl',
    log_min_duration_statement: '-1',
    log_parameter_max_length: '0',
    log_parameter_max_length_on_error: '0',
    log_error_verbosity: 'terse',
  };

  /** Password characters excluded from generation and rotation. */
  static readonly EXCLUDED_PASSWORD_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';
}
