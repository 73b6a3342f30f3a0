import { Aws, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** The data domains that each get their own customer-managed key. */
export type DataDomain = 'phi-data' | 'audit-logs' | 'model-artifacts';

/** AWS services that may use a domain key on a caller's behalf (kms:ViaService). */
const DOMAIN_SERVICES: Record<DataDomain, readonly string[]> = {
  'phi-data': ['s3', 'dynamodb', 'rds', 'secretsmanager', 'sqs', 'sns', 'backup', 'lambda'],
  // lambda and sqs: the DR region's deploy-time readers encrypt their environment and dead-letter queue with it.
  'audit-logs': ['s3', 'dynamodb', 'sns', 'backup', 'lambda', 'sqs'],
  'model-artifacts': ['s3', 'sagemaker', 'states'],
};

/**
 * The principal tag a workload role carries to use a domain key directly (the Encryption SDK,
 * SageMaker volumes). Key policies grant no usage to the account as such: only to roles carrying
 * this tag, and only for the data-plane actions. See {@link DataDomainKey.allowDirectUse}.
 */
export const keyUserTag = (domain: DataDomain): string => `clinical-ai:kms-${domain}`;

/**
 * Key administration only: never Encrypt, Decrypt, GenerateDataKey, CreateGrant (a grant can hand out Decrypt)
 * or kms:*. No wildcard here may match a data-plane action; a test checks it.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
  'kms:ReplicateKey',
];

const USE_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
  'kms:DescribeKey',
];

export interface DataDomainKeyProps {
  /** The data domain this key protects. */
  readonly domain: DataDomain;
  /**
   * Create a multi-region primary key (production's primary region).
   * @default false
   */
  readonly multiRegion?: boolean;
  /**
   * ARN of the multi-region primary to replicate. When set, this construct is a replica key
   * (`AWS::KMS::ReplicaKey`) in the stack's region and `multiRegion` is ignored.
   * @default - a new key is created
   */
  readonly replicaOf?: string;
  /**
   * Extra key-policy statements, e.g. for CloudTrail or CloudWatch Logs service principals.
   * @default - none
   */
  readonly additionalStatements?: iam.PolicyStatement[];
  /**
   * Days a deleted key waits before it is destroyed.
   * @default 30 (the maximum)
   */
  readonly pendingWindowDays?: number;
  /**
   * Alias name.
   * @default `alias/<stack name>/<domain>`
   */
  readonly aliasName?: string;
}

/**
 * A customer-managed KMS key for one data domain, with annual rotation and a key policy that names
 * who may use it (45 CFR 164.312(a)(2)(iv) encryption and decryption).
 *
 * The key policy grants the account key administration only. Data-plane use goes to AWS services
 * acting for an authorised caller (kms:ViaService) and to workload roles carrying the domain's
 * principal tag. That way no identity-based policy alone can decrypt PHI.
 */
export class DataDomainKey extends Construct {
  /** The key, for grants from consumers in this stack. Consumers in other stacks import by ARN. */
  readonly key: kms.IKey;
  /** The key ARN. */
  readonly keyArn: string;
  readonly domain: DataDomain;
  /** The underlying L1 resource: `AWS::KMS::Key` or `AWS::KMS::ReplicaKey`. */
  readonly resource: kms.CfnKey | kms.CfnReplicaKey;

  constructor(scope: Construct, id: string, props: DataDomainKeyProps) {
    super(scope, id);
    this.domain = props.domain;
    const policy = DataDomainKey.keyPolicy(props.domain, props.additionalStatements ?? []);
    const description = `clinical-ai ${props.domain} key`;
    const pendingWindowInDays = props.pendingWindowDays ?? 30;

    if (props.replicaOf) {
      const replica = new kms.CfnReplicaKey(this, 'Resource', {
        primaryKeyArn: props.replicaOf,
        keyPolicy: policy,
        description: `${description} (replica)`,
        enabled: true,
        pendingWindowInDays,
      });
      replica.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.resource = replica;
      this.keyArn = replica.attrArn;
    } else {
      const key = new kms.CfnKey(this, 'Resource', {
        keyPolicy: policy,
        description,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        multiRegion: props.multiRegion ?? false,
        pendingWindowInDays,
        keySpec: 'SYMMETRIC_DEFAULT',
        keyUsage: 'ENCRYPT_DECRYPT',
      });
      key.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.resource = key;
      this.keyArn = key.attrArn;
    }
    this.key = kms.Key.fromKeyArn(this, 'Imported', this.keyArn);
    Tags.of(this).add('clinical-ai:data-domain', props.domain);

    new kms.CfnAlias(this, 'Alias', {
      aliasName: props.aliasName ?? `alias/${Stack.of(this).stackName}/${props.domain}`,
      targetKeyId: this.keyArn,
    });
  }

  /**
   * Grants a role direct use of a domain key: the IAM side (actions on this key ARN) and the
   * principal tag that the key policy requires.
   */
  static allowDirectUse(
    role: iam.IRole,
    key: kms.IKey,
    domain: DataDomain,
    actions: readonly string[] = USE_ACTIONS,
  ): void {
    Tags.of(role).add(keyUserTag(domain), 'allow');
    key.grant(role, ...actions);
  }

  /** CloudWatch Logs encrypts log groups of this account and region with the key, and nothing else. */
  static cloudWatchLogsStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
      principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
        },
      },
    });
  }

  /** The key policy of a domain: administration for the account, use only via services or tagged roles. */
  static keyPolicy(domain: DataDomain, extra: iam.PolicyStatement[]): iam.PolicyDocument {
    const account = new iam.AccountRootPrincipal();
    return new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'KeyAdministration',
          principals: [account],
          actions: KEY_ADMIN_ACTIONS,
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'UseThroughAwsServices',
          principals: [account],
          actions: [...USE_ACTIONS, 'kms:CreateGrant', 'kms:ListGrants'],
          resources: ['*'],
          conditions: {
            StringEquals: {
              'kms:CallerAccount': Aws.ACCOUNT_ID,
              'kms:ViaService': DOMAIN_SERVICES[domain].map((s) => `${s}.${Aws.REGION}.amazonaws.com`),
            },
          },
        }),
        new iam.PolicyStatement({
          sid: 'UseByTaggedWorkloadRoles',
          principals: [account],
          actions: USE_ACTIONS,
          resources: ['*'],
          conditions: { StringEquals: { [`aws:PrincipalTag/${keyUserTag(domain)}`]: 'allow' } },
        }),
        ...(domain === 'audit-logs' ? [DataDomainKey.cloudWatchLogsStatement()] : []),
        ...extra,
      ],
    });
  }
}
