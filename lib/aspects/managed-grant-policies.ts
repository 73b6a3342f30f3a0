import { CfnResource, type IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Turns every inline IAM policy that `grant*()` writes (`AWS::IAM::Policy`, the "DefaultPolicy") into a
 * customer-managed policy (`AWS::IAM::ManagedPolicy`) attached to the same roles, users and groups.
 *
 * Why: HIPAA Security and NIST 800-53 forbid inline policies (IAMNoInlinePolicy: managed policies are
 * versioned, reusable and reviewable), while CDK's grants are the least-privilege way to write permissions.
 * One systematic transformation keeps the grants and removes hundreds of would-be acknowledgements.
 *
 * The managed policy becomes the child `Resource` of the same L2 `Policy` construct, so everything that
 * depended on the inline policy (a function waiting for its permissions) now depends on the managed one.
 * The managed policy's logical id is `...DefaultPolicyManagedXXXX`.
 */
export class ManagedGrantPolicies implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnPolicy)) return;
    const parent = node.node.scope;
    if (!parent) return;
    const managed = new iam.CfnManagedPolicy(parent, 'Managed', {
      policyDocument: node.policyDocument as unknown,
      roles: node.roles,
      users: node.users,
      groups: node.groups,
      description: `Grants of ${parent.node.path}`.slice(0, 1000),
    });
    // Preserve explicit DependsOn edges that were put on the inline policy.
    for (const dep of node.obtainDependencies()) {
      if (dep instanceof CfnResource) managed.addDependency(dep);
    }
    parent.node.tryRemoveChild(node.node.id);
  }
}
