import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitCommit } from '../../compliance-rules/evidence/provenance';
import { REPO_ROOT } from '../helpers/platform';
import { synthPlatformWithEvidence } from './evidence-fixture';

/**
 * Two synths of the same commit produce the same report apart from its one "generated" line, so that the
 * report diffs cleanly in review. Production: two regions, cross-region references, every pack.
 */
describe('two synths of the same commit', () => {
  const commit = gitCommit(REPO_ROOT);
  const first = synthPlatformWithEvidence('production', {
    gitCommit: commit,
    generated: new Date('2026-03-01T08:00:00Z'),
  });
  const second = synthPlatformWithEvidence('production', {
    gitCommit: commit,
    generated: new Date('2026-03-02T17:30:00Z'),
  });
  const lines = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8').split('\n');

  test('write the same files', () => {
    expect(fs.readdirSync(second.dir).sort()).toEqual(fs.readdirSync(first.dir).sort());
  });

  test.each(['evidence.json', 'evidence.md', 'evidence.html'])(
    '%s differs only in its one generated line',
    (file) => {
      const a = lines(first.dir, file);
      const b = lines(second.dir, file);
      expect(b).toHaveLength(a.length);
      const differing = a.flatMap((line, i) => (line === b[i] ? [] : [[line, b[i]]]));
      expect(differing).toHaveLength(1);
      const [was, now] = differing[0];
      expect(was).toContain('2026-03-01T08:00:00.000Z');
      expect(now).toContain('2026-03-02T17:30:00.000Z');
      expect(was.replace('2026-03-01T08:00:00.000Z', '')).toBe(now.replace('2026-03-02T17:30:00.000Z', ''));
    },
  );

  test.each(['findings.sarif', 'results.csv', 'dataflow.svg'])('%s is identical', (file) => {
    expect(fs.readFileSync(path.join(second.dir, file), 'utf8')).toBe(
      fs.readFileSync(path.join(first.dir, file), 'utf8'),
    );
  });

  test('the templates they describe hash the same', () => {
    const hashes = (dir: string) =>
      (
        JSON.parse(fs.readFileSync(path.join(dir, 'evidence.json'), 'utf8')) as {
          provenance: { templates: unknown[] };
        }
      ).provenance.templates;
    expect(hashes(second.dir)).toEqual(hashes(first.dir));
  });
});
