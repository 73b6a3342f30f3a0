/**
 * Benchmark baseline ONLY (used by scripts/bench-synth.ts): the same app as bin/app.ts, with the platform
 * aspects but without the compliance plugins, so that the gate's cost can be measured. Never deploy from it.
 */
import { App } from 'aws-cdk-lib';
import { applyPlatformAspects } from '../compliance-rules/gate';
import { loadProfile } from '../lib/config';
import { buildPlatform } from '../stacks/platform';

const app = new App();
applyPlatformAspects(app);
buildPlatform(app, loadProfile((app.node.tryGetContext('profile') as string | undefined) ?? 'poc'));
app.synth();
