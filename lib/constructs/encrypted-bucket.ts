import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface EncryptedBucketProps {
  /** The customer-managed key that encrypts every object (SSE-KMS with an S3 bucket key). */
  readonly encryptionKey: kms.IKey;
  /** The bucket that receives this bucket's server access logs (164.312(b) audit controls). */
  readonly accessLogsBucket: s3.IBucket;
  /**
   * Prefix of this bucket's server access logs in the access-log bucket.
   * @default - the construct path's id followed by '/'
   */
  readonly accessLogsPrefix?: string;
  /**
   * Object Lock default retention in compliance mode, in days. Object Lock can only be chosen at creation.
   * @default - no Object Lock
   */
  readonly objectLockDays?: number;
  /**
   * Days that noncurrent object versions are kept before expiry.
   * @default 2192 (6 years, 45 CFR 164.316(b)(2)(i))
   */
  readonly noncurrentVersionRetentionDays?: number;
  /**
   * Extra lifecycle rules.
   * @default - only the noncurrent-version rule and aborting incomplete multipart uploads
   */
  readonly lifecycleRules?: s3.LifecycleRule[];
}

/**
 * An S3 bucket that is safe for PHI by construction: SSE-KMS under a CMK with a bucket key,
 * versioning, every public access blocked, TLS 1.2+ only, access logging, retained on delete.
 * (45 CFR 164.312(a)(2)(iv), 164.312(c)(1), 164.312(e)(1).)
 */
export class EncryptedBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: EncryptedBucketProps) {
    super(scope, id);
    const lock = props.objectLockDays;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: props.accessLogsPrefix ?? `${id}/`,
      removalPolicy: RemovalPolicy.RETAIN,
      objectLockEnabled: lock !== undefined ? true : undefined,
      objectLockDefaultRetention:
        lock !== undefined ? s3.ObjectLockRetention.compliance(Duration.days(lock)) : undefined,
      lifecycleRules: [
        {
          id: 'retain-noncurrent-versions-6-years',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionRetentionDays ?? 2192),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        ...(props.lifecycleRules ?? []),
      ],
    });
  }
}
