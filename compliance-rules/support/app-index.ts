import { CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { regionOf, rendered, type RenderedResource } from './rendered';

/** One resource of the app, with its rendered view and its stack's region. */
export interface IndexedResource {
  readonly node: CfnResource;
  readonly view: RenderedResource;
  readonly region: string | undefined;
  readonly stack: Stack;
}

let indexes = new WeakMap<IConstruct, ResourceIndex>();

/**
 * Every CloudFormation resource of one app (the whole tree, every stack and region), for the rules that
 * follow a relation: a backup selection that covers a store, the scalable target of an endpoint, the DR
 * counterpart of a primary store. Built once per evaluation and shared by the rules.
 */
export class ResourceIndex {
  /** The index of the app `scope` belongs to, built on first use. */
  static of(scope: IConstruct): ResourceIndex {
    const root = scope.node.root;
    let index = indexes.get(root);
    if (!index) {
      index = new ResourceIndex(root);
      indexes.set(root, index);
    }
    return index;
  }

  /** Forgets every index: the pack calls it before each evaluation so that a changed tree is re-read. */
  static forget(): void {
    indexes = new WeakMap();
  }

  private readonly byType = new Map<string, IndexedResource[]>();

  private constructor(root: IConstruct) {
    for (const construct of root.node.findAll()) {
      if (!CfnResource.isCfnResource(construct)) continue;
      const entry: IndexedResource = {
        node: construct,
        get view() {
          return rendered(construct);
        },
        region: regionOf(construct),
        stack: Stack.of(construct),
      };
      const list = this.byType.get(construct.cfnResourceType) ?? [];
      list.push(entry);
      this.byType.set(construct.cfnResourceType, list);
    }
  }

  /** The resources of one CloudFormation type, in construct-tree order. */
  ofType(type: string): readonly IndexedResource[] {
    return this.byType.get(type) ?? [];
  }
}
