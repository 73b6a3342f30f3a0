import {
  CfnElement,
  CfnResource,
  DefaultTokenResolver,
  type IFragmentConcatenator,
  type IPostProcessor,
  type IResolvable,
  type IResolveContext,
  Reference,
  Stack,
  Token,
  Tokenization,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The key of a reference marker in a rendered resource: `{ "Fn::CdkRef": [<construct path>, <attribute>] }`.
 *
 * Rules must see what will deploy, so they read the resource as CloudFormation renders it (escape-hatch
 * overrides, tags and deletion policies included) rather than the typed L1 properties, which miss
 * `addPropertyOverride` and raw `CfnResource`s. A plain `Stack.resolve` would turn a reference into
 * `Ref`/`Fn::GetAtt` with a logical id that is only meaningful inside one template, or into an export or
 * `Fn::GetStackOutput` across stacks. The marker instead names the referenced construct by its path, so a
 * rule can follow a reference to any resource of the app: in the same stack, another stack or another region.
 */
export const CDK_REF = 'Fn::CdkRef';

/** A reference marker, as found in a rendered resource. */
export interface RefMarker {
  readonly [CDK_REF]: [path: string, attribute: string];
}

/** A resource as it will deploy, with references replaced by {@link RefMarker}s. */
export interface RenderedResource {
  readonly type: string;
  readonly logicalId: string;
  readonly properties: Record<string, unknown>;
  /** Absent when the template does not set one (CloudFormation then deletes, except RDS which snapshots). */
  readonly deletionPolicy?: string;
  readonly updateReplacePolicy?: string;
}

/** Marks references to CloudFormation elements; everything else resolves as CloudFormation would. */
class ReferenceMarkingResolver extends DefaultTokenResolver {
  constructor() {
    super(new IntrinsicConcat());
  }

  override resolveToken(t: IResolvable, context: IResolveContext, postProcessor: IPostProcessor): unknown {
    if (Reference.isReference(t) && CfnElement.isCfnElement(t.target)) {
      return { [CDK_REF]: [t.target.node.path, t.displayName] };
    }
    return super.resolveToken(t, context, postProcessor) as unknown;
  }
}

/** Joins string fragments like CloudFormation: literal text stays text, anything else becomes `Fn::Join`. */
class IntrinsicConcat implements IFragmentConcatenator {
  join(left: unknown, right: unknown): unknown {
    if (left === undefined) return right;
    if (right === undefined) return left;
    if (typeof left === 'string' && typeof right === 'string') return left + right;
    return { 'Fn::Join': ['', [...joinParts(left), ...joinParts(right)]] };
  }
}

function joinParts(x: unknown): unknown[] {
  if (isObject(x) && Array.isArray(x['Fn::Join']) && x['Fn::Join'][0] === '') {
    return x['Fn::Join'][1] as unknown[];
  }
  return [x];
}

let cache = new WeakMap<CfnResource, RenderedResource>();

/**
 * Forgets every rendering. The pack calls it before each evaluation, because a resource renders differently
 * before and after the app's aspects (tags) have run.
 */
export function forgetRenderings(): void {
  cache = new WeakMap();
}

/** The resource as CloudFormation will receive it, with references as {@link RefMarker}s. Memoised. */
export function rendered(node: CfnResource): RenderedResource {
  let r = cache.get(node);
  if (!r) {
    r = render(node);
    cache.set(node, r);
  }
  return r;
}

function render(node: CfnResource): RenderedResource {
  // `_toCloudFormation` is what the stack's template is made of: properties merged with raw overrides.
  const cfn = (node as unknown as { _toCloudFormation(): unknown })._toCloudFormation();
  const resolved = Tokenization.resolve(cfn, {
    scope: node,
    resolver: new ReferenceMarkingResolver(),
    preparing: false,
  }) as { Resources?: Record<string, Record<string, unknown>> };
  const [logicalId, body] = Object.entries(resolved.Resources ?? {})[0] ?? [
    Stack.of(node).getLogicalId(node),
    {},
  ];
  return {
    type: node.cfnResourceType,
    logicalId,
    properties: (body.Properties as Record<string, unknown> | undefined) ?? {},
    deletionPolicy: body.DeletionPolicy as string | undefined,
    updateReplacePolicy: body.UpdateReplacePolicy as string | undefined,
  };
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function isRef(x: unknown): x is RefMarker {
  return isObject(x) && Array.isArray(x[CDK_REF]);
}

/** Every reference marker anywhere inside a rendered value. */
export function refsIn(x: unknown): RefMarker[] {
  if (isRef(x)) return [x];
  if (Array.isArray(x)) return x.flatMap(refsIn);
  if (isObject(x)) return Object.values(x).flatMap(refsIn);
  return [];
}

/** The construct a reference marker names, looked up from the root of `scope`'s tree. */
export function refTarget(scope: IConstruct, ref: RefMarker): CfnResource | undefined {
  const target = findByPath(scope.node.root, ref[CDK_REF][0]);
  return target && CfnResource.isCfnResource(target) ? target : undefined;
}

/** The CfnResource a value refers to directly (a bare `Ref`/`GetAtt` marker), if any. */
export function referencedResource(scope: IConstruct, value: unknown): CfnResource | undefined {
  return isRef(value) ? refTarget(scope, value) : undefined;
}

function findByPath(root: IConstruct, path: string): IConstruct | undefined {
  let current: IConstruct | undefined = root;
  const parts = path.split('/');
  // The root's own id is the first path segment only when the root has a non-empty id (an App has '').
  if (root.node.id !== '' && parts[0] === root.node.id) parts.shift();
  for (const id of parts) {
    current = current?.node.tryFindChild(id);
    if (!current) return undefined;
  }
  return current;
}

/**
 * A rendered string value flattened to text, for reading ARNs and names built with `Fn::Join`/`Fn::Sub`:
 * literal parts stay, pseudo parameters become `{AWS::Region}`-style placeholders and anything that cannot
 * be known at synth (references, `Fn::Select`, imports) becomes `{?}`. Undefined for non-string values.
 */
export function flatten(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (typeof x === 'number') return String(x);
  if (!isObject(x)) return undefined;
  if (isObject(x) && typeof x.Ref === 'string' && x.Ref.startsWith('AWS::')) return `{${x.Ref}}`;
  const join = x['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    return (join[1] as unknown[]).map((p) => flatten(p) ?? '{?}').join(join[0]);
  }
  const sub = x['Fn::Sub'];
  if (typeof sub === 'string')
    return sub.replace(/\$\{[^}]+\}/g, (m) => (m.includes('AWS::') ? `{${m.slice(2, -1)}}` : '{?}'));
  return '{?}';
}

/** The stack's region if it is a literal (platform stacks always have one). */
export function regionOf(node: IConstruct): string | undefined {
  const region = Stack.of(node).region;
  return Token.isUnresolved(region) ? undefined : region;
}

/** Reads the value of a tag from a rendered `Tags` list (`[{Key, Value}]`) or map. */
export function tagValue(tags: unknown, key: string): string | undefined {
  if (Array.isArray(tags)) {
    for (const t of tags) {
      if (isObject(t) && t.Key === key && typeof t.Value === 'string') return t.Value;
    }
    return undefined;
  }
  if (isObject(tags) && typeof tags[key] === 'string') return tags[key];
  return undefined;
}

/** True for CloudFormation's boolean true, which templates also write as the string "true". */
export function isTrue(x: unknown): boolean {
  return x === true || x === 'true';
}
