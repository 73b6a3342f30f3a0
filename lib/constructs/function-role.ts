import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, CONSTRUCT_LIBRARY_OWNER } from '../../compliance-rules/acknowledge';

/** Actions that IAM cannot scope to a resource: they only accept `Resource: "*"`. */
const UNSCOPABLE_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'ec2:DescribeNetworkInterfaces',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
]);

export interface FunctionRoleProps {
  /**
   * Grant the ENI actions a function needs to run in a VPC.
   * @default false
   */
  readonly vpcAccess?: boolean;
  /**
   * Description of the role.
   * @default - none
   */
  readonly description?: string;
}

/**
 * The execution role of a platform Lambda function: no AWS-managed policies (AwsSolutions-IAM4), and the
 * only `Resource: "*"` statements are the ones IAM cannot scope (X-Ray segments, VPC network interfaces).
 * Those go to one customer-managed policy of their own, acknowledged once with the reason; every other
 * permission goes through `grant*()` into the role's default policy, where a wildcard still fails the gate.
 */
export class FunctionRole extends iam.Role {
  /** Holds the unscopable actions only. */
  readonly unscopablePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: FunctionRoleProps = {}) {
    super(scope, id, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.unscopablePolicy = new iam.ManagedPolicy(this, 'UnscopableActions', {
      description:
        'Actions IAM accepts only on Resource "*": X-Ray trace segments and Lambda VPC network interfaces',
      statements: [
        new iam.PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
        ...(props.vpcAccess
          ? [
              new iam.PolicyStatement({
                actions: [...UNSCOPABLE_ACTIONS].filter((a) => a.startsWith('ec2:')),
                resources: ['*'],
              }),
            ]
          : []),
      ],
    });
    this.addManagedPolicy(this.unscopablePolicy);
    acknowledge(this.unscopablePolicy, {
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords and the Lambda VPC network-interface actions support no resource-level permissions; this policy holds only those actions.',
      reference: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html',
      owner: CONSTRUCT_LIBRARY_OWNER,
      expires: '2027-10-31',
    });
  }

  /** Statements made only of unscopable actions on "*" are already in {@link unscopablePolicy}. */
  override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    const json = statement.toStatementJson() as { Action?: string | string[]; Resource?: string | string[] };
    const actions = ([] as string[]).concat(json.Action ?? []);
    const resources = ([] as string[]).concat(json.Resource ?? []);
    if (
      actions.length > 0 &&
      actions.every((a) => UNSCOPABLE_ACTIONS.has(a)) &&
      resources.every((r) => r === '*')
    ) {
      return { statementAdded: true, policyDependable: this.unscopablePolicy };
    }
    return super.addToPrincipalPolicy(statement);
  }
}
