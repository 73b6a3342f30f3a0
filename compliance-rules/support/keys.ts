import type { CfnResource } from 'aws-cdk-lib';
import { ResourceIndex } from './app-index';
import {
  flatten,
  isObject,
  isRef,
  referencedResource,
  refsIn,
  refTarget,
  regionOf,
  rendered,
} from './rendered';
import { isAwsManagedKey } from './stores';

/** What a key reference in a template points at. */
export type KeyResolution =
  /** An `AWS::KMS::Key` or `AWS::KMS::ReplicaKey` of this app. */
  | { readonly kind: 'key'; readonly resource: CfnResource }
  /** An AWS-managed key (`alias/aws/...`). */
  | { readonly kind: 'aws-managed' }
  /** Not a key of this app: a literal ARN, a parameter, or a reference the template cannot show. */
  | { readonly kind: 'unresolved'; readonly detail: string };

const KEY_TYPES = new Set(['AWS::KMS::Key', 'AWS::KMS::ReplicaKey']);
const MAX_HOPS = 6;

/**
 * Follows a key reference (a key id, ARN or alias, as rendered) to the key resource of the app it names.
 *
 * Handles the ways the platform passes keys around: a direct reference (same stack or another stack of the
 * same region); an alias of the app; a deploy-time read of an SSM parameter in another region (the DR
 * region's `CrossRegionParameter`, whose parameter the primary region publishes); and an ARN computed
 * for another region from a multi-region primary's key id, which names that primary's replica there.
 */
export function resolveKey(scope: CfnResource, value: unknown, hops = 0): KeyResolution {
  if (hops > MAX_HOPS) return { kind: 'unresolved', detail: 'reference chain too long' };
  if (value === undefined || value === null) return { kind: 'unresolved', detail: 'no key' };
  if (isAwsManagedKey(value)) return { kind: 'aws-managed' };
  if (typeof value === 'string') {
    if (value.startsWith('alias/')) return resolveAlias(scope, value, hops);
    return { kind: 'unresolved', detail: `literal key ${value}` };
  }
  const target = referencedResource(scope, value);
  if (target) return resolveTarget(target, hops);
  if (isObject(value)) return resolveComputedArn(scope, value, hops);
  return { kind: 'unresolved', detail: 'not a key reference' };
}

function resolveTarget(target: CfnResource, hops: number): KeyResolution {
  const type = target.cfnResourceType;
  if (KEY_TYPES.has(type)) return { kind: 'key', resource: target };
  const p = rendered(target).properties;
  if (type === 'AWS::KMS::Alias') return resolveKey(target, p.TargetKeyId, hops + 1);
  if (type === 'AWS::SSM::Parameter') return resolveKey(target, p.Value, hops + 1);
  if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
    // A deploy-time read of an SSM parameter (see lib/constructs/cross-region-parameter.ts).
    const name = flatten(p.ParameterName);
    const region = flatten(p.Region);
    if (name) {
      const param = ResourceIndex.of(target)
        .ofType('AWS::SSM::Parameter')
        .find(
          (r) => flatten(r.view.properties.Name) === name && (region === undefined || r.region === region),
        );
      if (param) return resolveKey(param.node, param.view.properties.Value, hops + 1);
      return { kind: 'unresolved', detail: `parameter ${name} is not published by this app` };
    }
  }
  return { kind: 'unresolved', detail: `${type} is not a key` };
}

function resolveAlias(scope: CfnResource, alias: string, hops: number): KeyResolution {
  const region = regionOf(scope);
  const found = ResourceIndex.of(scope)
    .ofType('AWS::KMS::Alias')
    .find((r) => r.view.properties.AliasName === alias && r.region === region);
  if (!found) return { kind: 'unresolved', detail: `alias ${alias} is not defined by this app` };
  return resolveKey(found.node, found.view.properties.TargetKeyId, hops + 1);
}

/**
 * An ARN built with `Fn::Join`: `arn:<p>:kms:<region>:<account>:key/<id taken from another key's ARN>`.
 * A multi-region replica has its primary's key id, so such an ARN in another region names the replica of
 * that primary in that region.
 */
function resolveComputedArn(scope: CfnResource, value: Record<string, unknown>, hops: number): KeyResolution {
  const text = flatten(value) ?? '';
  const region = /:kms:([a-z]{2}(?:-gov)?-[a-z]+-\d):/.exec(text)?.[1];
  const keys = refsIn(value)
    .map((ref) => refTarget(scope, ref))
    .filter((t): t is CfnResource => t !== undefined)
    .map((t) => resolveTarget(t, hops + 1))
    .filter((r): r is { kind: 'key'; resource: CfnResource } => r.kind === 'key');
  const distinct = [...new Set(keys.map((k) => k.resource))];
  if (distinct.length !== 1) return { kind: 'unresolved', detail: `computed key ARN ${text}` };
  const named = distinct[0];
  if (region === undefined || region === regionOf(named)) return { kind: 'key', resource: named };
  const replica = ResourceIndex.of(scope)
    .ofType('AWS::KMS::ReplicaKey')
    .find((r) => {
      if (r.region !== region) return false;
      const primary = resolveKey(r.node, r.view.properties.PrimaryKeyArn, hops + 1);
      return primary.kind === 'key' && primary.resource === named;
    });
  if (replica) return { kind: 'key', resource: replica.node };
  return { kind: 'unresolved', detail: `no replica of ${named.node.path} in ${region}` };
}

/** The region a key reference names: the key's stack region, or the region written in its ARN. */
export function keyRegion(scope: CfnResource, value: unknown): string | undefined {
  const resolved = resolveKey(scope, value);
  if (resolved.kind === 'key') return regionOf(resolved.resource);
  const text = flatten(value);
  if (text === undefined || isRef(value)) return undefined;
  return /:kms:([a-z]{2}(?:-gov)?-[a-z]+-\d):/.exec(text)?.[1];
}
