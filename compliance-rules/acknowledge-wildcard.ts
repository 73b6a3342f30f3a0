import { Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { acknowledge, type Acknowledgement } from './acknowledge';

/**
 * Acknowledges the wildcard of one resource in a role's grant policy (`AwsSolutions-IAM5[Resource::…]`),
 * through {@link acknowledge}: for resources whose names AWS or a workflow generates at run time under a
 * fixed prefix (capture files, training jobs of a run), where the prefix is the narrowest scope that exists.
 * The finding id is computed the way cdk-nag prints it, so it covers exactly that resource on that policy.
 *
 * @param role a role whose grants went to its default policy (made customer-managed by the platform aspect)
 * @param resourceArn the granted resource, e.g. `bucket.arnForObjects('data-capture/<endpoint>/*')`
 */
export function acknowledgeWildcardResource(
  role: iam.IRole,
  resourceArn: string,
  ack: Omit<Acknowledgement, 'id'>,
): void {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!policy) throw new Error(`${role.node.path}: grant ${resourceArn} before acknowledging it`);
  acknowledge(policy, {
    ...ack,
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagFlatten(Stack.of(role).resolve(resourceArn))}]`,
  });
}

/** The string cdk-nag prints for a resource in a finding id (its `flattenCfnReference`). */
export function nagFlatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(nagFlatten).join(delimiter);
    }
    if (o['Fn::Sub'] !== undefined) return nagFlatten(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${nagFlatten(resource)}.${nagFlatten(attribute)}>`;
    }
    if (o['Fn::ImportValue'] !== undefined) return nagFlatten(o['Fn::ImportValue']);
    if (o.Ref !== undefined) return `<${nagFlatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}
