import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../lib/config';

export interface PlatformStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** The region this stack deploys to (also its `env.region`). */
  readonly region: string;
}

/**
 * Base of every stack: it knows its profile and region, and answers availability-zone questions from the
 * profile, so that a fresh clone synthesizes with no AWS credentials and no context lookups.
 */
export abstract class PlatformStack extends Stack {
  readonly config: PlatformConfig;
  readonly isPrimary: boolean;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, { ...props, env: { account: props.config.profile.account, region: props.region } });
    this.config = props.config;
    this.isPrimary = props.region === props.config.profile.regions.primary;
  }

  override get availabilityZones(): string[] {
    return [...this.config.profile.availabilityZones[this.region]];
  }
}
