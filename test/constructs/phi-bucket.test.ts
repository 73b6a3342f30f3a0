import { Match, Template } from 'aws-cdk-lib/assertions';
import { acknowledgements } from '../../compliance-rules/acknowledge';
import { PhiBucket } from '../../lib/constructs/phi-bucket';
import { dataTestStack } from './data-test-stack';

const REPLICATION = {
  destinationBucketName: 'replica-bucket',
  destinationRegion: 'us-west-2',
  destinationKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/mrk-1',
};

describe('PhiBucket', () => {
  test('refuses a lifecycle that would expire objects before six years', () => {
    const { stack, key, accessLogs } = dataTestStack();
    expect(
      () =>
        new PhiBucket(stack, 'B', {
          bucketName: 'b',
          key,
          accessLogsBucket: accessLogs,
          expireAfterDays: 2191,
        }),
    ).toThrow(/expireAfterDays must be at least 2192/);
  });

  test('named, SSE-KMS with a bucket key, archived and expired as asked, noncurrent versions kept 6 years', () => {
    const { stack, key, accessLogs } = dataTestStack();
    new PhiBucket(stack, 'B', {
      bucketName: 'capture',
      key,
      accessLogsBucket: accessLogs,
      archiveAfterDays: 90,
      expireAfterDays: 2192,
    });
    const t = Template.fromStack(stack);
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketName: 'capture',
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 2192 } }),
            Match.objectLike({
              Id: 'current-versions',
              ExpirationInDays: 2192,
              Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
            }),
          ]),
        },
      }),
    });
    const bucket = Object.values(t.findResources('AWS::S3::Bucket')).find(
      (b: { Properties?: { BucketName?: string } }) => b.Properties?.BucketName === 'capture',
    ) as { Properties: Record<string, unknown> };
    expect(bucket.Properties['ReplicationConfiguration']).toBeUndefined();
  });

  test('replication: a role only S3 of this account assumes, created before the bucket names it', () => {
    const { stack, key, accessLogs } = dataTestStack();
    const b = new PhiBucket(stack, 'B', {
      bucketName: 'source',
      key,
      accessLogsBucket: accessLogs,
      replication: REPLICATION,
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Principal: { Service: 's3.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ],
      }),
    });
    const [bucketId, bucket] = Object.entries(t.findResources('AWS::S3::Bucket')).find(
      ([, r]: [string, { Properties?: { BucketName?: string } }]) => r.Properties?.BucketName === 'source',
    ) as [string, { DependsOn?: string[] }];
    const [policyId] = Object.keys(
      t.findResources('AWS::IAM::ManagedPolicy', {
        Properties: { Description: Match.stringLikeRegexp('S3 replication') },
      }),
    );
    expect(bucket.DependsOn).toContain(policyId);
    expect(bucketId).toMatch(/^BStoreBucket/);
    expect(b.replicationRole).toBeDefined();
  });

  test('the replication role’s wildcards are acknowledged on its policy only, one per bucket', () => {
    const before = acknowledgements().length;
    const { stack, key, accessLogs } = dataTestStack();
    new PhiBucket(stack, 'B', {
      bucketName: 'source',
      key,
      accessLogsBucket: accessLogs,
      replication: REPLICATION,
    });
    const made = acknowledgements()
      .slice(before)
      .map((a) => `${a.path} ${a.id}`);
    expect(made).toEqual([
      'Test/B/ReplicationPolicy AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::source/*]',
      'Test/B/ReplicationPolicy AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::replica-bucket/*]',
    ]);
  });
});
