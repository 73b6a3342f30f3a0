import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SynthesizedStack } from './templates';

/** Where the report came from: enough to reproduce the synth and to check the templates it describes. */
export interface Provenance {
  readonly project: { readonly name: string; readonly version: string };
  /** The commit the synth ran on; `unknown` outside a git checkout. */
  readonly gitCommit: string;
  /** Node.js major.minor.patch that ran the synth. */
  readonly node: string;
  /** Tool versions: declared in package.json, resolved in package-lock.json. */
  readonly tools: readonly {
    readonly name: string;
    readonly declared: string | null;
    readonly resolved: string | null;
  }[];
  /** Every synthesized template, with the sha256 of its bytes. */
  readonly templates: readonly {
    readonly file: string;
    readonly stack: string;
    readonly region: string;
    readonly sha256: string;
  }[];
}

/** The tools whose versions decide what a synth produces and what the checks find. */
export const PROVENANCE_TOOLS = [
  'aws-cdk-lib',
  'aws-cdk',
  'constructs',
  'cdk-nag',
  'typescript',
  'tsx',
  'esbuild',
] as const;

/** Reads the commit of a checkout, or `unknown` when git or the repository is not there. */
export function gitCommit(repoRoot: string): string {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
    return /^[0-9a-f]{40,64}$/.test(out) ? out : 'unknown';
  } catch {
    return 'unknown';
  }
}

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

interface PackageLock {
  readonly packages?: Record<string, { readonly version?: string }>;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The project's name, version and tool versions from its package.json and package-lock.json. */
export function projectVersions(repoRoot: string): Pick<Provenance, 'project' | 'tools'> {
  const pkg = readJson<PackageJson>(path.join(repoRoot, 'package.json')) ?? {};
  const lock = readJson<PackageLock>(path.join(repoRoot, 'package-lock.json')) ?? {};
  const declared = { ...pkg.devDependencies, ...pkg.dependencies };
  return {
    project: { name: pkg.name ?? 'unknown', version: pkg.version ?? 'unknown' },
    tools: PROVENANCE_TOOLS.map((name) => ({
      name,
      declared: declared[name] ?? null,
      resolved: lock.packages?.[`node_modules/${name}`]?.version ?? null,
    })),
  };
}

export function buildProvenance(
  stacks: readonly SynthesizedStack[],
  opts: { readonly repoRoot: string; readonly gitCommit: string },
): Provenance {
  return {
    ...projectVersions(opts.repoRoot),
    gitCommit: opts.gitCommit,
    node: process.versions.node,
    templates: stacks.map((s) => ({
      file: s.templateFile,
      stack: s.stackName,
      region: s.region,
      sha256: s.sha256,
    })),
  };
}
