import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** The group a clinician must belong to for `POST /v1/predictions` (checked by the handler). */
export const CLINICIANS_GROUP = 'clinicians';

export interface ClinicianUserPoolProps {
  /**
   * Minutes an ID or access token is valid. Short: a revoked clinician loses access within this time.
   * @default 15
   */
  readonly tokenValidityMinutes?: number;
  /**
   * Hours a refresh token is valid: one clinical shift, then the clinician signs in again (with MFA).
   * @default 12
   */
  readonly refreshTokenValidityHours?: number;
}

/**
 * The identity store of the clinicians who call the API (45 CFR 164.312(d) person authentication,
 * 164.308(a)(5)(ii)(D) password management, 164.312(a)(2)(i) unique user identification):
 * - MFA required, TOTP only (no SMS: SIM swap, and no SNS role to manage);
 * - the Plus feature plan with threat protection enforced ("advanced security": compromised-credential checks,
 *   adaptive authentication that blocks risky sign-ins);
 * - no self sign-up: accounts are created by the identity team; e-mail is the sign-in alias, verified;
 * - strong password policy; temporary passwords expire in a day;
 * - one public app client for the clinical front end: SRP sign-in, no OAuth hosted UI, short-lived tokens,
 *   token revocation, no user-existence leaks;
 * - the `clinicians` group that authorises predictions (the handler checks `cognito:groups`).
 *
 * The pool is retained and protected from deletion: it holds the identities the audit trail's subjects refer to.
 * A region has its own pool (Cognito is regional); docs/api.md#identity explains how the DR region's pool is
 * kept in step (federation to the hospital IdP in production).
 */
export class ClinicianUserPool extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly cliniciansGroup: cognito.CfnUserPoolGroup;

  constructor(scope: Construct, id: string, props: ClinicianUserPoolProps = {}) {
    super(scope, id);
    const tokenMinutes = props.tokenValidityMinutes ?? 15;
    const refreshHours = props.refreshTokenValidityHours ?? 12;
    if (!Number.isInteger(tokenMinutes) || tokenMinutes < 5 || tokenMinutes > 60) {
      throw new Error(`${this.node.path}: tokenValidityMinutes must be an integer from 5 to 60`);
    }
    if (!Number.isInteger(refreshHours) || refreshHours < 1 || refreshHours > 24) {
      throw new Error(`${this.node.path}: refreshTokenValidityHours must be an integer from 1 to 24`);
    }
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true, username: false },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(1),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.client = this.userPool.addClient('ClinicalApp', {
      userPoolClientName: 'clinical-app',
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      idTokenValidity: Duration.minutes(tokenMinutes),
      accessTokenValidity: Duration.minutes(tokenMinutes),
      refreshTokenValidity: Duration.hours(refreshHours),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
    this.cliniciansGroup = new cognito.CfnUserPoolGroup(this, 'CliniciansGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: CLINICIANS_GROUP,
      description: 'Clinicians allowed to request predictions (POST /v1/predictions)',
    });
  }
}
