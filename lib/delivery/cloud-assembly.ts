import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileSystem } from 'aws-cdk-lib';

/**
 * Reads a synthesized cloud assembly (`cdk.out/`) for delivery: which stacks deploy to which region, which
 * asset manifests they carry, and whether every asset on disk is the one its manifest names.
 *
 * "Build once": the pipeline and the GitHub workflow synthesize one assembly, then publish and deploy exactly
 * that assembly (`cdk deploy --app cdk.out`), so what the compliance gate passed is what deploys.
 */

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly properties?: { readonly file?: string; readonly stackName?: string };
  readonly dependencies?: readonly string[];
}

interface AssemblyManifest {
  readonly version: string;
  readonly artifacts?: Readonly<Record<string, ManifestArtifact>>;
}

/** A file asset as an asset manifest describes it (the only kind this platform has: no Docker on the build hosts). */
export interface FileAssetEntry {
  readonly source: { readonly path?: string; readonly packaging?: string; readonly executable?: unknown };
  readonly destinations: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly displayName?: string;
}

export interface AssetManifestFile {
  readonly version: string;
  readonly files?: Readonly<Record<string, FileAssetEntry>>;
  readonly dockerImages?: Readonly<Record<string, unknown>>;
}

/** One stack of the assembly. */
export interface AssemblyStack {
  /** The artifact id (`Foundation-us-east-1`): what `cdk deploy --app cdk.out <id>` takes. */
  readonly id: string;
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  /** Artifact ids of the stacks and asset manifests it depends on. */
  readonly dependencies: readonly string[];
  /** The stack's asset manifest, relative to the assembly directory. */
  readonly assetManifest?: string;
}

export class AssemblyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssemblyError';
  }
}

function readJson<T>(file: string): T {
  if (!fs.existsSync(file))
    throw new AssemblyError(`${file} does not exist: synthesize first (npx cdk synth)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** The stacks of an assembly in manifest order, with their environment and asset manifest. */
export function assemblyStacks(dir: string): AssemblyStack[] {
  const manifest = readJson<AssemblyManifest>(path.join(dir, 'manifest.json'));
  const artifacts = manifest.artifacts ?? {};
  const out: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
    if (!env)
      throw new AssemblyError(`${id}: environment "${artifact.environment}" is not aws://account/region`);
    const deps = artifact.dependencies ?? [];
    const assetDep = deps.find((d) => artifacts[d]?.type === 'cdk:asset-manifest');
    out.push({
      id,
      stackName: artifact.properties?.stackName ?? id,
      account: env[1],
      region: env[2],
      dependencies: deps,
      assetManifest: assetDep ? artifacts[assetDep]?.properties?.file : undefined,
    });
  }
  return out;
}

/** The pipeline's own stack is deployed by hand (README "Deployment"), never by the pipeline it defines. */
export const NOT_DEPLOYED_BY_PIPELINE = /^Pipeline-/;

/**
 * The artifact ids to deploy in one region, excluding those matching `exclude` (by default the pipeline's own
 * stack, which is deployed by hand once and never by itself). `cdk deploy` adds the dependencies of these stacks in other regions
 * (production's primary data tier needs the DR region's replica keys and buckets first).
 */
export function stacksInRegion(
  dir: string,
  region: string,
  exclude: RegExp = NOT_DEPLOYED_BY_PIPELINE,
): string[] {
  return assemblyStacks(dir)
    .filter((s) => s.region === region && !exclude.test(s.id))
    .map((s) => s.id);
}

/** Why an asset is not publishable; empty when it is. */
export interface AssetCheck {
  readonly manifest: string;
  readonly hash: string;
  readonly path: string;
  readonly problems: readonly string[];
}

/**
 * Recomputes each file asset's hash the way CDK computed it at synth time and compares it with the id the
 * manifest gives it (which is also the S3 object key the template names):
 * - a stack template: the SHA-256 of the file (DefaultStackSynthesizer hashes the template contents);
 * - a directory (a bundled Lambda, a CDK provider): CDK's own `FileSystem.fingerprint` of the staged
 *   directory, with the `.is_custom_resource` marker excluded as AssetStaging excludes it.
 * A hash that does not match means the directory was changed after the synth, so what would be uploaded is
 * not what the gate saw.
 */
export function checkAssets(dir: string, manifestFile: string): AssetCheck[] {
  const manifest = readJson<AssetManifestFile>(path.join(dir, manifestFile));
  const out: AssetCheck[] = [];
  for (const [hash, entry] of Object.entries(manifest.files ?? {})) {
    const problems: string[] = [];
    const rel = entry.source.path ?? '';
    const abs = path.join(dir, rel);
    if (!entry.source.path) problems.push('has no source path (executable sources are not used here)');
    else if (!fs.existsSync(abs)) problems.push(`${rel} does not exist`);
    else {
      const stat = fs.statSync(abs);
      const actual =
        entry.source.packaging === 'zip'
          ? stat.isDirectory()
            ? FileSystem.fingerprint(abs, { exclude: ['.is_custom_resource'] })
            : undefined
          : crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
      if (actual === undefined) problems.push(`${rel} is packaged as zip but is not a directory`);
      else if (actual !== hash) problems.push(`${rel} hashes to ${actual}, the manifest says ${hash}`);
    }
    const destinations = Object.values(entry.destinations);
    if (destinations.length === 0) problems.push('has no destination');
    for (const d of destinations) {
      const key = typeof d.objectKey === 'string' ? d.objectKey : '';
      if (!key.startsWith(hash)) problems.push(`destination object key ${key} is not named after its hash`);
    }
    out.push({ manifest: manifestFile, hash, path: rel, problems });
  }
  return out;
}

/** The cloud-assembly schema major version that cdk-assets 4.7.x reads. */
export const CDK_ASSETS_SCHEMA_MAJOR = 54;

/** Fields of an asset manifest that cdk-assets 4.7.x understands, per level. Anything else is refused. */
const KNOWN = {
  manifest: ['version', 'files', 'dockerImages'],
  entry: ['source', 'destinations', 'displayName'],
  source: ['path', 'packaging'],
  destination: [
    'bucketName',
    'objectKey',
    'region',
    'assumeRoleArn',
    'assumeRoleExternalId',
    'assumeRoleAdditionalOptions',
  ],
} as const;

function unknownKeys(obj: object, known: readonly string[], where: string): string[] {
  return Object.keys(obj)
    .filter((k) => !known.includes(k))
    .map((k) => `${where}: unknown field "${k}"`);
}

/**
 * cdk-assets 4.7.3 (the newest on the registry) reads cloud-assembly schema 54, while aws-cdk-lib 2.276 writes
 * 55; schema versions are bumped for any addition anywhere in the assembly, not only in asset manifests. This
 * writes, next to each asset manifest, a copy that declares version 54 — but only after checking that the
 * manifest uses no field, packaging or asset kind that cdk-assets 4.7 does not know, so nothing can be
 * silently dropped. It returns the copies' paths (relative to `dir`), for `cdk-assets ls|publish -p`.
 */
export function cdkAssetsCompatibleManifests(dir: string): string[] {
  const out: string[] = [];
  for (const stack of assemblyStacks(dir)) {
    if (!stack.assetManifest) continue;
    const file = stack.assetManifest;
    const manifest = readJson<AssetManifestFile>(path.join(dir, file));
    const major = Number(manifest.version.split('.')[0]);
    const problems = unknownKeys(manifest, KNOWN.manifest, file);
    if (Object.keys(manifest.dockerImages ?? {}).length > 0) {
      problems.push(`${file}: container image assets are not built here (no Docker on the build hosts)`);
    }
    for (const [hash, entry] of Object.entries(manifest.files ?? {})) {
      const where = `${file} ${hash.slice(0, 12)}`;
      problems.push(...unknownKeys(entry, KNOWN.entry, where));
      problems.push(...unknownKeys(entry.source, KNOWN.source, `${where} source`));
      if (!['file', 'zip'].includes(String(entry.source.packaging))) {
        problems.push(`${where}: packaging "${String(entry.source.packaging)}" is not file or zip`);
      }
      for (const [id, d] of Object.entries(entry.destinations)) {
        problems.push(...unknownKeys(d, KNOWN.destination, `${where} destination ${id}`));
      }
    }
    if (problems.length > 0) throw new AssemblyError(problems.join('\n'));
    if (major <= CDK_ASSETS_SCHEMA_MAJOR) {
      out.push(file);
      continue;
    }
    const copy = file.replace(/\.assets\.json$/, `.assets.v${CDK_ASSETS_SCHEMA_MAJOR}.json`);
    fs.writeFileSync(
      path.join(dir, copy),
      JSON.stringify({ ...manifest, version: `${CDK_ASSETS_SCHEMA_MAJOR}.0.0` }, null, 2),
    );
    out.push(copy);
  }
  return out;
}
