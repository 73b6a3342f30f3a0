import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, CONSTRUCT_LIBRARY_OWNER } from '../../compliance-rules/acknowledge';
import { INFERENCE_ACKNOWLEDGEMENTS_EXPIRE } from './sagemaker-execution-role';

/** What Step Functions needs for CloudWatch Logs delivery and X-Ray: IAM scopes none of it to a resource. */
const UNSCOPABLE_ACTIONS = new Set([
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
]);

export interface StateMachineRoleProps {
  /** Name of the state machine that assumes the role (the trust policy names it). */
  readonly stateMachineName: string;
  /**
   * Description of the role.
   * @default - none
   */
  readonly description?: string;
}

/**
 * The role of one Step Functions state machine: only that state machine of this account may assume it
 * (confused-deputy protection), no AWS-managed policies, and the log-delivery and X-Ray actions, which accept
 * only `Resource: "*"`, in one customer-managed policy of their own, acknowledged once. Every other statement
 * (what the tasks do) goes to the grant policy, where a wildcard still fails the gate.
 */
export class StateMachineRole extends iam.Role {
  readonly unscopablePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: StateMachineRoleProps) {
    const stack = Stack.of(scope);
    super(scope, id, {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'states',
              resource: 'stateMachine',
              resourceName: props.stateMachineName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
      description: props.description,
    });
    this.unscopablePolicy = new iam.ManagedPolicy(this, 'UnscopableActions', {
      description: 'Actions IAM accepts only on Resource "*": CloudWatch Logs delivery and X-Ray tracing',
      statements: [new iam.PolicyStatement({ actions: [...UNSCOPABLE_ACTIONS], resources: ['*'] })],
    });
    this.addManagedPolicy(this.unscopablePolicy);
    acknowledge(this.unscopablePolicy, {
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:*LogDelivery*, resource policies, DescribeLogGroups) and X-Ray tracing actions support no resource-level permissions; this policy holds only those actions.',
      reference: 'https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html',
      owner: CONSTRUCT_LIBRARY_OWNER,
      expires: INFERENCE_ACKNOWLEDGEMENTS_EXPIRE,
    });
  }

  /** Statements made only of log-delivery and X-Ray actions on "*" are already in {@link unscopablePolicy}. */
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
