import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, CONSTRUCT_LIBRARY_OWNER } from '../../compliance-rules/acknowledge';
import { acknowledgeWildcardResource } from '../../compliance-rules/acknowledge-wildcard';

/** ENI actions SageMaker takes in our VPC for a model, processing or training job; IAM scopes none of them. */
const VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:CreateNetworkInterfacePermission',
  'ec2:DeleteNetworkInterface',
  'ec2:DeleteNetworkInterfacePermission',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeVpcs',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
];

/** When the inference tier's acknowledgements are next re-reviewed (164.308(a)(8) periodic evaluation). */
export const INFERENCE_ACKNOWLEDGEMENTS_EXPIRE = '2027-10-31';

/** CloudWatch namespaces SageMaker publishes to with the execution role (instance and Model Monitor metrics). */
const METRIC_NAMESPACES = ['/aws/sagemaker/*', 'aws/sagemaker/*'];

export interface SageMakerExecutionRoleProps {
  /** What the role runs (a model, a monitoring job, training): shown in IAM. */
  readonly description: string;
}

/**
 * The execution role of a SageMaker model, monitoring job or training job. Never AmazonSageMakerFullAccess
 * (AwsSolutions-IAM4): it starts with nothing but the actions IAM cannot scope to a resource, kept in one
 * customer-managed policy of their own and acknowledged once with the reason. Everything else (artefacts,
 * capture prefixes, keys, log groups, ECR repositories) is granted by the construct that uses the role, on
 * named resources. (45 CFR 164.308(a)(4) information access management, 164.312(a)(1) access control.)
 */
export class SageMakerExecutionRole extends iam.Role {
  /** ECR authorisation, VPC network interfaces and SageMaker metric publishing: the `Resource: "*"` actions. */
  readonly unscopablePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: SageMakerExecutionRoleProps) {
    super(scope, id, {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: props.description,
    });
    this.unscopablePolicy = new iam.ManagedPolicy(this, 'UnscopableActions', {
      description:
        'Actions IAM accepts only on Resource "*": ECR authorisation token, VPC network interfaces, SageMaker metrics',
      statements: [
        new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: VPC_ACTIONS, resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringLike: { 'cloudwatch:namespace': METRIC_NAMESPACES } },
        }),
      ],
    });
    this.addManagedPolicy(this.unscopablePolicy);
    acknowledge(this.unscopablePolicy, {
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken, the EC2 network-interface actions SageMaker needs in a VPC and cloudwatch:PutMetricData support no resource-level permissions; this policy holds only those, and metrics are limited to the SageMaker namespaces.',
      reference: 'https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html',
      owner: CONSTRUCT_LIBRARY_OWNER,
      expires: '2027-10-31',
    });
  }

  /** Lets SageMaker pull these images (ECR repositories named by the URIs, nothing else). */
  allowImagePull(...imageUris: string[]): void {
    this.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        resources: [...new Set(imageUris.map((uri) => ecrRepositoryArn(uri, Stack.of(this).partition)))],
      }),
    );
  }

  /** Lets SageMaker write the job's or endpoint's container logs into this (KMS-encrypted) log group. */
  allowLogWrite(logGroup: logs.ILogGroup): void {
    this.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [logGroup.logGroupArn],
      }),
    );
  }

  /**
   * Acknowledges the wildcard of one prefix-scoped grant of this role (AwsSolutions-IAM5): objects whose keys
   * SageMaker generates at run time (capture files, monitoring reports, training output).
   * @param resourceArn the granted resource, e.g. `bucket.arnForObjects('data-capture/<endpoint>/*')`
   * @param reason why the prefix is the narrowest scope possible
   */
  acknowledgeGeneratedObjectKeys(resourceArn: string, reason: string): void {
    acknowledgeWildcardResource(this, resourceArn, {
      reason,
      reference: 'docs/decisions.md#sagemaker-generated-names',
      owner: CONSTRUCT_LIBRARY_OWNER,
      expires: INFERENCE_ACKNOWLEDGEMENTS_EXPIRE,
    });
  }
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repo>(:tag|@digest)` → the repository ARN. */
export function ecrRepositoryArn(imageUri: string, partition: string): string {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?:[:@].*)?$/.exec(imageUri);
  if (!m) throw new Error(`not an ECR image URI: ${imageUri}`);
  return `arn:${partition}:ecr:${m[2]}:${m[1]}:repository/${m[3]}`;
}
