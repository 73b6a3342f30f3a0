import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { acknowledge } from '../compliance-rules/acknowledge';
import { DATABASE_ROLES } from '../lib/config/database';
import { AuroraClinicalCluster } from '../lib/constructs/aurora-clinical-cluster';
import { ClinicalBackupPlan } from '../lib/constructs/clinical-backup-plan';
import { ClinicalDatabaseProxy } from '../lib/constructs/clinical-database-proxy';
import { ClinicalMigrations } from '../lib/constructs/clinical-migrations';
import type { DataDomain } from '../lib/constructs/data-domain-key';
import { EnhancedMonitoringRole } from '../lib/constructs/enhanced-monitoring-role';
import { LockedBackupVault } from '../lib/constructs/locked-backup-vault';
import { PhiBucket, SIX_YEARS_DAYS } from '../lib/constructs/phi-bucket';
import { PhiTable } from '../lib/constructs/phi-table';
import {
  auroraClusterIdentifier,
  backupVaultArn,
  backupVaultName,
  DATA_BUCKET_PURPOSES,
  dataBucketName,
  globalClusterIdentifier,
  phiTableName,
  type DataBucketPurpose,
} from '../lib/data-names';
import type { FoundationStack } from './foundation-stack';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

export interface DataStackProps extends PlatformStackProps {
  /** The same region's foundation: VPC, CMKs, access-log bucket. */
  readonly foundation: FoundationStack;
}

/** The key domain and lifecycle of each bucket. */
const BUCKETS: Readonly<
  Record<DataBucketPurpose, { domain: DataDomain; archiveAfterDays?: number; expireAfterDays?: number }>
> = {
  // Clinical documents, raw ingestion payloads and their quarantine/ prefix: kept, archived after 6 months.
  documents: { domain: 'phi-data', archiveAfterDays: 180 },
  // Model artefacts: small, read at every endpoint deployment; kept in S3 Standard.
  'model-artifacts': { domain: 'model-artifacts' },
  // Inference requests and responses captured for drift monitoring: PHI, kept six years then expired.
  'data-capture': { domain: 'phi-data', archiveAfterDays: 90, expireAfterDays: SIX_YEARS_DAYS },
};

/**
 * The stateful tier of a region (termination protection; every store retained on deletion).
 *
 * - The **primary region** holds the writer: the Aurora cluster (in production the writer of the global
 *   database) with its RDS Proxy and schema migrations, the DynamoDB table (in production the global table, with
 *   its DR replica), the document, model-artefact and data-capture buckets (in production replicating to the DR
 *   region), a locked backup vault and the backup plan (in production copying to the DR region's vault).
 * - The **DR region** (production) holds what must exist before the primary's data stack deploys: the
 *   replica buckets that S3 replication writes into (and which replicate back to the primary's buckets from the
 *   second deploy on, `rollout: steady`) and the region's locked vault, with a backup plan over the region's
 *   stores that copies back to the primary region. The Aurora secondary cluster, which can only join the
 *   global database after the primary created it, is in {@link DataSecondaryStack}.
 *
 * Cross-region wiring uses names from the profile (lib/data-names.ts) and computed replica-key ARNs, never a
 * CloudFormation export (README "Cross-region wiring").
 */
export class DataStack extends PlatformStack {
  readonly buckets: Readonly<Record<DataBucketPurpose, PhiBucket>>;
  readonly vault: LockedBackupVault;
  readonly backupPlan: ClinicalBackupPlan;
  /** Primary region only. */
  readonly database: AuroraClinicalCluster | undefined;
  /** Primary region only. */
  readonly proxy: ClinicalDatabaseProxy | undefined;
  /** Primary region only. */
  readonly migrations: ClinicalMigrations | undefined;
  /** Primary region only (the DR replica belongs to this table). */
  readonly table: PhiTable | undefined;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { profile, capacity } = props.config;
    const { foundation } = props;
    const primary = profile.regions.primary;
    const dr = profile.regions.dr;
    const keys: Record<DataDomain, kms.IKey> = {
      'phi-data': foundation.importKey(this, 'phi-data'),
      'audit-logs': foundation.importKey(this, 'audit-logs'),
      'model-artifacts': foundation.importKey(this, 'model-artifacts'),
    };
    // Key ids, for the ARNs of their multi-region replicas in the other region (Ref of the key resource; parsing the
    // id out of an imported ARN would need Fn::Split over a cross-stack reference, which cfn-lint rejects).
    const keyIds = (domain: DataDomain): string => foundation.keys[domain].resource.ref;
    // The region a backup of this region is copied to.
    const otherRegion = this.isPrimary ? dr : primary;

    // Production replicates S3 both ways: the primary into the DR region, and the DR region back (from the second
    // deploy on, see `rollout`), so that what the DR region writes after a failover reaches the primary again.
    const replicateTo = !dr
      ? undefined
      : this.isPrimary
        ? dr
        : profile.rollout === 'steady'
          ? primary
          : undefined;

    const buckets = {} as Record<DataBucketPurpose, PhiBucket>;
    for (const purpose of DATA_BUCKET_PURPOSES) {
      const spec = BUCKETS[purpose];
      buckets[purpose] = new PhiBucket(this, pascal(purpose), {
        bucketName: dataBucketName(profile, purpose, this.region),
        key: keys[spec.domain],
        accessLogsBucket: foundation.accessLogsBucket.bucket,
        archiveAfterDays: spec.archiveAfterDays,
        expireAfterDays: spec.expireAfterDays,
        replication: replicateTo
          ? {
              destinationBucketName: dataBucketName(profile, purpose, replicateTo),
              destinationRegion: replicateTo,
              destinationKeyArn: replicaKeyArn(keyIds(spec.domain), replicateTo),
            }
          : undefined,
      });
      if (!dr) acknowledgeSingleRegionBucket(buckets[purpose], profile.tags.owner);
      else if (!buckets[purpose].replicationRole)
        acknowledgeInstallRollout(buckets[purpose], primary, profile.tags.owner);
    }
    this.buckets = buckets;

    const backupResources = DATA_BUCKET_PURPOSES.map((p) => buckets[p].bucket.bucketArn);

    if (this.isPrimary) {
      const auditDays = profile.logRetention.auditDays;
      const monitoring = new EnhancedMonitoringRole(this, 'EnhancedMonitoring');
      this.database = new AuroraClinicalCluster(this, 'ClinicalDatabase', {
        vpc: foundation.vpc,
        clusterIdentifier: auroraClusterIdentifier(profile, this.region),
        key: keys['phi-data'],
        logKey: keys['audit-logs'],
        logRetentionDays: auditDays,
        minCapacity: capacity.aurora.minAcu,
        maxCapacity: capacity.aurora.maxAcu,
        instances: profile.limits.aurora.instances,
        monitoringRole: monitoring.role,
        global: dr
          ? { kind: 'primary', globalClusterIdentifier: globalClusterIdentifier(profile) }
          : undefined,
        secretReplicas: dr ? [{ region: dr, keyArn: replicaKeyArn(keyIds('phi-data'), dr) }] : [],
      });
      this.proxy = new ClinicalDatabaseProxy(this, 'DatabaseProxy', {
        vpc: foundation.vpc,
        cluster: this.database,
        iamUsers: Object.values(DATABASE_ROLES),
        secrets: this.database.secret ? [this.database.secret] : [],
      });
      this.migrations = new ClinicalMigrations(this, 'SchemaMigrations', {
        vpc: foundation.vpc,
        proxy: this.proxy,
        key: keys['phi-data'],
        logKey: keys['audit-logs'],
        logRetentionDays: auditDays,
        dependsOn: this.database.instances,
      });
      this.table = new PhiTable(this, 'AuditIdempotencyTable', {
        tableName: phiTableName(profile),
        key: keys['phi-data'],
        replicas: dr ? [{ region: dr, keyArn: replicaKeyArn(keyIds('phi-data'), dr) }] : [],
      });
      backupResources.push(this.database.clusterArn, this.table.tableArn);
    } else {
      this.database = undefined;
      this.proxy = undefined;
      this.migrations = undefined;
      this.table = undefined;
      // The DR region's copies of the writer-region stores, named from the profile: the global table's replica
      // and the Aurora secondary cluster (DataSecondaryStack). After a failover they are the writers, and their
      // backups must already be running.
      backupResources.push(
        Stack.of(this).formatArn({
          service: 'dynamodb',
          resource: 'table',
          resourceName: phiTableName(profile),
        }),
        Stack.of(this).formatArn({
          service: 'rds',
          resource: 'cluster',
          resourceName: auroraClusterIdentifier(profile, this.region),
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      );
    }

    this.vault = new LockedBackupVault(this, 'BackupVault', {
      vaultName: backupVaultName(profile, this.region),
      key: keys['phi-data'],
    });
    this.backupPlan = new ClinicalBackupPlan(this, 'Backup', {
      planName: `${profile.namePrefix}-data-${this.region}`,
      vault: this.vault.vault,
      resources: backupResources,
      copyToVaultArn: otherRegion ? backupVaultArn(profile, otherRegion, this.partition) : undefined,
    });
  }
}

/**
 * ARN of the multi-region replica, in `region`, of a primary key: a replica has the same key id as its primary
 * (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html), so the ARN is known
 * from this region alone, with no export from the other region's stack.
 */
export function replicaKeyArn(primaryKeyId: string, region: string): string {
  return `arn:${Aws.PARTITION}:kms:${region}:${Aws.ACCOUNT_ID}:key/${primaryKeyId}`;
}

/**
 * A bucket of a single-region profile: S3 can only replicate into another bucket, and that bucket would need a
 * replication rule of its own (only a cycle of buckets satisfies the rule), so a single region has nowhere to
 * replicate to. The profile states no regional recovery target (lib/config/recovery.ts); the bucket is versioned,
 * in a continuous backup plan into a compliance-locked vault, and stored across three AZs.
 */
function acknowledgeSingleRegionBucket(bucket: PhiBucket, owner: string): void {
  for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
    acknowledge(bucket.bucket, {
      id: `${pack}::${pack}-S3BucketReplicationEnabled`,
      reason:
        'Single-region profile: there is no second region to replicate to. The bucket is versioned (noncurrent versions kept 6 years), in a continuous AWS Backup plan into a compliance-locked vault, and S3 stores it across 3 AZs.',
      reference: 'README.md#cross-region-wiring',
      owner,
      expires: '2027-10-31',
    });
  }
}

/**
 * A DR replica bucket during the `install` rollout only: it is created before the primary's bucket exists, and
 * S3 refuses a replication rule into a bucket that does not exist. The next (`steady`) deploy adds the rule; a
 * steady synth has no such acknowledgement.
 */
function acknowledgeInstallRollout(bucket: PhiBucket, primary: string, owner: string): void {
  for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
    acknowledge(bucket.bucket, {
      id: `${pack}::${pack}-S3BucketReplicationEnabled`,
      reason: `First deploy (rollout: install): the bucket is created before its replication destination in ${primary} exists, and S3 rejects a rule into a bucket that does not exist. It is empty until the ${primary} bucket replicates into it; the next deploy (rollout: steady) adds the rule back to ${primary}.`,
      reference: 'README.md#the-first-deploy',
      owner,
      expires: '2027-10-31',
    });
  }
}

const pascal = (s: string): string => s.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
