/**
 * How the api lambdas are bundled: shared by the api stack (HardenedFunction props) and by `npm run bench:lambda`,
 * so that the benchmark measures exactly the bundles that deploy.
 */
import { BUNDLE_ALIASES, ESM_REQUIRE_BANNER } from './constructs/hardened-function';

/** Prefer the ESM builds of dual packages: the AWS SDK and the Encryption SDK tree-shake to far less. */
export const API_LAMBDA_MAIN_FIELDS: readonly string[] = ['module', 'main'];

/**
 * The esbuild options of an api lambda's final bundle (HardenedFunction with `codeSplitting` and
 * `mainFields`: see `splittingCommand` in lib/constructs/hardened-function.ts).
 */
export const API_LAMBDA_ESBUILD = {
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  splitting: true,
  entryNames: 'index',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  banner: { js: ESM_REQUIRE_BANNER },
  mainFields: [...API_LAMBDA_MAIN_FIELDS],
  alias: { ...BUNDLE_ALIASES },
} as const;

/**
 * Node options of the api lambdas. `--max-semi-space-size=64` (MiB) enlarges V8's young generation: a request
 * allocates a few hundred KiB (SDK serialisation, JSON, X-Ray contexts), so with the default 16 MiB a scavenge
 * lands on about one request in 40 and sets the p99; at 64 MiB it is about one in 160 (fewer, longer pauses:
 * see the maximum in `npm run bench:lambda`). Source maps make stack traces in the logs point at the sources.
 */
export const API_LAMBDA_NODE_OPTIONS = '--enable-source-maps --max-semi-space-size=64';
