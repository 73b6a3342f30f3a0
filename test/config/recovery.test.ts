import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROFILES, ProfileError, loadProfile, validateProfile } from '../../lib/config';
import { drPosture } from '../../lib/config/dr-posture';
import { RECOVERY_STORES, recoveryTargets } from '../../lib/config/recovery';
import { profileProblems } from '../helpers/profile-problems';

const REPO_ROOT = path.resolve(__dirname, '../..');

/** The problems a validation produces, or [] when it passes. */
function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
    return [];
  } catch (err) {
    if (err instanceof ProfileError) return err.problems;
    throw err;
  }
}
const production = (overrides?: unknown) => profileProblems(overrides, 'production');
const poc = (overrides?: unknown) => profileProblems(overrides, 'poc');

const S3_RTC = 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html';

describe('recovery targets in the profile, checked against the DR mechanisms', () => {
  test('every class names a store of the data tier', () => {
    const stores = drPosture(loadProfile('production')).map((s) => s.store);
    for (const store of Object.values(RECOVERY_STORES)) expect(stores).toContain(store);
  });

  test('production states RPO and RTO for every replicated store, and its mechanisms meet them', () => {
    expect(production()).toEqual([]);
    const targets = recoveryTargets(loadProfile('production'));
    for (const t of targets.filter((x) => x.class !== 'backups')) {
      expect([t.class, t.objective, t.targetSeconds]).toEqual([t.class, t.objective, expect.any(Number)]);
      expect(t.boundSeconds).not.toBeNull();
      expect(t.targetSeconds!).toBeGreaterThanOrEqual(t.boundSeconds!);
    }
    // Documents rest on S3 RTC: 15 minutes is the tightest RPO it supports.
    expect(targets.find((t) => t.class === 'documents' && t.objective === 'rpo')).toEqual({
      class: 'documents',
      store: 's3-documents-models-data-capture',
      objective: 'rpo',
      targetSeconds: 900,
      boundSeconds: 900,
    });
  });

  test('an RPO under 15 minutes for documents cannot rest on S3 RTC alone', () => {
    expect(production({ recovery: { rpoSeconds: { documents: 300 } } })).toEqual([
      `production.recovery.rpoSeconds.documents: 300 s cannot be met by s3-documents-models-data-capture (S3 RTC: 99.99% of objects replicated within 15 minutes (SLA-backed): 900 s; ${S3_RTC}); allowed: >= 900, or a faster mechanism`,
    ]);
    expect(production({ recovery: { rpoSeconds: { documents: 899 } } })).toHaveLength(1);
    expect(production({ recovery: { rpoSeconds: { documents: 900 } } })).toEqual([]);
  });

  test('a database RPO below the global database lag, or an RTO below its promotion time', () => {
    const problems = production({ recovery: { rpoSeconds: { database: 0 }, rtoSeconds: { database: 30 } } });
    expect(problems).toEqual([
      expect.stringMatching(
        /^production\.recovery\.rpoSeconds\.database: 0 s cannot be met by aurora-clinical \(replication lag, typically under 1 second .*: 1 s; https:\/\/docs\.aws\.amazon\.com\/.*\); allowed: >= 1, or a faster mechanism$/,
      ),
      expect.stringMatching(
        /^production\.recovery\.rtoSeconds\.database: 30 s cannot be met by aurora-clinical .*: 60 s; .*allowed: >= 60, or a faster mechanism$/,
      ),
    ]);
  });

  test('a target on a store whose recovery time depends on the data size cannot be promised', () => {
    expect(production({ recovery: { rtoSeconds: { backups: 86400 } } })).toEqual([
      expect.stringMatching(
        /^production\.recovery\.rtoSeconds\.backups: 86400 s cannot be promised by backup-vaults: its RTO depends on the data size \(restore time: minutes to hours, proportional to the data size .*\); allowed: no target, or a mechanism with a documented bound$/,
      ),
    ]);
  });

  test('a single-region profile cannot promise a regional RPO or RTO, even where Multi-AZ gives 0 within the region', () => {
    expect(
      poc({ recovery: { rpoSeconds: { table: 3600, database: 0 }, rtoSeconds: { documents: 900 } } }),
    ).toEqual([
      'poc.recovery.rpoSeconds.database: 0 s cannot be met by a single-region profile: losing the region loses aurora-clinical until the region recovers (there is no regional failover); allowed: no target, or add regions.dr',
      expect.stringMatching(
        /^poc\.recovery\.rpoSeconds\.table: 3600 s cannot be met by a single-region profile/,
      ),
      expect.stringMatching(
        /^poc\.recovery\.rtoSeconds\.documents: 900 s cannot be met by a single-region profile/,
      ),
    ]);
  });

  test('a multi-region profile must state RPO and RTO for every replicated store', () => {
    const input = structuredClone(PROFILES.production) as Record<string, unknown>;
    delete input['recovery'];
    const problems = problemsOf(() => validateProfile(input, 'production'));
    expect(problems).toEqual([
      expect.stringMatching(
        /^production\.recovery\.rpoSeconds\.database: must state the RPO of aurora-clinical in a multi-region profile; achievable: >= 1 /,
      ),
      expect.stringMatching(/^production\.recovery\.rtoSeconds\.database: must state the RTO/),
      expect.stringMatching(/^production\.recovery\.rpoSeconds\.table: must state the RPO/),
      expect.stringMatching(/^production\.recovery\.rtoSeconds\.table: must state the RTO/),
      expect.stringMatching(
        /^production\.recovery\.rpoSeconds\.documents: must state the RPO of s3-documents-models-data-capture in a multi-region profile; achievable: >= 900 \(S3 RTC/,
      ),
      expect.stringMatching(/^production\.recovery\.rtoSeconds\.documents: must state the RTO/),
    ]);
  });

  test('a single-region profile may state no target (poc states none)', () => {
    expect(poc()).toEqual([]);
    expect(loadProfile('poc').profile.recovery).toEqual({ rpoSeconds: {}, rtoSeconds: {} });
  });

  test('malformed targets fail in the schema, naming the field', () => {
    expect(production({ recovery: { rpoSeconds: { documents: -1 } } })).toEqual([
      'production.recovery.rpoSeconds.documents: must be a number of seconds, 0 or more',
    ]);
    expect(production({ recovery: { rtoSeconds: { docs: 900 } } })).toEqual([
      expect.stringMatching(/^production\.recovery\.rtoSeconds: Unrecognized key: "docs"/),
    ]);
    expect(production({ recovery: { rpoSeconds: { table: 1.5 } } })[0]).toMatch(
      /^production\.recovery\.rpoSeconds\.table: /,
    );
  });
});

describe('bin/app.ts through the CDK CLI', () => {
  test('an unmet RPO stops the synth in one line naming the field and what is achievable', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-recovery-'));
    const res = spawnSync(
      'npx',
      [
        'cdk',
        'synth',
        '--quiet',
        '-c',
        'profile=production',
        '-c',
        'overrides={"recovery":{"rpoSeconds":{"documents":300}}}',
        '-o',
        outdir,
      ],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(res.status).not.toBe(0);
    const line = res.stderr.split('\n').find((l) => l.startsWith('Invalid profile'));
    expect(line).toBe(
      `Invalid profile, nothing synthesized: production.recovery.rpoSeconds.documents: 300 s cannot be met by s3-documents-models-data-capture (S3 RTC: 99.99% of objects replicated within 15 minutes (SLA-backed): 900 s; ${S3_RTC}); allowed: >= 900, or a faster mechanism`,
    );
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
    expect(fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });
});
