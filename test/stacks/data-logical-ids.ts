/**
 * The pinned logical ids of every stateful resource of the data tier, per profile and stack: an explicit list,
 * not a snapshot. A rename that changes one of these makes CloudFormation replace a store (a new, empty cluster,
 * table or bucket). Changing this list needs a migration plan (`cdk import`, `overrideLogicalId`).
 */
const PRIMARY_COMMON = [
  'AuditIdempotencyTable8D74BC76',
  'BackupVault68B95C06',
  'ClinicalDatabaseClusterEE91DA0B',
  'ClinicalDatabaseMasterSecret1A3651BE',
  'ClinicalDatabasePostgresqlLogs7C1262C4',
  'ClinicalDatabaseWriterDB2A58CD',
  'DataCaptureStoreBucket14E6C41D',
  'DocumentsStoreBucketE124245C',
  'ModelArtifactsStoreBucketB4953552',
  // The migration function's logs and (transient, no PHI) dead-letter queue.
  'SchemaMigrationsFunctionDeadLetterQueueDE63170B',
  'SchemaMigrationsFunctionLogs1C0A067F',
];

export const DATA_PINNED: Record<string, Record<string, string[]>> = {
  poc: {
    'Data-us-east-1': PRIMARY_COMMON,
  },
  production: {
    'Data-us-east-1': [
      ...PRIMARY_COMMON,
      'ClinicalDatabaseGlobalCluster079D758D',
      'ClinicalDatabaseReader18F1D796C',
    ],
    'Data-us-west-2': [
      'BackupVault68B95C06',
      'DataCaptureStoreBucket14E6C41D',
      'DocumentsStoreBucketE124245C',
      'ModelArtifactsStoreBucketB4953552',
    ],
    'DataSecondary-us-west-2': [
      'ClinicalDatabaseClusterEE91DA0B',
      'ClinicalDatabasePostgresqlLogs7C1262C4',
      'ClinicalDatabaseWriterDB2A58CD',
    ],
  },
};
