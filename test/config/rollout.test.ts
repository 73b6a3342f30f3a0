import { loadProfile } from '../../lib/config';
import { profileProblems } from '../helpers/profile-problems';

describe('rollout', () => {
  test("defaults to 'steady' in every built-in profile", () => {
    expect(loadProfile('poc').profile.rollout).toBe('steady');
    expect(loadProfile('production').profile.rollout).toBe('steady');
  });

  test("'install' is accepted for a two-region profile", () => {
    expect(profileProblems({ rollout: 'install' }, 'production')).toEqual([]);
    expect(loadProfile('production', { rollout: 'install' }).profile.rollout).toBe('install');
  });

  test("'install' in a single-region profile fails naming the field and what is allowed", () => {
    const problems = profileProblems({ rollout: 'install' }, 'poc');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^poc\.rollout: .*allowed: steady/);
  });

  test('an unknown phase fails naming the field and the two values', () => {
    const problems = profileProblems({ rollout: 'first' }, 'production');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^production\.rollout: .*steady.*install/);
  });
});
