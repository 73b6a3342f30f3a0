import * as fs from 'node:fs';
import * as path from 'node:path';
import { acknowledgements } from '../../compliance-rules/acknowledge';
import { REPO_ROOT, buildTestPlatform } from '../helpers/platform';

/** README rows: `finding ids` | `resource pattern` | reason. `…` stands for any path, `*` for part of one segment. */
function readmeRows(): { ids: string[]; resources: RegExp[] }[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split('### Acknowledgements in force')[1] ?? '';
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((line) => {
      const [ids = '', resources = ''] = line.split('|').slice(1, 3);
      const ticks = (s: string): string[] => [...s.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      return {
        ids: ticks(ids),
        resources: ticks(resources).map(
          (r) =>
            new RegExp(
              `(^|/)${r
                .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
                .replace(/…/g, '.*')
                .replace(/\*/g, '[^/]*')}$`,
            ),
        ),
      };
    });
}

describe('every acknowledgement is listed in README.md with its reason', () => {
  beforeAll(() => {
    buildTestPlatform('poc');
    buildTestPlatform('production');
    buildTestPlatform('production', { overrides: { rollout: 'install' } });
  });

  test('each (finding, resource) made during a synth of either profile (and the first-deploy rollout) has a README row', () => {
    const rows = readmeRows();
    expect(rows.length).toBeGreaterThan(0);
    const made = acknowledgements();
    expect(made.length).toBeGreaterThan(0);
    const missing = made
      .filter((a) => !rows.some((r) => r.ids.includes(a.id) && r.resources.some((re) => re.test(a.path))))
      .map((a) => `${a.id} on ${a.path}`);
    expect([...new Set(missing)]).toEqual([]);
  });

  test('no README row is stale: each listed finding is acknowledged somewhere', () => {
    const made = new Set(acknowledgements().map((a) => a.id));
    const stale = readmeRows()
      .flatMap((r) => r.ids)
      .filter((id) => !made.has(id));
    expect(stale).toEqual([]);
  });
});
