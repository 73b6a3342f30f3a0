import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { regionOf } from './rendered';

/** Where a resource deploys, as far as its stack knows it. */
export interface Deployment {
  /** The stack's region. */
  readonly region: string | undefined;
  /** The profile's primary region; the stack's own region when the profile is unknown. */
  readonly primaryRegion: string | undefined;
  /** The profile's disaster-recovery region; undefined for a single-region profile or an unknown one. */
  readonly drRegion: string | undefined;
  /** True when the stack carries the platform profile (a `PlatformStack`). */
  readonly profileKnown: boolean;
  /**
   * The cross-region requirements apply: a multi-region profile, or a stack with no profile, which is held
   * to the production bar rather than let off.
   */
  readonly multiRegion: boolean;
  /** The resource is in the primary region (always true for a stack with no profile). */
  readonly inPrimaryRegion: boolean;
}

interface ProfiledStack {
  readonly config?: {
    readonly profile?: { readonly regions?: { readonly primary: string; readonly dr?: string } };
  };
}

/**
 * Reads the deployment of a resource from its stack. Platform stacks (`PlatformStack`) carry their profile;
 * the rules read it from there rather than from context, so a rule stays a function of the resource's tree.
 */
export function deploymentOf(node: IConstruct): Deployment {
  const region = regionOf(node);
  const regions = (Stack.of(node) as ProfiledStack).config?.profile?.regions;
  if (!regions) {
    return {
      region,
      primaryRegion: region,
      drRegion: undefined,
      profileKnown: false,
      multiRegion: true,
      inPrimaryRegion: true,
    };
  }
  return {
    region,
    primaryRegion: regions.primary,
    drRegion: regions.dr,
    profileKnown: true,
    multiRegion: regions.dr !== undefined,
    inPrimaryRegion: region === regions.primary,
  };
}
