import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IDependable } from 'constructs';
import { loadMigrationsFromDirectory, MIGRATIONS_DIR } from '../../lambdas/migrate/migrations';
import { CLINICAL_DATABASE, MASTER_USERNAME } from '../config/database';
import type { ClinicalDatabaseProxy } from './clinical-database-proxy';
import { HardenedFunction } from './hardened-function';

export interface ClinicalMigrationsProps {
  readonly vpc: ec2.IVpc;
  /** The proxy the migration function connects through (IAM token, TLS). */
  readonly proxy: ClinicalDatabaseProxy;
  /** CMK for the function's environment and dead-letter queue (its key policy admits Lambda and SQS). */
  readonly key: kms.IKey;
  /** CMK for the function's log group (its key policy admits CloudWatch Logs). */
  readonly logKey: kms.IKey;
  /** Days the function's logs are kept. */
  readonly logRetentionDays: number;
  /**
   * The database user that owns the schema.
   * @default MASTER_USERNAME
   */
  readonly username?: string;
  /**
   * Directory of the `NNNN_name.sql` files.
   * @default the repository's `migrations/`
   */
  readonly migrationsDir?: string;
  /**
   * Resources that must exist before the migrations run (the cluster's instances).
   * @default - the proxy's target group only
   */
  readonly dependsOn?: IDependable[];
}

/**
 * Applies the repository's SQL migrations on deploy: a `Custom::ClinicalMigrations` resource served by the
 * `migrate` Lambda (lambdas/migrate), in the isolated subnets, reaching the database only through RDS Proxy with
 * an IAM token.
 *
 * The resource's properties carry each migration's name and SHA-256, so CloudFormation calls the function
 * exactly when the migration set changes, and the function refuses a bundle whose SQL differs from what was
 * synthesized. The migration set is validated at synth: a malformed file fails `cdk synth`.
 */
export class ClinicalMigrations extends Construct {
  readonly function: HardenedFunction;
  readonly resource: CustomResource;
  readonly securityGroup: ec2.SecurityGroup;
  /** The migrations this deploy applies: name and checksum. */
  readonly manifest: { name: string; checksum: string }[];

  constructor(scope: Construct, id: string, props: ClinicalMigrationsProps) {
    super(scope, id);
    const username = props.username ?? MASTER_USERNAME;
    this.manifest = loadMigrationsFromDirectory(props.migrationsDir ?? MIGRATIONS_DIR).map((m) => ({
      name: m.name,
      checksum: m.checksum,
    }));

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Schema migrations: the RDS Proxy, and HTTPS to VPC endpoints and the S3 gateway',
      allowAllOutbound: false,
    });
    // The CloudFormation response URL is on S3, reached through the gateway endpoint (no internet route).
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to VPC endpoints and S3');
    props.proxy.allowFrom(this.securityGroup, 'the schema migrations');

    this.function = new HardenedFunction(this, 'Function', {
      lambdaName: 'migrate',
      description: 'Applies the clinical schema migrations through RDS Proxy (IAM auth, TLS)',
      key: props.key,
      logKey: props.logKey,
      logRetentionDays: props.logRetentionDays,
      // One runner at a time per region; the advisory lock serialises anything else.
      reservedConcurrency: 1,
      timeout: Duration.minutes(10),
      memorySize: 256,
      vpc: props.vpc,
      securityGroups: [this.securityGroup],
      loader: { '.sql': 'text' },
    });
    props.proxy.grantConnect(this.function.role, username);

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.function.functionArn,
      resourceType: 'Custom::ClinicalMigrations',
      properties: {
        Host: props.proxy.endpoint,
        Port: String(props.proxy.port),
        Database: CLINICAL_DATABASE,
        Username: username,
        Region: Stack.of(this).region,
        Migrations: this.manifest,
      },
    });
    this.resource.node.addDependency(props.proxy.readiness, ...(props.dependsOn ?? []));
  }
}
