/**
 * Where the migration runner gets its SQL: from the repository's `migrations/` directory (tests, synth) or from
 * the Lambda bundle, where esbuild inlined every `migrations/*.sql` file as text.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseMigration, validateMigrationSet, type Migration } from './runner';

/** The repository's migrations directory. */
export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

/** Reads, validates and sorts every `*.sql` file of a directory. */
export function loadMigrationsFromDirectory(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  return validateMigrationSet(
    files.map((f) => parseMigration(f, fs.readFileSync(path.join(dir, f), 'utf8'))),
  );
}

/** What the custom resource tells the function to apply: names and checksums, never SQL. */
export interface MigrationManifestEntry {
  readonly name: string;
  readonly checksum: string;
}

/**
 * Loads the migrations a manifest names from the bundle and checks each against its manifest checksum, so a
 * function deployed with a stale bundle refuses to run rather than applying different SQL than was reviewed.
 */
export function loadBundledMigrations(manifest: readonly MigrationManifestEntry[]): Migration[] {
  return validateMigrationSet(
    manifest.map((entry) => {
      const m = parseMigration(entry.name, bundledSql(entry.name));
      if (m.checksum !== entry.checksum) {
        throw new Error(
          `${entry.name}: the bundled file does not match the checksum the stack was synthesized with`,
        );
      }
      return m;
    }),
  );
}

function bundledSql(name: string): string {
  if (!/^\d{4}_[a-z0-9_]+\.sql$/.test(name)) throw new Error(`${name}: not a migration file name`);
  const stem = name.slice(0, -'.sql'.length);
  // esbuild turns this template into a glob over migrations/*.sql and inlines each file as text
  // (HardenedFunction `loader: { '.sql': 'text' }`); `require` is the form it globs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`../../migrations/${stem}.sql`) as string;
}
