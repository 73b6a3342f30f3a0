import type { Profile } from './config';

/**
 * Physical names of the data tier that another region (or another stack) must know without a CloudFormation
 * export: every one is computed from the profile alone, so a stack in us-west-2 can name a store in us-east-1
 * (and the reverse) while both regions stay independently deployable (no strong cross-region reference;
 * aws/aws-cdk#27902).
 */

/** The S3 stores of the data tier. */
export type DataBucketPurpose = 'documents' | 'model-artifacts' | 'data-capture';

export const DATA_BUCKET_PURPOSES: readonly DataBucketPurpose[] = [
  'documents',
  'model-artifacts',
  'data-capture',
];

/**
 * `<prefix>-<purpose>-<account>-<region>`: globally unique (account and region) and at most 63 characters with
 * the profile schema's 16-character prefix limit.
 */
export const dataBucketName = (profile: Profile, purpose: DataBucketPurpose, region: string): string =>
  `${profile.namePrefix}-${purpose}-${profile.account}-${region}`;

/** The Aurora cluster of a region. Also names its log group: `/aws/rds/cluster/<id>/postgresql`. */
export const auroraClusterIdentifier = (profile: Profile, region: string): string =>
  `${profile.namePrefix}-clinical-${region}`;

/** The Aurora global database (production): one name that both regions' stacks know. */
export const globalClusterIdentifier = (profile: Profile): string => `${profile.namePrefix}-clinical-global`;

/** The DynamoDB table of audit records and idempotency keys (the same name in every replica region). */
export const phiTableName = (profile: Profile): string => `${profile.namePrefix}-audit-idempotency`;

/** The AWS Backup vault of a region. */
export const backupVaultName = (profile: Profile, region: string): string =>
  `${profile.namePrefix}-vault-${region}`;

/** ARN of a region's backup vault, for copy actions from the other region. */
export const backupVaultArn = (profile: Profile, region: string, partition = 'aws'): string =>
  `arn:${partition}:backup:${region}:${profile.account}:backup-vault:${backupVaultName(profile, region)}`;
