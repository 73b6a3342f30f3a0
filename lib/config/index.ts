import { ProfileSchema, type Profile, type ProfileInput } from './schema';
import { findShortfalls, planCapacity, type CapacityPlan } from './capacity';
import { poc } from './profiles/poc';
import { production } from './profiles/production';
import { findRecoveryShortfalls } from './recovery';

export * from './schema';
export * from './capacity';

/** The built-in profiles. Adding a profile = a file in ./profiles and an entry here. */
export const PROFILES: Readonly<Record<string, ProfileInput>> = { poc, production };

/** A profile that is unknown, malformed or cannot carry its own load. The message is one line per problem. */
export class ProfileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ProfileError';
  }
}

/** A validated profile with its derived capacity plan: what every stack and construct receives. */
export interface PlatformConfig {
  readonly profile: Profile;
  readonly capacity: CapacityPlan;
  /** The regions to deploy, primary first. */
  readonly regions: readonly string[];
  /** True when the profile has a disaster-recovery region. */
  readonly multiRegion: boolean;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep-merges `override` over `base`; arrays and scalars replace. */
export function mergeProfile(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = mergeProfile(base[k], v);
  return out;
}

/**
 * Validates a profile and derives its capacity plan. Throws {@link ProfileError} naming every
 * offending field as `<profile>.<path>: <what is allowed>`.
 */
export function validateProfile(input: unknown, label = 'profile'): PlatformConfig {
  const parsed = ProfileSchema.safeParse(input);
  if (!parsed.success) {
    throw new ProfileError(
      parsed.error.issues.map((i) => `${label}${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`),
    );
  }
  const profile = parsed.data;
  const capacity = planCapacity(profile);
  const shortfalls = findShortfalls(profile, capacity);
  if (shortfalls.length > 0) {
    throw new ProfileError(shortfalls.map((s) => `${label}.${s.path}: ${s.message}`));
  }
  const regions = [profile.regions.primary, ...(profile.regions.dr ? [profile.regions.dr] : [])];
  const config: PlatformConfig = { profile, capacity, regions, multiRegion: regions.length > 1 };
  // RPO/RTO targets the DR mechanisms cannot meet (lib/config/recovery.ts).
  const unmet = findRecoveryShortfalls(config);
  if (unmet.length > 0) {
    throw new ProfileError(unmet.map((s) => `${label}.${s.path}: ${s.message}`));
  }
  return config;
}

/**
 * Resolves a built-in profile by name, applies optional overrides (deep merge) and validates it.
 * @param name the profile name, e.g. `poc` or `production`
 * @param overrides a partial profile merged over the built-in one before validation
 */
export function loadProfile(name: string, overrides?: unknown): PlatformConfig {
  const base = PROFILES[name];
  if (!base) {
    throw new ProfileError([
      `profile: unknown profile "${name}"; allowed: ${Object.keys(PROFILES).join(', ')}`,
    ]);
  }
  return validateProfile(overrides === undefined ? base : mergeProfile(base, overrides), name);
}
