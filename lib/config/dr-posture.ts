import type { PlatformConfig } from './index';

/**
 * The disaster-recovery posture of every data store, per profile: the mechanism and the recovery point and time
 * objectives it supports, with the AWS documentation figure each number comes from. Plain data (no CDK), read by
 * the README, the tests and the compliance evidence report (45 CFR 164.308(a)(7)(ii)(B) disaster recovery plan,
 * (C) emergency mode operation plan).
 */

/** A recovery objective a mechanism supports, and where AWS documents it. */
export interface RecoveryObjective {
  /** The objective in words, e.g. "typically under 1 second". */
  readonly summary: string;
  /** An upper bound in seconds for machines (the documented typical or committed figure); null when it depends on data size. */
  readonly seconds: number | null;
  /** The AWS documentation page that states the figure. */
  readonly source: string;
}

export interface StorePosture {
  /** Stable id of the store, e.g. `aurora-clinical`. */
  readonly store: string;
  /** What the store holds. */
  readonly holds: string;
  /** CloudFormation type of the primary resource. */
  readonly resourceType: string;
  /** The regions that hold a live copy. */
  readonly regions: readonly string[];
  /** How the data reaches the DR region (or, single-region, how it is recovered). */
  readonly mechanism: string;
  readonly rpo: RecoveryObjective;
  readonly rto: RecoveryObjective;
  /** In-region recovery from mistakes (deletes, bad writes): point-in-time restore and backups. */
  readonly pointInTimeRecovery: string;
  /** AWS Backup coverage. */
  readonly backup: string;
}

const DOC = {
  auroraGlobal: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html',
  auroraGlobalFailover:
    'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html',
  auroraPitr: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-pitr.html',
  auroraHa:
    'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html',
  ddbGlobal:
    'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html',
  ddbPitr: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Point-in-time-recovery.html',
  s3Rtc: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html',
  s3Durability: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/DataDurability.html',
  backupCopy: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html',
  backupContinuous: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html',
} as const;

const restoreTime: RecoveryObjective = {
  summary:
    'restore time: minutes to hours, proportional to the data size (a new resource is created from the backup)',
  seconds: null,
  source: DOC.backupCopy,
};

/** The posture of every store of the data tier for a profile. */
export function drPosture(config: PlatformConfig): StorePosture[] {
  const { regions, multiRegion } = config;
  const { primary, dr } = config.profile.regions;
  const backupText = multiRegion
    ? `AWS Backup plan in each region (continuous 35 days where supported, daily snapshot otherwise, monthly kept 6 years), every recovery point copied to the other region's locked vault (${regions.join(' ⇄ ')})`
    : `AWS Backup plan (continuous 35 days where supported, daily snapshot otherwise, monthly kept 6 years) into the region's locked vault; no cross-region copy in a single-region profile`;

  const aurora: StorePosture = multiRegion
    ? {
        store: 'aurora-clinical',
        holds: 'patients, canonical observations, ingestion receipts and quarantine (PostgreSQL)',
        resourceType: 'AWS::RDS::GlobalCluster',
        regions,
        mechanism: `Aurora Global Database: writer cluster in ${primary} (instances in 2 AZs), read-only secondary cluster in ${dr ?? ''}, storage-level replication; managed switchover (planned) or failover with allow-data-loss (region outage)`,
        rpo: {
          summary:
            'replication lag, typically under 1 second (0 for a managed switchover); watch AuroraGlobalDBRPOLag',
          seconds: 1,
          source: DOC.auroraGlobal,
        },
        rto: {
          summary:
            'minutes: promote the secondary (failover-global-cluster), typically about a minute, then redirect clients to the DR proxy',
          seconds: 60,
          source: DOC.auroraGlobalFailover,
        },
        pointInTimeRecovery:
          'Aurora automated backups: restore to any second of the last 35 days, latest restorable time typically within 5 minutes',
        backup: backupText,
      }
    : {
        store: 'aurora-clinical',
        holds: 'patients, canonical observations, ingestion receipts and quarantine (PostgreSQL)',
        resourceType: 'AWS::RDS::DBCluster',
        regions,
        mechanism: `one Aurora cluster in ${primary}: six copies of the storage across three AZs; no cross-region replica`,
        rpo: {
          summary:
            'AZ failure: 0 (storage replicated across 3 AZs); region loss: the last backup in the region',
          seconds: 0,
          source: DOC.auroraHa,
        },
        rto: {
          summary:
            'AZ failure: a new writer within minutes (single instance); region loss: restore from backup',
          seconds: null,
          source: DOC.auroraHa,
        },
        pointInTimeRecovery:
          'Aurora automated backups: restore to any second of the last 35 days, latest restorable time typically within 5 minutes',
        backup: backupText,
      };

  const table: StorePosture = {
    store: 'dynamodb-audit-idempotency',
    holds: 'audit records (kept) and idempotency keys (TTL)',
    resourceType: 'AWS::DynamoDB::GlobalTable',
    regions,
    mechanism: multiRegion
      ? `DynamoDB global table (multi-region eventual consistency): replicas in ${regions.join(' and ')}, each under its own region's CMK, both writable`
      : `DynamoDB table in ${primary}, replicated across 3 AZs by the service`,
    rpo: multiRegion
      ? {
          summary: 'replication latency, typically within 1 second; watch ReplicationLatency',
          seconds: 1,
          source: DOC.ddbGlobal,
        }
      : {
          summary: 'region loss: the last backup (PITR is in-region)',
          seconds: null,
          source: DOC.ddbPitr,
        },
    rto: multiRegion
      ? {
          summary:
            'none for the table (the DR replica is already writable); clients switch region with the API',
          seconds: 0,
          source: DOC.ddbGlobal,
        }
      : restoreTime,
    pointInTimeRecovery:
      'PITR on every replica: restore to any second of the last 35 days (latest restorable time typically 5 minutes ago)',
    backup: backupText,
  };

  const buckets: StorePosture = {
    store: 's3-documents-models-data-capture',
    holds:
      'clinical documents and ingestion payloads (with quarantine), model artefacts, inference data capture',
    resourceType: 'AWS::S3::Bucket',
    regions,
    mechanism: multiRegion
      ? `S3 cross-region replication both ways between ${primary} and ${dr ?? ''}, each copy under its own region's CMK, with Replication Time Control, replication metrics and replica modification sync: ${primary} → ${dr ?? ''} for the replicas, ${dr ?? ''} → ${primary} so that what the DR region writes after a failover reaches ${primary}${config.profile.rollout === 'install' ? ' (added by the next deploy: this is the first, rollout install)' : ''}; delete markers replicated, versions kept 6 years`
      : `S3 in ${primary}: versioned, 11 nines of durability across 3 AZs; no cross-region replica`,
    rpo: multiRegion
      ? {
          summary:
            'S3 RTC: 99.99% of objects replicated within 15 minutes (SLA-backed); watch ReplicationLatency',
          seconds: 900,
          source: DOC.s3Rtc,
        }
      : {
          summary: 'AZ failure: 0; region loss: the last backup',
          seconds: 0,
          source: DOC.s3Durability,
        },
    rto: multiRegion
      ? {
          summary: 'minutes: the replicas are readable at once; clients switch to the DR bucket names',
          seconds: 300,
          source: DOC.s3Rtc,
        }
      : restoreTime,
    pointInTimeRecovery:
      'versioning (noncurrent versions kept 6 years) and AWS Backup continuous backup: restore to any point of the last 35 days',
    backup: backupText,
  };

  const backups: StorePosture = {
    store: 'backup-vaults',
    holds: 'recovery points of every store above',
    resourceType: 'AWS::Backup::BackupVault',
    regions,
    mechanism: multiRegion
      ? 'a vault per region under its CMK, locked in compliance mode (Vault Lock), each receiving the other region’s copies'
      : 'one vault under the region CMK, locked in compliance mode (Vault Lock)',
    rpo: {
      summary: multiRegion
        ? 'continuous backups: any second of the last 35 days in-region; cross-region copies: at most 24 hours behind (daily) plus copy time'
        : 'continuous backups: any second of the last 35 days; snapshots: at most 24 hours behind',
      seconds: 86400,
      source: multiRegion ? DOC.backupCopy : DOC.backupContinuous,
    },
    rto: restoreTime,
    pointInTimeRecovery: 'the continuous rule itself (35 days)',
    backup: 'this is the backup tier',
  };

  return [aurora, table, buckets, backups];
}
