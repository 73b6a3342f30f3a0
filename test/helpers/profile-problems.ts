import { loadProfile, ProfileError } from '../../lib/config';

/** The problems a built-in profile with `overrides` produces (one line per problem), or [] when it is valid. */
export function profileProblems(overrides: unknown, profile = 'poc'): string[] {
  try {
    loadProfile(profile, overrides);
    return [];
  } catch (e) {
    if (e instanceof ProfileError) return [...e.problems];
    throw e;
  }
}
