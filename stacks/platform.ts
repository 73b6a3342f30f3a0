import { type App, Tags } from 'aws-cdk-lib';
import type { PlatformConfig } from '../lib/config';
import { stackName } from '../lib/naming';
import { FoundationStack } from './foundation-stack';

/** The stacks of one region. Later tiers add theirs here. */
export interface RegionStacks {
  readonly region: string;
  readonly isPrimary: boolean;
  readonly foundation: FoundationStack;
}

/**
 * Builds every stack of a profile: for each region (primary first) the foundation, then the tiers that
 * depend on it. Deploy order follows the dependencies CDK records (`cdk deploy --all`).
 */
export function buildPlatform(app: App, config: PlatformConfig): RegionStacks[] {
  const { profile } = config;
  Tags.of(app).add('clinical-ai:profile', profile.name);
  Tags.of(app).add('data-classification', profile.tags.dataClassification);
  Tags.of(app).add('owner', profile.tags.owner);
  Tags.of(app).add('cost-center', profile.tags.costCenter);

  const out: RegionStacks[] = [];
  for (const region of config.regions) {
    const isPrimary = region === profile.regions.primary;
    const foundation = new FoundationStack(app, `Foundation-${region}`, {
      stackName: stackName(profile, 'foundation', region),
      description: `clinical-ai-platform ${profile.name}: VPC, CMKs and audit trail (${region})`,
      terminationProtection: true,
      config,
      region,
    });
    if (!isPrimary) foundation.addDependency(out[0].foundation, 'replica keys read the primary key ARNs');
    out.push({ region, isPrimary, foundation });
  }
  return out;
}
