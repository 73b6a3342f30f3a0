import { Match, type Template } from 'aws-cdk-lib/assertions';
import { KEY_ADMIN_ACTIONS } from '../../lib/constructs/data-domain-key';
import { INTERFACE_ENDPOINTS } from '../../lib/constructs/isolated-vpc';
import { platform } from '../helpers/platform';

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }
>;
const resourcesOf = (t: Template, type: string): Resources => t.findResources(type) as Resources;

describe.each(['poc', 'production'])('foundation stack (%s)', (profileName) => {
  const p = platform(profileName);
  const cases = p.regions.map((r) => [r.region, r.isPrimary, p.template(r.foundation)] as const);

  describe.each(cases)('in %s', (region, isPrimary, t) => {
    test('a customer-managed key per data domain, rotating yearly, retained', () => {
      if (isPrimary) {
        t.resourcePropertiesCountIs(
          'AWS::KMS::Key',
          { EnableKeyRotation: true, RotationPeriodInDays: 365 },
          3,
        );
        t.resourceCountIs('AWS::KMS::Key', 3);
        for (const key of Object.values(resourcesOf(t, 'AWS::KMS::Key'))) {
          expect(key.DeletionPolicy).toBe('Retain');
          expect(key.Properties?.['MultiRegion']).toBe(p.config.multiRegion);
          expect(key.Properties?.['PendingWindowInDays']).toBe(30);
        }
      } else {
        // DR region: replicas of the primary's multi-region keys; rotation follows the primary.
        t.resourceCountIs('AWS::KMS::ReplicaKey', 3);
        for (const key of Object.values(resourcesOf(t, 'AWS::KMS::ReplicaKey'))) {
          expect(key.DeletionPolicy).toBe('Retain');
        }
        // ...plus one single-region rotating key for the deploy-time readers' own logs and queues.
        t.resourcePropertiesCountIs('AWS::KMS::Key', { EnableKeyRotation: true, MultiRegion: false }, 1);
      }
      t.resourcePropertiesCountIs('AWS::KMS::Alias', { AliasName: Match.stringLikeRegexp(`/phi-data$`) }, 1);
    });

    test('no key policy gives the account kms:* or data-plane use without a service or principal-tag condition', () => {
      const keys = { ...resourcesOf(t, 'AWS::KMS::Key'), ...resourcesOf(t, 'AWS::KMS::ReplicaKey') };
      expect(Object.keys(keys).length).toBeGreaterThan(0);
      for (const key of Object.values(keys)) {
        const statements = (key.Properties?.['KeyPolicy'] as { Statement: Record<string, unknown>[] })
          .Statement;
        for (const s of statements) {
          const actions = ([] as string[]).concat(s['Action'] as string | string[]);
          expect(actions).not.toContain('kms:*');
          const principal = JSON.stringify(s['Principal']);
          const isAccount = principal.includes(':root');
          const dataPlane = actions.some((a) => /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey)/.test(a));
          if (isAccount && dataPlane) expect(s['Condition']).toBeDefined();
          if (s['Sid'] === 'KeyAdministration') expect(actions.sort()).toEqual([...KEY_ADMIN_ACTIONS].sort());
        }
      }
    });

    test('key administration actions cannot be stretched into data-plane use', () => {
      const dataPlane = [
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'kms:ReEncryptFrom',
        'kms:CreateGrant',
      ];
      for (const pattern of KEY_ADMIN_ACTIONS) {
        const re = new RegExp(`^${pattern.replace(/\*/g, '.*')}$`, 'i');
        expect(dataPlane.filter((a) => re.test(a))).toEqual([]);
      }
    });

    test('VPC: isolated subnets only, in at least two AZs, no internet or NAT gateway', () => {
      t.resourceCountIs('AWS::EC2::InternetGateway', 0);
      t.resourceCountIs('AWS::EC2::NatGateway', 0);
      t.resourceCountIs('AWS::EC2::EIP', 0);
      const subnets = Object.values(resourcesOf(t, 'AWS::EC2::Subnet'));
      expect(subnets.length).toBeGreaterThanOrEqual(2);
      const azs = new Set(subnets.map((s) => s.Properties?.['AvailabilityZone']));
      expect(azs.size).toBeGreaterThanOrEqual(2);
      for (const s of subnets) {
        expect(s.Properties?.['MapPublicIpOnLaunch']).toBe(false);
        expect(JSON.stringify(s.Properties?.['Tags'])).toContain('Isolated');
      }
      // No route table sends anything to 0.0.0.0/0.
      t.resourceCountIs('AWS::EC2::Route', 0);
      t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: p.config.profile.network.vpcCidrs[region] });
    });

    test('VPC endpoints for every AWS API the platform calls', () => {
      for (const svc of ['kms', 'sagemaker.runtime', 'logs', 'secretsmanager', 'sts']) {
        t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
          ServiceName: `com.amazonaws.${region}.${svc}`,
          VpcEndpointType: 'Interface',
          PrivateDnsEnabled: true,
        });
      }
      for (const svc of ['s3', 'dynamodb']) {
        t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
          ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([`.${svc}`])]) }),
          VpcEndpointType: 'Gateway',
        });
      }
      t.resourcePropertiesCountIs(
        'AWS::EC2::VPCEndpoint',
        { VpcEndpointType: 'Interface' },
        Object.keys(INTERFACE_ENDPOINTS).length,
      );
      // Endpoints accept HTTPS from inside the VPC only.
      t.hasResourceProperties('AWS::EC2::SecurityGroup', {
        SecurityGroupIngress: [
          {
            CidrIp: p.config.profile.network.vpcCidrs[region],
            FromPort: 443,
            ToPort: 443,
            IpProtocol: 'tcp',
            Description: Match.anyValue(),
          },
        ],
      });
    });

    test('flow logs of all traffic to a KMS-encrypted log group kept for the audit retention', () => {
      t.hasResourceProperties('AWS::EC2::FlowLog', {
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
      });
      const groups = Object.values(resourcesOf(t, 'AWS::Logs::LogGroup'));
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) {
        expect(g.Properties?.['KmsKeyId']).toBeDefined();
        expect(g.Properties?.['RetentionInDays']).toBeGreaterThanOrEqual(2192);
        expect(g.DeletionPolicy).toBe('Retain');
      }
    });

    test('the default security group is restricted', () => {
      t.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    });

    test('CloudTrail: log-file validation, KMS, CloudWatch Logs delivery', () => {
      t.hasResourceProperties('AWS::CloudTrail::Trail', {
        EnableLogFileValidation: true,
        KMSKeyId: Match.anyValue(),
        CloudWatchLogsLogGroupArn: Match.anyValue(),
        CloudWatchLogsRoleArn: Match.anyValue(),
        IsLogging: true,
        IsMultiRegionTrail: isPrimary,
        IncludeGlobalServiceEvents: isPrimary,
      });
    });

    test('the trail bucket: Object Lock in compliance mode for at least 2,192 days, versioned, KMS, logged', () => {
      t.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: Match.anyValue() } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
              BucketKeyEnabled: true,
            },
          ],
        },
        LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'audit-trail/' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
      const locked = Object.values(resourcesOf(t, 'AWS::S3::Bucket')).filter(
        (b) => b.Properties?.['ObjectLockEnabled'],
      );
      expect(locked).toHaveLength(1);
      const days = (
        locked[0].Properties?.['ObjectLockConfiguration'] as { Rule: { DefaultRetention: { Days: number } } }
      ).Rule.DefaultRetention.Days;
      expect(days).toBeGreaterThanOrEqual(2192);
    });

    test('every bucket denies non-TLS and TLS below 1.2', () => {
      const policies = Object.values(resourcesOf(t, 'AWS::S3::BucketPolicy'));
      expect(policies).toHaveLength(Object.keys(resourcesOf(t, 'AWS::S3::Bucket')).length);
      for (const policy of policies) {
        const text = JSON.stringify(policy.Properties?.['PolicyDocument']);
        expect(text).toContain('"aws:SecureTransport":"false"');
        expect(text).toContain('"s3:TlsVersion":1.2');
      }
    });

    test('every bucket is retained and blocks public access', () => {
      for (const b of Object.values(resourcesOf(t, 'AWS::S3::Bucket'))) {
        expect(b.DeletionPolicy).toBe('Retain');
        expect(b.Properties?.['PublicAccessBlockConfiguration']).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
      }
    });

    test('no inline IAM policies: grants become customer-managed policies', () => {
      t.resourceCountIs('AWS::IAM::Policy', 0);
      const roles = Object.entries(resourcesOf(t, 'AWS::IAM::Role'));
      expect(roles.length).toBeGreaterThan(0);
      for (const [logicalId, role] of roles) {
        // The one exception: CDK's own provider for Custom::VpcRestrictDefaultSG renders a raw role with an inline
        // policy scoped to this VPC's default security group (see docs/decisions.md#cdk-provided-providers).
        if (logicalId.startsWith('CustomVpcRestrictDefaultSGCustomResourceProviderRole')) continue;
        expect(role.Properties?.['Policies']).toBeUndefined();
      }
    });
  });

  if (profileName === 'production') {
    test('the primary publishes its multi-region key ARNs; the DR region replicates them without an export', () => {
      const [primary, dr] = p.regions;
      const pt = p.template(primary.foundation);
      const dt = p.template(dr.foundation);
      pt.resourcePropertiesCountIs(
        'AWS::SSM::Parameter',
        { Name: Match.stringLikeRegexp('^/cap-prod/keys/.+/primary-arn$') },
        3,
      );
      expect(JSON.stringify(pt.toJSON()['Outputs'] ?? {})).not.toContain('Export');
      dt.resourcePropertiesCountIs('Custom::CrossRegionParameter', { Region: 'us-east-1' }, 3);
      dt.hasResourceProperties('AWS::KMS::ReplicaKey', {
        PrimaryKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PhiDataKeyPrimaryArn'), 'Value'] },
      });
      expect(JSON.stringify(dt.toJSON())).not.toContain('Fn::ImportValue');
    });
  }
});
