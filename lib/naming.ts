import type { Profile } from './config';

/** Stack names: `<prefix>-<tier>-<region>`, e.g. `cap-prod-foundation-us-east-1`. */
export const stackName = (profile: Profile, tier: string, region: string): string =>
  `${profile.namePrefix}-${tier}-${region}`;

/** SSM parameter under which a region publishes an identifier for other stacks and regions. */
export const parameterName = (profile: Profile, ...parts: string[]): string =>
  `/${profile.namePrefix}/${parts.join('/')}`;
