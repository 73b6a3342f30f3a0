import { Arn, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, CONSTRUCT_LIBRARY_OWNER } from '../../compliance-rules/acknowledge';
import { nagFlatten } from '../../compliance-rules/acknowledge-wildcard';
import { EncryptedBucket } from './encrypted-bucket';

/** 45 CFR 164.316(b)(2)(i): six years, 2,192 days. */
export const SIX_YEARS_DAYS = 2192;

/** S3 Replication Time Control's commitment: 99.99% of objects within 15 minutes. */
export const REPLICATION_TIME_MINUTES = 15;

/** Where a bucket replicates to (production: the DR region). */
export interface BucketReplication {
  /** Name of the destination bucket (deterministic; it exists before this bucket's stack deploys). */
  readonly destinationBucketName: string;
  /** Region of the destination bucket. */
  readonly destinationRegion: string;
  /** ARN of the CMK in the destination region that encrypts the replicas. */
  readonly destinationKeyArn: string;
}

export interface PhiBucketProps {
  /** Physical name (deterministic: another region replicates into it or reads it by name). */
  readonly bucketName: string;
  /** This region's CMK for the bucket. */
  readonly key: kms.IKey;
  /** The region's access-log bucket. */
  readonly accessLogsBucket: s3.IBucket;
  /**
   * Days after which current objects expire. Never less than six years: the bucket holds clinical or audit
   * data (45 CFR 164.316(b)(2)(i)).
   * @default - current objects never expire
   */
  readonly expireAfterDays?: number;
  /**
   * Days after which current objects move to Glacier Instant Retrieval (millisecond reads, lower cost).
   * @default - no transition
   */
  readonly archiveAfterDays?: number;
  /**
   * Cross-region replication with Replication Time Control.
   * @default - no replication
   */
  readonly replication?: BucketReplication;
}

/**
 * An S3 store of PHI (clinical documents, ingestion payloads and quarantine, model artefacts, inference data
 * capture): an {@link EncryptedBucket} (SSE-KMS with a bucket key, versioning, all public access blocked,
 * TLS 1.2+ only, access logs, retained) with a deterministic name and lifecycle rules that keep every version at
 * least six years.
 *
 * With `replication`, every object (and delete marker) is replicated to the destination bucket under the
 * destination region's CMK, with S3 Replication Time Control (15 minutes) and replication metrics, by a role
 * that may only read this bucket's versions and write replicas into that one bucket (164.308(a)(7)(ii)(B)
 * disaster recovery plan, 164.312(c)(1) integrity).
 */
export class PhiBucket extends Construct {
  readonly bucket: s3.Bucket;
  /** The replication role (only with `replication`). */
  readonly replicationRole?: iam.Role;

  constructor(scope: Construct, id: string, props: PhiBucketProps) {
    super(scope, id);
    if (props.expireAfterDays !== undefined && props.expireAfterDays < SIX_YEARS_DAYS) {
      throw new Error(`${this.node.path}: expireAfterDays must be at least ${SIX_YEARS_DAYS} (six years)`);
    }
    const lifecycleRules: s3.LifecycleRule[] = [];
    if (props.archiveAfterDays !== undefined || props.expireAfterDays !== undefined) {
      lifecycleRules.push({
        id: 'current-versions',
        transitions:
          props.archiveAfterDays !== undefined
            ? [
                {
                  storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                  transitionAfter: Duration.days(props.archiveAfterDays),
                },
              ]
            : undefined,
        expiration: props.expireAfterDays !== undefined ? Duration.days(props.expireAfterDays) : undefined,
      });
    }
    this.bucket = new EncryptedBucket(this, 'Store', {
      encryptionKey: props.key,
      accessLogsBucket: props.accessLogsBucket,
      accessLogsPrefix: `${props.bucketName}/`,
      noncurrentVersionRetentionDays: SIX_YEARS_DAYS,
      lifecycleRules,
    }).bucket;
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.bucketName = props.bucketName;

    if (props.replication) {
      this.replicationRole = this.configureReplication(
        cfnBucket,
        props.bucketName,
        props.key,
        props.replication,
      );
    }
  }

  private configureReplication(
    cfnBucket: s3.CfnBucket,
    sourceName: string,
    key: kms.IKey,
    r: BucketReplication,
  ): iam.Role {
    const stack = Stack.of(this);
    // ARNs from names, not references: the bucket depends on this policy, so the policy must not depend on it.
    const bucketArn = (name: string) =>
      Arn.format({ service: 's3', region: '', account: '', resource: name }, stack);
    const sourceArn = bucketArn(sourceName);
    const destinationArn = bucketArn(r.destinationBucketName);
    const role = new iam.Role(this, 'ReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Replicates ${sourceName} to ${r.destinationBucketName}`,
    });
    const policy = new iam.ManagedPolicy(this, 'ReplicationPolicy', {
      description: `S3 replication of one bucket into its ${r.destinationRegion} replica`,
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadReplicationConfiguration',
          actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
          resources: [sourceArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReadSourceVersions',
          actions: [
            's3:GetObjectVersionForReplication',
            's3:GetObjectVersionAcl',
            's3:GetObjectVersionTagging',
          ],
          resources: [`${sourceArn}/*`],
        }),
        new iam.PolicyStatement({
          sid: 'WriteReplicas',
          actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
          resources: [`${destinationArn}/*`],
        }),
        new iam.PolicyStatement({
          sid: 'DecryptSourceThroughS3',
          actions: ['kms:Decrypt'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
        new iam.PolicyStatement({
          sid: 'EncryptReplicasThroughS3',
          actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [r.destinationKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${r.destinationRegion}.amazonaws.com` } },
        }),
      ],
    });
    const reason =
      'S3 replication reads and writes object versions by key, which are not known in advance; the wildcard covers the objects of exactly one source bucket and its one replica, never another bucket.';
    for (const arn of [sourceArn, destinationArn]) {
      const resource = nagFlatten(stack.resolve(`${arn}/*`));
      acknowledge(policy, {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
        reason,
        reference:
          'https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html',
        owner: CONSTRUCT_LIBRARY_OWNER,
        expires: '2027-10-31',
      });
    }

    cfnBucket.replicationConfiguration = {
      role: role.roleArn,
      rules: [
        {
          id: `all-objects-to-${r.destinationRegion}`,
          status: 'Enabled',
          priority: 1,
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Enabled' },
          sourceSelectionCriteria: {
            sseKmsEncryptedObjects: { status: 'Enabled' },
            replicaModifications: { status: 'Enabled' },
          },
          destination: {
            bucket: destinationArn,
            encryptionConfiguration: { replicaKmsKeyId: r.destinationKeyArn },
            replicationTime: { status: 'Enabled', time: { minutes: REPLICATION_TIME_MINUTES } },
            metrics: { status: 'Enabled', eventThreshold: { minutes: REPLICATION_TIME_MINUTES } },
          },
        },
      ],
    };
    // The bucket's replication configuration names the role: create the policy first.
    cfnBucket.node.addDependency(policy);
    return role;
  }
}
