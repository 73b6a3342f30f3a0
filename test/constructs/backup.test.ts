import { Match, Template } from 'aws-cdk-lib/assertions';
import { ClinicalBackupPlan } from '../../lib/constructs/clinical-backup-plan';
import { LockedBackupVault } from '../../lib/constructs/locked-backup-vault';
import { dataTestStack } from './data-test-stack';

describe('LockedBackupVault and ClinicalBackupPlan', () => {
  test('the lock grace period cannot be shorter than AWS’s 3 days (compliance mode needs it)', () => {
    const { stack, key } = dataTestStack();
    expect(
      () => new LockedBackupVault(stack, 'V', { vaultName: 'vault-a', key, changeableForDays: 1 }),
    ).toThrow(/changeableForDays must be at least 3/);
  });

  test('a plan without a copy destination has no copy actions; with one, both rules copy with their retention', () => {
    const { stack, key } = dataTestStack();
    const vault = new LockedBackupVault(stack, 'V', { vaultName: 'vault-a', key, minRetentionDays: 35 });
    new ClinicalBackupPlan(stack, 'Local', {
      planName: 'local',
      vault: vault.vault,
      resources: ['arn:aws:s3:::b'],
    });
    const dest = 'arn:aws:backup:us-west-2:123456789012:backup-vault:dr';
    new ClinicalBackupPlan(stack, 'Copied', {
      planName: 'copied',
      vault: vault.vault,
      resources: ['arn:aws:s3:::b'],
      copyToVaultArn: dest,
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanName: 'local',
        BackupPlanRule: [
          Match.objectLike({ RuleName: 'continuous-35-days', CopyActions: [] }),
          Match.objectLike({ RuleName: 'monthly-6-years', CopyActions: [] }),
        ],
      },
    });
    t.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanName: 'copied',
        BackupPlanRule: [
          Match.objectLike({
            EnableContinuousBackup: true,
            ScheduleExpression: 'cron(0 5 * * ? *)',
            CopyActions: [{ DestinationBackupVaultArn: dest, Lifecycle: { DeleteAfterDays: 35 } }],
          }),
          Match.objectLike({
            ScheduleExpression: 'cron(0 6 1 * ? *)',
            CopyActions: [{ DestinationBackupVaultArn: dest, Lifecycle: { DeleteAfterDays: 2192 } }],
          }),
        ],
      },
    });
    t.hasResourceProperties('AWS::Backup::BackupVault', {
      LockConfiguration: { MinRetentionDays: 35, ChangeableForDays: 3 },
      AccessPolicy: Match.objectLike({
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: ['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle'],
          }),
        ],
      }),
    });
    t.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({ Resources: ['arn:aws:s3:::b'], SelectionName: 'copied-stores' }),
    });
  });
});
