#!/usr/bin/env node
/**
 * The CDK app. The only place that reads context or the environment: it resolves and validates the profile,
 * then builds every stack for it behind the compliance gate.
 *
 *   npx cdk synth                          # poc (default)
 *   npx cdk synth -c profile=production    # two regions
 *   npx cdk synth -c profile=production -c overrides='{"account":"210987654321"}'
 *   npx cdk synth -c profile=production -c rollout=install   # the first deploy of a two-region profile, once
 */
import { App } from 'aws-cdk-lib';
import { loadProfile, mergeProfile, ProfileError } from '../lib/config';
import { AcknowledgementError } from '../compliance-rules/acknowledge';
import { synthWithEvidence } from '../compliance-rules/evidence/write';
import { registerComplianceGate } from '../compliance-rules/gate';
import { buildPlatform } from '../stacks/platform';

function readOverrides(raw: unknown): unknown {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new ProfileError([
      'overrides: must be a JSON object, e.g. -c overrides=\'{"account":"210987654321"}\'',
    ]);
  }
}

function main(): void {
  const app = new App();
  const name =
    (app.node.tryGetContext('profile') as string | undefined) ?? process.env.CLINICAL_AI_PROFILE ?? 'poc';
  let config;
  try {
    const overrides = readOverrides(app.node.tryGetContext('overrides'));
    const rollout = app.node.tryGetContext('rollout') as unknown;
    config = loadProfile(
      name,
      rollout === undefined ? overrides : mergeProfile(overrides ?? {}, { rollout }),
    );
  } catch (err) {
    if (err instanceof ProfileError) {
      // One line per problem, no stack trace, and exit before anything is synthesized.
      process.stderr.write(`Invalid profile, nothing synthesized: ${err.problems.join('; ')}\n`);
      process.exit(1);
    }
    throw err;
  }
  registerComplianceGate(app);
  try {
    buildPlatform(app, config);
  } catch (err) {
    if (err instanceof AcknowledgementError) {
      // A malformed or expired acknowledgement: one line naming the construct, the finding and the owner.
      process.stderr.write(`Acknowledgement refused, nothing synthesized: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // Writes cdk.out/compliance/ (the evidence report) after the synth, also when the gate fails it.
  synthWithEvidence(app, config);
}

main();
