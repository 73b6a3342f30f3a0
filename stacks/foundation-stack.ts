import type { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { AccessLogsBucket } from '../lib/constructs/access-logs-bucket';
import { AuditTrail } from '../lib/constructs/audit-trail';
import { CrossRegionParameter } from '../lib/constructs/cross-region-parameter';
import { DataDomainKey, type DataDomain } from '../lib/constructs/data-domain-key';
import { IsolatedVpc } from '../lib/constructs/isolated-vpc';
import { acknowledge } from '../compliance-rules/acknowledge';
import { parameterName } from '../lib/naming';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

export type FoundationStackProps = PlatformStackProps;

export const DATA_DOMAINS: readonly DataDomain[] = ['phi-data', 'audit-logs', 'model-artifacts'];

/**
 * Per region: the isolated VPC, one CMK per data domain, the region's access-log bucket and the audit trail.
 * In a multi-region profile the primary region holds multi-region primary keys and publishes their ARNs in SSM;
 * the DR region replicates them, reading the ARNs at deploy time (no cross-region export locks the primary).
 */
export class FoundationStack extends PlatformStack {
  readonly vpc: ec2.Vpc;
  readonly keys: Readonly<Record<DataDomain, DataDomainKey>>;
  readonly accessLogsBucket: AccessLogsBucket;
  readonly auditTrail: AuditTrail;
  constructor(scope: Construct, id: string, props: FoundationStackProps) {
    super(scope, id, props);
    const { profile, multiRegion } = props.config;
    const auditDays = profile.logRetention.auditDays;

    const keys = {} as Record<DataDomain, DataDomainKey>;
    // The DR region's key-ARN readers need a key for their own logs and queue before the replicas exist.
    const toolingKey = this.isPrimary
      ? undefined
      : new DataDomainKey(this, 'DeployToolingKey', {
          domain: 'audit-logs',
          aliasName: `alias/${props.stackName ?? id}/deploy-tooling`,
        });
    for (const domain of DATA_DOMAINS) {
      const id = `${pascal(domain)}Key`;
      const additionalStatements = domain === 'audit-logs' ? AuditTrail.keyPolicyStatements() : [];
      const arnParameter = parameterName(profile, 'keys', domain, 'primary-arn');
      if (toolingKey) {
        const primaryArn = new CrossRegionParameter(this, `${id}PrimaryArn`, {
          region: profile.regions.primary,
          parameterName: arnParameter,
          key: toolingKey.key,
          logRetentionDays: auditDays,
        });
        acknowledgeReaderOutsideVpc(primaryArn, profile.tags.owner);
        keys[domain] = new DataDomainKey(this, id, {
          domain,
          replicaOf: primaryArn.value,
          additionalStatements,
        });
      } else {
        keys[domain] = new DataDomainKey(this, id, { domain, multiRegion, additionalStatements });
        if (multiRegion) {
          new ssm.StringParameter(this, `${id}ArnParameter`, {
            parameterName: arnParameter,
            stringValue: keys[domain].keyArn,
            description: `ARN of the multi-region primary ${domain} key, read by the DR region at deploy time`,
          });
        }
      }
    }
    this.keys = keys;

    this.accessLogsBucket = new AccessLogsBucket(this, 'AccessLogs', { retentionDays: auditDays });

    this.vpc = new IsolatedVpc(this, 'Network', {
      cidr: profile.network.vpcCidrs[props.region],
      availabilityZones: profile.availabilityZones[props.region],
      flowLogKey: keys['audit-logs'].key,
      flowLogRetentionDays: auditDays,
    }).vpc;

    this.auditTrail = new AuditTrail(this, 'AuditTrail', {
      key: keys['audit-logs'].key,
      accessLogsBucket: this.accessLogsBucket.bucket,
      retentionDays: auditDays,
      multiRegion: this.isPrimary,
    });

    acknowledgeRestrictDefaultSgProvider(this, profile.tags.owner);
  }

  /** Imports this stack's key for a domain into a consumer stack in the same region (grants go to the consumer's roles). */
  importKey(scope: Construct, domain: DataDomain): kms.IKey {
    return kms.Key.fromKeyArn(scope, `${pascal(domain)}KeyRef`, this.keys[domain].keyArn);
  }
}

const pascal = (s: string): string => s.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

function acknowledgeReaderOutsideVpc(reader: CrossRegionParameter, owner: string): void {
  const reason =
    'Deploy-time custom resource that reads a key ARN (not PHI, not secret) from SSM in the primary region; ' +
    'the isolated subnets have no route to another region, so it runs outside the VPC.';
  for (const id of [
    'HIPAA.Security::HIPAA.Security-LambdaInsideVPC',
    'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC',
  ]) {
    acknowledge(reader.reader.function, {
      id,
      reason,
      reference: 'docs/decisions.md#cross-region-key-arns',
      owner,
      expires: '2027-10-31',
    });
  }
}

/**
 * `restrictDefaultSecurityGroup` deploys CDK's own `Custom::VpcRestrictDefaultSG` provider: a raw
 * `AWS::Lambda::Function` that cdk-nag cannot see and our pack reports (RawLambdaFunctionHardened). CDK
 * exposes none of the settings the rule asks for, so the finding is acknowledged on that one function, with
 * what it does, and re-reviewed at each CDK upgrade (docs/decisions.md#cdk-provided-providers).
 */
export function acknowledgeRestrictDefaultSgProvider(stack: Stack, owner: string): void {
  const provider = stack.node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
  const handler = provider?.node.tryFindChild('Handler');
  if (!handler) return;
  acknowledge(handler, {
    id: 'ClinicalAI.HIPAA::ClinicalAI.HIPAA-RawLambdaFunctionHardened',
    reason:
      "CDK's built-in provider that removes every rule of the VPC's default security group at deploy time " +
      '(VPCDefaultSecurityGroupClosed); it is invoked only by CloudFormation, handles no PHI, and its role may only ' +
      "change that one security group. CDK's CustomResourceProvider exposes no VPC, DLQ or concurrency settings.",
    reference: 'docs/decisions.md#cdk-provided-providers',
    owner,
    expires: '2027-05-31',
  });
}
