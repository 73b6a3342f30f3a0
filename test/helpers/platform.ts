import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { applyPlatformAspects } from '../../compliance-rules/gate';
import { loadProfile, type PlatformConfig } from '../../lib/config';
import { buildPlatform, type RegionStacks } from '../../stacks/platform';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The feature flags of cdk.json, so that tests synthesize exactly what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export interface TestPlatform {
  readonly app: App;
  readonly config: PlatformConfig;
  readonly regions: RegionStacks[];
}

/**
 * Builds a profile's stacks in an App without the validation plugins (Template.fromStack throws when an
 * app-level plugin fails; the gate has its own tests), but with the platform aspects, so templates are what
 * deploys. Lambda bundling is skipped unless `bundle` is set: esbuild runs are slow and tested separately.
 */
export function buildTestPlatform(
  profile: string,
  opts: { overrides?: unknown; bundle?: boolean } = {},
): TestPlatform {
  const app = new App({
    context: { ...cdkJsonContext(), ...(opts.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  applyPlatformAspects(app);
  const config = loadProfile(profile, opts.overrides);
  const regions = buildPlatform(app, config);
  return { app, config, regions };
}

const cache = new Map<string, { platform: TestPlatform; templates: Map<Stack, Template> }>();

/** A cached build of a profile (one per test file and profile) with memoised templates. */
export function platform(profile: string): TestPlatform & { template: (stack: Stack) => Template } {
  let entry = cache.get(profile);
  if (!entry) {
    entry = { platform: buildTestPlatform(profile), templates: new Map() };
    cache.set(profile, entry);
  }
  const e = entry;
  return {
    ...e.platform,
    template: (stack: Stack) => {
      let t = e.templates.get(stack);
      if (!t) {
        t = Template.fromStack(stack);
        e.templates.set(stack, t);
      }
      return t;
    },
  };
}
