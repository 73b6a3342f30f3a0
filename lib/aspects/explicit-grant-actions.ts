import { type IAspect, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * CDK's CodePipeline and CodeBuild grant with action wildcards (`s3:GetObject*`, `kms:GenerateDataKey*`) and
 * always grant a project's default log group and report groups, even when the project logs elsewhere and
 * publishes no reports. This aspect narrows the grants in its scope to what the delivery steps use:
 * each wildcard becomes the explicit actions it stands for here, and grants on resources that are never
 * used are removed (45 CFR 164.308(a)(4)(ii)(B) access authorization: least privilege).
 *
 * It runs before {@link ManagedGrantPolicies} copies a grant policy into a customer-managed one.
 */
export interface ExplicitGrantActionsProps {
  /** Each action wildcard and the explicit actions it is narrowed to. */
  readonly expansions: Readonly<Record<string, readonly string[]>>;
  /** Substrings of resource ARNs whose grants are removed (resources the principals never use). */
  readonly unusedResources: readonly string[];
}

interface Statement {
  Action?: string | string[];
  Resource?: unknown;
  [key: string]: unknown;
}

export class ExplicitGrantActions implements IAspect {
  constructor(private readonly props: ExplicitGrantActionsProps) {}

  visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnPolicy) && !(node instanceof iam.CfnManagedPolicy)) return;
    const doc = Stack.of(node).resolve(node.policyDocument) as { Statement?: Statement[] } | undefined;
    if (!doc?.Statement) return;
    const statements: Statement[] = [];
    for (const s of doc.Statement) {
      const resources = ([] as unknown[])
        .concat(s.Resource ?? [])
        .filter((r) => !this.props.unusedResources.some((u) => JSON.stringify(r).includes(u)));
      if (s.Resource !== undefined && resources.length === 0) continue;
      const actions = [
        ...new Set(([] as string[]).concat(s.Action ?? []).flatMap((a) => this.props.expansions[a] ?? [a])),
      ];
      statements.push({
        ...s,
        ...(s.Action !== undefined ? { Action: actions.length === 1 ? actions[0] : actions } : {}),
        ...(s.Resource !== undefined ? { Resource: resources.length === 1 ? resources[0] : resources } : {}),
      });
    }
    node.policyDocument = { ...doc, Statement: statements };
  }
}
