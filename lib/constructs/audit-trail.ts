import { Aws, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EncryptedBucket } from './encrypted-bucket';
import { acknowledge, CONSTRUCT_LIBRARY_OWNER } from '../../compliance-rules/acknowledge';
import { CLASSIFICATION_TAG } from '../../compliance-rules/support/stores';

export interface AuditTrailProps {
  /** The audit-logs CMK: encrypts the trail, its bucket and its log group. */
  readonly key: kms.IKey;
  /** Where the trail bucket's own server access logs go. */
  readonly accessLogsBucket: s3.IBucket;
  /** Object Lock (compliance mode) retention of the trail files and the log group's retention, in days; at least 2,192. */
  readonly retentionDays: number;
  /**
   * Record every region (and global service events) in this trail. The primary region's trail does;
   * the DR region keeps a single-region trail of its own so that its record survives the loss of the primary.
   * @default true
   */
  readonly multiRegion?: boolean;
}

/**
 * The audit trail (45 CFR 164.312(b) audit controls, 164.312(c)(1) integrity, 164.316(b)(2)(i) retention):
 * CloudTrail with log-file validation, KMS encryption and CloudWatch Logs delivery, into an S3 bucket with
 * Object Lock in compliance mode that no one, root included, can shorten or delete before the retention ends.
 */
export class AuditTrail extends Construct {
  readonly trail: cloudtrail.Trail;
  readonly bucket: s3.Bucket;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    this.bucket = new EncryptedBucket(this, 'TrailBucket', {
      encryptionKey: props.key,
      accessLogsBucket: props.accessLogsBucket,
      accessLogsPrefix: 'audit-trail/',
      objectLockDays: props.retentionDays,
      noncurrentVersionRetentionDays: props.retentionDays,
    }).bucket;

    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
      acknowledge(this.bucket, {
        id: `${pack}::${pack}-S3BucketReplicationEnabled`,
        reason:
          "Object Lock compliance-mode bucket stored across 3+ AZs; each region runs its own trail into its own locked bucket, so losing one region never removes another region's audit record.",
        reference: 'docs/decisions.md#audit-trail-per-region',
        owner: CONSTRUCT_LIBRARY_OWNER,
        expires: '2027-10-31',
      });
    }
    // Audit records (management events, no PHI by the platform's rule of no PHI in names or encryption
    // contexts): classified so the PHI-store rules do not apply to it.
    Tags.of(this.bucket).add(CLASSIFICATION_TAG, 'confidential');
    acknowledge(this.bucket, {
      id: 'ClinicalAI.HIPAA::ClinicalAI.HIPAA-StoreBackedUpToLockedVault[NotInBackupPlan]',
      reason:
        "Trail files sit under S3 Object Lock in compliance mode for the audit retention: no one, root included, can delete or overwrite them early, which is what a locked backup vault would add; each region keeps its own trail, so losing one region never removes another region's record.",
      reference: 'docs/decisions.md#audit-trail-per-region',
      owner: CONSTRUCT_LIBRARY_OWNER,
      expires: '2027-10-31',
    });

    this.logGroup = new logs.LogGroup(this, 'TrailLogGroup', {
      encryptionKey: props.key,
      retention: props.retentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const multiRegion = props.multiRegion ?? true;
    this.trail = new cloudtrail.Trail(this, 'Trail', {
      bucket: this.bucket,
      encryptionKey: props.key,
      enableFileValidation: true,
      sendToCloudWatchLogs: true,
      cloudWatchLogGroup: this.logGroup,
      isMultiRegionTrail: multiRegion,
      includeGlobalServiceEvents: multiRegion,
      managementEvents: cloudtrail.ReadWriteType.ALL,
    });
  }

  /** Key-policy statements CloudTrail needs on the audit key, scoped to this account's trails. */
  static keyPolicyStatements(): iam.PolicyStatement[] {
    const sourceArn = `arn:${Aws.PARTITION}:cloudtrail:${Aws.REGION}:${Aws.ACCOUNT_ID}:trail/*`;
    return [
      new iam.PolicyStatement({
        sid: 'CloudTrailEncryptsLogs',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${Aws.PARTITION}:cloudtrail:*:${Aws.ACCOUNT_ID}:trail/*`,
          },
          ArnLike: { 'aws:SourceArn': sourceArn },
        },
      }),
      new iam.PolicyStatement({
        sid: 'CloudTrailDescribesKey',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { ArnLike: { 'aws:SourceArn': sourceArn } },
      }),
    ];
  }
}
