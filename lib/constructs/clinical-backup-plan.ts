import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, CONSTRUCT_LIBRARY_OWNER } from '../../compliance-rules/acknowledge';
import { SIX_YEARS_DAYS } from './phi-bucket';

/** Continuous backups (point-in-time restore) keep at most 35 days. */
export const CONTINUOUS_RETENTION_DAYS = 35;

/** The AWS-managed policies the backup role uses (see the acknowledgement below for why not a copy). */
const BACKUP_SERVICE_POLICIES = [
  'service-role/AWSBackupServiceRolePolicyForBackup',
  'service-role/AWSBackupServiceRolePolicyForS3Backup',
];

export interface ClinicalBackupPlanProps {
  /** Backup plan name. */
  readonly planName: string;
  /** The region's locked vault. */
  readonly vault: backup.IBackupVault;
  /** ARNs of the stores to back up (Aurora clusters, DynamoDB tables, S3 buckets). */
  readonly resources: string[];
  /**
   * ARN of a vault in another region that receives a copy of every recovery point.
   * @default - no copies
   */
  readonly copyToVaultArn?: string;
}

/**
 * The AWS Backup plan of a region's PHI stores (45 CFR 164.308(a)(7)(ii)(A) data backup plan, (B) disaster
 * recovery plan):
 *
 * - `continuous-35-days`: continuous backups (point-in-time restore to any second) for the stores that support
 *   them (Aurora, S3), a daily snapshot for the others (DynamoDB), kept 35 days;
 * - `monthly-6-years`: a monthly snapshot kept six years (164.316(b)(2)(i));
 * - with `copyToVaultArn`, every recovery point of both rules is copied to the other region's locked vault with
 *   the same retention.
 */
export class ClinicalBackupPlan extends Construct {
  readonly plan: backup.BackupPlan;
  readonly role: iam.Role;
  readonly selection: backup.CfnBackupSelection;

  constructor(scope: Construct, id: string, props: ClinicalBackupPlanProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const copyTo = props.copyToVaultArn
      ? backup.BackupVault.fromBackupVaultArn(this, 'CopyDestination', props.copyToVaultArn)
      : undefined;
    const copies = (days: number): backup.BackupPlanCopyActionProps[] =>
      copyTo ? [{ destinationBackupVault: copyTo, deleteAfter: Duration.days(days) }] : [];

    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: props.planName,
      backupVault: props.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'continuous-35-days',
          enableContinuousBackup: true,
          scheduleExpression: events.Schedule.cron({ minute: '0', hour: '5' }),
          scheduleExpressionTimezone: TimeZone.ETC_UTC,
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(8),
          deleteAfter: Duration.days(CONTINUOUS_RETENTION_DAYS),
          copyActions: copies(CONTINUOUS_RETENTION_DAYS),
        }),
        new backup.BackupPlanRule({
          ruleName: 'monthly-6-years',
          scheduleExpression: events.Schedule.cron({ minute: '0', hour: '6', day: '1' }),
          scheduleExpressionTimezone: TimeZone.ETC_UTC,
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(24),
          deleteAfter: Duration.days(SIX_YEARS_DAYS),
          copyActions: copies(SIX_YEARS_DAYS),
        }),
      ],
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `AWS Backup: backs up the stores of ${props.planName} and copies them across regions`,
      managedPolicies: BACKUP_SERVICE_POLICIES.map((p) => iam.ManagedPolicy.fromAwsManagedPolicyName(p)),
    });
    for (const p of BACKUP_SERVICE_POLICIES) {
      acknowledge(this.role, {
        id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${p}]`,
        reason:
          'The AWS Backup service role uses the AWS-maintained backup policy, which AWS updates as the service adds resource types and API calls; a hand-copied version would silently break backups. The role can only be assumed by AWS Backup for this account, and only backs up the resources this plan selects.',
        reference: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html',
        owner: CONSTRUCT_LIBRARY_OWNER,
        expires: '2027-10-31',
      });
    }

    this.selection = new backup.CfnBackupSelection(this, 'Selection', {
      backupPlanId: this.plan.backupPlanId,
      backupSelection: {
        selectionName: `${props.planName}-stores`,
        iamRoleArn: this.role.roleArn,
        resources: props.resources,
      },
    });
  }
}
