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
 *   replica buckets that S3 replication writes into and the region's locked vault, with a backup plan over the
 *   region's stores that copies back to the primary region. The Aurora secondary cluster, which can only join the
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
    // Key ids, for the ARNs of their multi-region replicas in the DR region (Ref of the key resource; parsing the
    // id out of an imported ARN would need Fn::Split over a cross-stack reference, which cfn-lint rejects).
    const keyIds = (domain: DataDomain): string => foundation.keys[domain].resource.ref;
    // The region a backup of this region is copied to, and the region S3 replicates to (primary only).
    const otherRegion = this.isPrimary ? dr : primary;

    const buckets = {} as Record<DataBucketPurpose, PhiBucket>;
    for (const purpose of DATA_BUCKET_PURPOSES) {
      const spec = BUCKETS[purpose];
      buckets[purpose] = new PhiBucket(this, pascal(purpose), {
        bucketName: dataBucketName(profile, purpose, this.region),
        key: keys[spec.domain],
        accessLogsBucket: foundation.accessLogsBucket.bucket,
        archiveAfterDays: spec.archiveAfterDays,
        expireAfterDays: spec.expireAfterDays,
        replication:
          this.isPrimary && dr
            ? {
                destinationBucketName: dataBucketName(profile, purpose, dr),
                destinationRegion: dr,
                destinationKeyArn: replicaKeyArn(keyIds(spec.domain), dr),
              }
            : undefined,
      });
      if (!this.isPrimary || !dr)
        acknowledgeTerminalBucket(buckets[purpose], this.isPrimary, primary, profile.tags.owner);
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
 * The one place a data store is acknowledged: a bucket at the end of the replication chain. S3 can only replicate
 * into a bucket that already exists, so the first bucket of any chain cannot replicate; here that is the DR
 * region's replica (production) or the single region's bucket (poc). Each is protected by versioning, continuous
 * backups and cross-region backup copies (production) instead.
 */
function acknowledgeTerminalBucket(
  bucket: PhiBucket,
  isPrimary: boolean,
  primary: string,
  owner: string,
): void {
  const reason = isPrimary
    ? 'Single-region profile: there is no second region to replicate to. The bucket is versioned (noncurrent versions kept 6 years), in a continuous AWS Backup plan into a compliance-locked vault, and S3 stores it across 3 AZs.'
    : `This bucket is the cross-region replica: S3 replication with RTC writes into it from ${primary}. S3 can only replicate into an existing bucket, so what is written here after a failover is copied back to ${primary} by the failback runbook; meanwhile the bucket is versioned and in a continuous AWS Backup plan that copies to ${primary}.`;
  for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
    acknowledge(bucket.bucket, {
      id: `${pack}::${pack}-S3BucketReplicationEnabled`,
      reason,
      reference: isPrimary ? 'README.md#cross-region-wiring' : 'docs/runbooks/data-failback.md',
      owner,
      expires: '2027-10-31',
    });
  }
}

const pascal = (s: string): string => s.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
