import { App, CfnResource, Stack } from 'aws-cdk-lib';
import type { NagRuleResult } from 'cdk-nag';
import type { Construct, IConstruct } from 'constructs';
import { ResourceIndex } from '../../compliance-rules/support/app-index';
import { forgetRenderings } from '../../compliance-rules/support/rendered';
import type { PlatformRule } from '../../compliance-rules/support/rule';
import { loadProfile } from '../../lib/config';
import { PlatformStack } from '../../stacks/platform-stack';
import { cdkJsonContext } from '../helpers/platform';

export const ACCOUNT = '123456789012';

/** An app with the project's feature flags, no validation plugins, and no Lambda bundling. */
export function fixtureApp(): App {
  return new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
}

/** A plain stack (no platform profile: the rules hold it to the production bar). */
export function plainStack(app: App, id = 'Fixture', region = 'us-east-1'): Stack {
  return new Stack(app, id, { env: { account: ACCOUNT, region } });
}

class FixtureStack extends PlatformStack {}

/** A stack that carries a platform profile, as every platform stack does. */
export function profiledStack(
  app: App,
  profile: 'poc' | 'production',
  region?: string,
  id?: string,
): PlatformStack {
  const config = loadProfile(profile);
  const r = region ?? config.profile.regions.primary;
  return new FixtureStack(app, id ?? `Fixture-${profile}-${r}`, { config, region: r });
}

const synthesized = new WeakSet<IConstruct>();

/**
 * Synthesizes the app once (aspects such as tags run, as they do before the gate), then forgets cached
 * renderings so the rules see the final templates.
 */
export function prepare(scope: IConstruct): void {
  const app = scope.node.root as App;
  if (!synthesized.has(app)) {
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      app.synth();
    } finally {
      quiet.mockRestore();
    }
    synthesized.add(app);
  }
  forgetRenderings();
  ResourceIndex.forget();
}

/** The CfnResource of a construct: itself, its default child (of `type`), or its only CloudFormation resource of `type`. */
export function cfnOf(construct: IConstruct, type?: string): CfnResource {
  if (CfnResource.isCfnResource(construct) && (!type || construct.cfnResourceType === type)) return construct;
  const child = construct.node.defaultChild;
  if (child && CfnResource.isCfnResource(child) && (!type || child.cfnResourceType === type)) return child;
  const found = construct.node
    .findAll()
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && (!type || c.cfnResourceType === type));
  if (found.length !== 1) {
    throw new Error(`${construct.node.path}: expected one ${type ?? 'CfnResource'}, found ${found.length}`);
  }
  return found[0];
}

/** Applies one rule to one construct's resource, after synthesis, as the pack would. */
export function check(rule: PlatformRule, construct: Construct, type?: string): NagRuleResult {
  const node = cfnOf(construct, type);
  prepare(node);
  return rule.check(node);
}
