import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AssemblyError,
  assemblyStacks,
  cdkAssetsCompatibleManifests,
  checkAssets,
  stacksInRegion,
} from '../../lib/delivery/cloud-assembly';
import { buildTestPlatform } from '../helpers/platform';

/**
 * One real synth (poc, with its Lambda bundles built by esbuild, plus a delivery section so that the pipeline
 * stack is in the assembly too), then: every asset each template names is in its stack's manifest, exists,
 * hashes to its id, and `cdk-assets ls` lists it.
 */
const delivery = {
  connectionArn:
    'arn:aws:codeconnections:us-east-1:123456789012:connection/00000000-0000-4000-8000-000000000000',
  repository: 'example-health/clinical-ai-platform',
  branch: 'main',
  approverEmails: ['pilot-approver@example.org'],
  bootstrapQualifier: 'cappoc',
};

let dir: string;
beforeAll(() => {
  const { app } = buildTestPlatform('poc', { bundle: true, overrides: { delivery } });
  dir = app.synth().directory;
}, 240_000);

const HASH_REF = /([0-9a-f]{64})\.(zip|json)/g;

describe('assets of every stack', () => {
  test('every stack has an asset manifest holding its own template', () => {
    const stacks = assemblyStacks(dir);
    expect(stacks.map((s) => s.id)).toEqual(
      expect.arrayContaining(['Foundation-us-east-1', 'Pipeline-us-east-1']),
    );
    for (const s of stacks) {
      expect(s.assetManifest).toBe(`${s.id}.assets.json`);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, s.assetManifest!), 'utf8')) as {
        files: Record<string, { source: { path: string } }>;
      };
      expect(Object.values(manifest.files).map((f) => f.source.path)).toContain(`${s.id}.template.json`);
    }
  });

  test('every asset a template names is in that stack manifest, exists and hashes to its id', () => {
    let zips = 0;
    for (const s of assemblyStacks(dir)) {
      const checks = checkAssets(dir, s.assetManifest!);
      expect(checks.filter((c) => c.problems.length > 0)).toEqual([]);
      const listed = new Set(checks.map((c) => c.hash));
      const template = fs.readFileSync(path.join(dir, `${s.id}.template.json`), 'utf8');
      for (const [, hash, ext] of template.matchAll(HASH_REF)) {
        expect([s.id, hash, listed.has(hash)]).toEqual([s.id, hash, true]);
        if (ext === 'zip') zips++;
      }
    }
    // The poc's Lambda bundles and CDK providers: the check above is not vacuous.
    expect(zips).toBeGreaterThan(3);
  });

  test('cdk-assets ls lists every asset of every manifest (npm run assets:list does this after the check)', () => {
    const manifests = cdkAssetsCompatibleManifests(dir);
    expect(manifests).toHaveLength(assemblyStacks(dir).length);
    for (const m of manifests) {
      const run = spawnSync(
        process.execPath,
        [require.resolve('cdk-assets/bin/cdk-assets'), 'ls', '-p', path.join(dir, m)],
        {
          encoding: 'utf8',
        },
      );
      expect([m, run.status, run.stderr]).toEqual([m, 0, '']);
      const original = m.replace(/\.assets\.v\d+\.json$/, '.assets.json');
      for (const c of checkAssets(dir, original)) {
        expect(run.stdout).toContain(`${c.hash} file`);
        expect(run.stdout).toMatch(new RegExp(`${c.hash}:\\d{12}-us-east-1`));
      }
    }
  });

  test('deploy lists per region exclude the pipeline stack', () => {
    const all = stacksInRegion(dir, 'us-east-1', /^$/);
    expect(all).toContain('Pipeline-us-east-1');
    expect(stacksInRegion(dir, 'us-east-1')).toEqual(all.filter((id) => id !== 'Pipeline-us-east-1'));
  });
});

describe('the check fails when an asset is not what the gate saw', () => {
  let copy: string;
  beforeEach(() => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), 'assets-'));
    fs.cpSync(dir, copy, { recursive: true });
  });
  afterEach(() => fs.rmSync(copy, { recursive: true, force: true }));

  const zipAsset = (): { manifest: string; hash: string; path: string } => {
    for (const s of assemblyStacks(copy)) {
      const c = checkAssets(copy, s.assetManifest!).find((x) => x.path.startsWith('asset.'));
      if (c) return { manifest: s.assetManifest!, hash: c.hash, path: c.path };
    }
    throw new Error('no directory asset');
  };

  test('a bundle changed after the synth', () => {
    const a = zipAsset();
    const file = fs.readdirSync(path.join(copy, a.path)).find((f) => f.endsWith('.js'))!;
    fs.appendFileSync(path.join(copy, a.path, file), '\n// changed after the synth\n');
    const problems = checkAssets(copy, a.manifest).find((c) => c.hash === a.hash)!.problems;
    expect(problems.join()).toMatch(/hashes to [0-9a-f]{64}, the manifest says/);
  });

  test('a template edited or removed after the synth', () => {
    fs.appendFileSync(path.join(copy, 'Foundation-us-east-1.template.json'), ' ');
    expect(
      checkAssets(copy, 'Foundation-us-east-1.assets.json')
        .flatMap((c) => c.problems)
        .join(),
    ).toMatch(/hashes to/);
    fs.rmSync(path.join(copy, 'Foundation-us-east-1.template.json'));
    expect(
      checkAssets(copy, 'Foundation-us-east-1.assets.json')
        .flatMap((c) => c.problems)
        .join(),
    ).toMatch(/does not exist/);
  });

  test('a manifest field cdk-assets 4.7 does not know is refused rather than dropped', () => {
    const file = path.join(copy, 'Foundation-us-east-1.assets.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { files: Record<string, Record<string, unknown>> };
    Object.values(m.files)[0].newField = true;
    fs.writeFileSync(file, JSON.stringify(m));
    expect(() => cdkAssetsCompatibleManifests(copy)).toThrow(AssemblyError);
    expect(() => cdkAssetsCompatibleManifests(copy)).toThrow(/unknown field "newField"/);
  });

  test('npm run assets:list exits 1 naming the asset', () => {
    const a = zipAsset();
    fs.rmSync(path.join(copy, a.path), { recursive: true });
    const run = spawnSync('npx', ['tsx', 'scripts/delivery.ts', 'assets-list', copy], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${a.hash}: ${a.path} does not exist`);
  });
});
