import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Days a locked vault keeps every recovery point at least: Aurora's and continuous backups' 35-day window. */
export const VAULT_MIN_RETENTION_DAYS = 35;

/** Grace period before the vault lock becomes immutable (compliance mode); AWS's minimum is 3 days. */
export const VAULT_LOCK_GRACE_DAYS = 3;

export interface LockedBackupVaultProps {
  /** Vault name (deterministic: the other region copies into it by ARN; see lib/data-names.ts). */
  readonly vaultName: string;
  /** This region's CMK; recovery points copied into the vault are re-encrypted with it. */
  readonly key: kms.IKey;
  /**
   * Minimum retention the lock enforces on every recovery point.
   * @default VAULT_MIN_RETENTION_DAYS (35)
   */
  readonly minRetentionDays?: number;
  /**
   * Days during which the lock can still be removed; after that it is in compliance mode and nobody, the root
   * user and AWS included, can delete a recovery point early or remove the lock.
   * @default VAULT_LOCK_GRACE_DAYS (3)
   */
  readonly changeableForDays?: number;
}

/**
 * An AWS Backup vault under the region's CMK, locked in compliance mode (AWS Backup Vault Lock, WORM) and with
 * an access policy that denies deleting recovery points or shortening their lifecycle: backups survive a
 * compromised administrator or ransomware (45 CFR 164.308(a)(7)(ii)(A) data backup plan, 164.312(c)(1)
 * integrity). Retained on stack deletion.
 */
export class LockedBackupVault extends Construct {
  readonly vault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: LockedBackupVaultProps) {
    super(scope, id);
    const changeableFor = props.changeableForDays ?? VAULT_LOCK_GRACE_DAYS;
    if (changeableFor < VAULT_LOCK_GRACE_DAYS) {
      throw new Error(`${this.node.path}: changeableForDays must be at least ${VAULT_LOCK_GRACE_DAYS}`);
    }
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: props.vaultName,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
      blockRecoveryPointDeletion: true,
      // With changeableFor set the lock is in compliance mode once the grace period ends (governance otherwise).
      lockConfiguration: {
        minRetention: Duration.days(props.minRetentionDays ?? VAULT_MIN_RETENTION_DAYS),
        changeableFor: Duration.days(changeableFor),
      },
    });
  }

  get vaultArn(): string {
    return this.vault.backupVaultArn;
  }

  get vaultName(): string {
    return this.vault.backupVaultName;
  }
}
