/**
 * Delivery helpers over a synthesized cloud assembly, used by the pipeline (stacks/pipeline-stack.ts), the
 * GitHub workflow (.github/workflows/deploy.yml) and people:
 *
 *   npm run assets:list [-- cdk.out]            verify every asset, then `cdk-assets ls` each stack's manifest
 *   npm run assets:publish [-- cdk.out]         verify, then `cdk-assets publish` each stack's manifest
 *   npm run deploy:stacks -- <region> [cdk.out] the stack ids to `cdk deploy --app cdk.out` in a region
 *   tsx scripts/delivery.ts profile <name>      `primary=`, `dr=` and `qualifier=` lines (for $GITHUB_OUTPUT)
 *
 * Synthesize first (`npx cdk synth -c profile=<name>`): these read cdk.out and never synthesize, so that what
 * is published and deployed is exactly what the compliance gate passed. Exit code 1 when an asset is missing or
 * its hash does not match, 2 on a usage error.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { loadProfile } from '../lib/config';
import {
  AssemblyError,
  assemblyStacks,
  cdkAssetsCompatibleManifests,
  checkAssets,
  stacksInRegion,
} from '../lib/delivery/cloud-assembly';

/** `cdk bootstrap`'s qualifier when none is given. */
const DEFAULT_QUALIFIER = 'hnb659fds';

function cdkAssets(args: string[]): void {
  const bin = require.resolve('cdk-assets/bin/cdk-assets');
  const run = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
  if (run.status !== 0) throw new AssemblyError(`cdk-assets ${args.join(' ')} exited with ${run.status}`);
}

function verify(dir: string): void {
  const problems = assemblyStacks(dir)
    .filter((s) => s.assetManifest)
    .flatMap((s) => checkAssets(dir, s.assetManifest!))
    .flatMap((c) => c.problems.map((p) => `${c.manifest} ${c.hash}: ${p}`));
  if (problems.length > 0) throw new AssemblyError(`assets not publishable:\n${problems.join('\n')}`);
}

function main(argv: string[]): void {
  const [command, ...rest] = argv.filter((a) => a !== '--');
  switch (command) {
    case 'assets-list':
    case 'assets-publish': {
      const dir = path.resolve(rest[0] ?? 'cdk.out');
      verify(dir);
      for (const manifest of cdkAssetsCompatibleManifests(dir)) {
        const args = command === 'assets-list' ? ['ls'] : ['publish', '--verbose'];
        cdkAssets([...args, '-p', path.join(dir, manifest)]);
      }
      return;
    }
    case 'stacks': {
      const [region, dir = 'cdk.out'] = rest;
      if (!region) throw new Error('usage: npm run deploy:stacks -- <region> [cdk.out]');
      const ids = stacksInRegion(path.resolve(dir), region);
      if (ids.length === 0) throw new AssemblyError(`no stack deploys to ${region} in ${dir}`);
      process.stdout.write(`${ids.join(' ')}\n`);
      return;
    }
    case 'profile': {
      const { profile } = loadProfile(rest[0] ?? 'poc');
      // Without a delivery section the default qualifier of `cdk bootstrap` applies.
      const qualifier = profile.delivery?.bootstrapQualifier ?? DEFAULT_QUALIFIER;
      process.stdout.write(
        `primary=${profile.regions.primary}\ndr=${profile.regions.dr ?? ''}\nqualifier=${qualifier}\n`,
      );
      return;
    }
    default:
      throw new Error(
        'usage: tsx scripts/delivery.ts assets-list|assets-publish [dir] | stacks <region> [dir] | profile <name>',
      );
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`delivery: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof AssemblyError ? 1 : 2);
  }
}
