import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, CONSTRUCT_LIBRARY_OWNER } from '../../compliance-rules/acknowledge';
import { nagFlatten } from '../../compliance-rules/acknowledge-wildcard';

/**
 * The role RDS Enhanced Monitoring assumes to publish OS metrics to the `RDSOSMetrics` log group of this account
 * and region (45 CFR 164.308(a)(1)(ii)(D) information system activity review).
 *
 * A customer-managed equivalent of the AWS-managed `AmazonRDSEnhancedMonitoringRole`, narrowed from every
 * `RDS*` log group in every region and account to the one log group in this account and region.
 */
export class EnhancedMonitoringRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = (suffix = '') =>
      Arn.format(
        {
          service: 'logs',
          resource: 'log-group',
          resourceName: `RDSOSMetrics${suffix}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      );
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com', {
        // Confused-deputy guard: only RDS acting for this account may assume the role.
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description:
        'RDS Enhanced Monitoring: publishes OS metrics to the RDSOSMetrics log group of this region',
    });
    const streams = logGroup(':log-stream:*');
    const policy = new iam.ManagedPolicy(this, 'Publish', {
      description: 'Enhanced Monitoring publishes to RDSOSMetrics in this account and region only',
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'ManageTheMetricsLogGroup',
          actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
          resources: [logGroup()],
        }),
        new iam.PolicyStatement({
          sid: 'WriteMetricsStreams',
          actions: [
            'logs:CreateLogStream',
            'logs:PutLogEvents',
            'logs:DescribeLogStreams',
            'logs:GetLogEvents',
          ],
          resources: [streams],
        }),
      ],
    });
    acknowledge(policy, {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagFlatten(stack.resolve(streams))}]`,
      reason:
        'Enhanced Monitoring names one log stream per DB instance after its resource id (db-XXXX), which exists only after the instance does; the wildcard is confined to the RDSOSMetrics log group of this account and region.',
      reference:
        'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Monitoring.OS.Enabling.html',
      owner: CONSTRUCT_LIBRARY_OWNER,
      expires: '2027-10-31',
    });
  }
}
