import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, CONSTRUCT_LIBRARY_OWNER } from '../../compliance-rules/acknowledge';
import { CLASSIFICATION_TAG } from '../../compliance-rules/support/stores';

export interface AccessLogsBucketProps {
  /**
   * Days the access logs are kept: they are audit records (45 CFR 164.316(b)(2)(i)).
   * @default 2192
   */
  readonly retentionDays?: number;
}

/**
 * The destination of S3 server access logs for the region's buckets.
 *
 * S3 delivers server access logs only to buckets encrypted with SSE-S3 (SSE-KMS destinations are not
 * supported) and without an Object Lock default retention, so this is the one bucket without a CMK or Object
 * Lock. It holds request metadata (requester, operation, key name), never object contents. It is versioned,
 * TLS-only, private and retained, and its records expire only after the audit retention period.
 */
export class AccessLogsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps = {}) {
    super(scope, id);
    const days = props.retentionDays ?? 2192;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-after-audit-retention',
          expiration: Duration.days(days),
          noncurrentVersionExpiration: Duration.days(days),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
      acknowledge(this.bucket, {
        id: `${pack}::${pack}-S3DefaultEncryptionKMS`,
        reason:
          'S3 server access logs can only be delivered to a destination bucket encrypted with SSE-S3 (SSE-KMS is not supported); the bucket holds request metadata, never object contents.',
        reference: 'docs/decisions.md#access-log-bucket',
        owner: CONSTRUCT_LIBRARY_OWNER,
        expires: '2027-10-31',
      });
      acknowledge(this.bucket, {
        id: `${pack}::${pack}-S3BucketReplicationEnabled`,
        reason:
          "Holds only this region's request logs, versioned and kept 6 years; the PHI buckets it describes are themselves replicated or backed up across regions.",
        reference: 'docs/decisions.md#access-log-bucket',
        owner: CONSTRUCT_LIBRARY_OWNER,
        expires: '2027-10-31',
      });
    }
    // Request metadata of this region's buckets, not PHI: classified so the PHI-store rules do not apply to it.
    Tags.of(this.bucket).add(CLASSIFICATION_TAG, 'confidential');
    acknowledge(this.bucket, {
      id: 'ClinicalAI.HIPAA::ClinicalAI.HIPAA-StoreBackedUpToLockedVault[NotInBackupPlan]',
      reason:
        "Server access logs (request metadata, no PHI) of this region's buckets; S3 delivers them only to an SSE-S3 bucket without Object Lock, and they are versioned and kept 6 years in place. The PHI buckets they describe are backed up themselves.",
      reference: 'docs/decisions.md#access-log-bucket',
      owner: CONSTRUCT_LIBRARY_OWNER,
      expires: '2027-10-31',
    });
  }
}
