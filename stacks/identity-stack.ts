import type { Construct } from 'constructs';
import { ClinicianUserPool } from '../lib/constructs/clinician-user-pool';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

/**
 * The clinicians' identities in one region: the Cognito user pool the API's authorizer trusts
 * (lib/constructs/clinician-user-pool.ts). Stateful (the identities the audit trail's subjects refer to), so it
 * lives apart from the stateless api stack, with termination protection, and the pool is retained and
 * deletion-protected. Cognito is regional: each region has its own pool (docs/api.md#identity).
 */
export class IdentityStack extends PlatformStack {
  readonly clinicians: ClinicianUserPool;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    this.clinicians = new ClinicianUserPool(this, 'Clinicians');
  }
}
