import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * Grants explicit actions on named resources to a role, through its default policy (which the platform aspect
 * makes customer-managed): the least-privilege form for calls CDK has no `grant*()` for, or for resources known
 * by name rather than by construct (another stack's or region's stores, computed ARNs).
 */
export function allow(role: iam.IRole, actions: string[], resources: string[]): void {
  iam.Grant.addToPrincipal({ grantee: role, actions, resourceArns: resources });
}
