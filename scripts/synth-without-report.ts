/**
 * Benchmark baseline ONLY (used by scripts/bench-synth.ts): the same app as bin/app.ts, behind the same
 * compliance gate, but with a plain `app.synth()` that writes no evidence report, so that the report's own
 * cost can be measured. Never use it for a release: every real synth writes the report.
 */
import { App } from 'aws-cdk-lib';
import { registerComplianceGate } from '../compliance-rules/gate';
import { loadProfile } from '../lib/config';
import { buildPlatform } from '../stacks/platform';

const app = new App();
registerComplianceGate(app);
buildPlatform(app, loadProfile((app.node.tryGetContext('profile') as string | undefined) ?? 'poc'));
app.synth();
