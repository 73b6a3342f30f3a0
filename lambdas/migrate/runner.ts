/**
 * The schema migration runner: applies versioned SQL migrations to PostgreSQL, forward only.
 *
 * - Every migration runs in its own transaction, together with the row that records it, so a failed migration
 *   leaves the schema exactly as it was and is not recorded.
 * - Applied versions are recorded in `schema_migrations` with the SHA-256 of the file; re-running is a no-op,
 *   and an applied migration whose file has changed since (drift) stops the run before anything is applied.
 * - Concurrent runners (two deploys, a retry beside a slow first attempt) are serialised by a session-level
 *   advisory lock; the second one finds nothing left to do.
 *
 * Plain module (no AWS, no CDK): the Lambda handler supplies a connected client; tests use a real server.
 */
import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';

/** One migration file. */
export interface Migration {
  /** The number at the start of the file name, e.g. 2 for `0002_clinical_schema.sql`. */
  readonly version: number;
  /** The file name, e.g. `0002_clinical_schema.sql`. */
  readonly name: string;
  /** The SQL text. */
  readonly sql: string;
  /** SHA-256 (hex) of the SQL with line endings normalised to LF. */
  readonly checksum: string;
}

/** What a run did. */
export interface MigrationResult {
  /** Versions applied by this run, in order. */
  readonly applied: number[];
  /** The highest version recorded after the run (0 for an empty database). */
  readonly currentVersion: number;
  /** Versions recorded in the database that this code does not know (the database is ahead: rollback case). */
  readonly unknownApplied: number[];
}

export interface MigrateOptions {
  /**
   * Schema that holds the `schema_migrations` table.
   * @default 'public'
   */
  readonly historySchema?: string;
  /**
   * How long to wait for another runner's lock before giving up (ms).
   * @default 300000 (5 minutes)
   */
  readonly lockWaitMs?: number;
  /**
   * statement_timeout inside each migration (ms).
   * @default 300000
   */
  readonly statementTimeoutMs?: number;
  /**
   * lock_timeout inside each migration (ms): a migration that cannot get a table lock fails fast rather than
   * queueing every application query behind it.
   * @default 10000
   */
  readonly lockTimeoutMs?: number;
  /**
   * Called once per applied migration, for logging. Receives no SQL text and no data.
   * @default - nothing
   */
  readonly onApplied?: (m: { version: number; name: string; durationMs: number }) => void;
}

/** The key of the advisory lock that serialises runners ('clinical-ai migrations' folded into a bigint). */
export const MIGRATION_LOCK_KEY = '7163446219560447113';

const FILE_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;
const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK|END|START\s+TRANSACTION|SAVEPOINT)\s*(;|$)/im;
const NON_TRANSACTIONAL = /\b(CONCURRENTLY|VACUUM|ALTER\s+SYSTEM|CREATE\s+DATABASE|DROP\s+DATABASE)\b/i;

/** A migration set, an applied history or a migration that the runner refuses. */
export class MigrationError extends Error {
  constructor(
    message: string,
    /** A stable machine-readable code: invalid-migration, checksum-drift, out-of-order, lock-timeout, failed. */
    readonly code: string,
    /** The version concerned, when there is one. */
    readonly version?: number,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** SHA-256 of a migration's SQL, insensitive to CRLF/LF checkouts. */
export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/** Builds a migration from a file name and its text, validating both. */
export function parseMigration(name: string, sql: string): Migration {
  const m = FILE_NAME.exec(name);
  if (!m) {
    throw new MigrationError(
      `${name}: a migration file is named NNNN_lower_snake_case.sql`,
      'invalid-migration',
    );
  }
  const version = Number(m[1]);
  if (version < 1) throw new MigrationError(`${name}: versions start at 0001`, 'invalid-migration', version);
  if (sql.trim().length === 0) throw new MigrationError(`${name}: is empty`, 'invalid-migration', version);
  // The runner owns the transaction; a file that commits, or a statement that cannot run in a transaction,
  // would break the guarantee that a failed migration leaves the schema as it was.
  if (TRANSACTION_CONTROL.test(stripDollarQuotedBodies(sql))) {
    throw new MigrationError(
      `${name}: must not control transactions (BEGIN/COMMIT/ROLLBACK); the runner wraps each file in one`,
      'invalid-migration',
      version,
    );
  }
  if (NON_TRANSACTIONAL.test(stripComments(sql))) {
    throw new MigrationError(
      `${name}: uses a statement that cannot run inside a transaction (CONCURRENTLY, VACUUM, ALTER SYSTEM, CREATE/DROP DATABASE)`,
      'invalid-migration',
      version,
    );
  }
  return { version, name, sql, checksum: checksumOf(sql) };
}

/** Validates a whole set: unique, contiguous versions from 1, sorted. Returns it sorted by version. */
export function validateMigrationSet(migrations: readonly Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MigrationError(
        `${m.name}: expected version ${String(i + 1).padStart(4, '0')} (versions are unique and contiguous from 0001)`,
        'invalid-migration',
        m.version,
      );
    }
  });
  return sorted;
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/**
 * Applies the pending migrations. Throws {@link MigrationError} (code `checksum-drift`, `out-of-order`,
 * `lock-timeout`, `failed` or `invalid-migration`); on `failed` the failing migration was rolled back and the
 * ones before it in this run stay applied.
 */
export async function migrate(
  client: ClientBase,
  migrations: readonly Migration[],
  opts: MigrateOptions = {},
): Promise<MigrationResult> {
  const set = validateMigrationSet(migrations);
  const history = `${quoteIdent(opts.historySchema ?? 'public')}.schema_migrations`;
  await acquireLock(client, opts.lockWaitMs ?? 300_000);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${history} (
         version     integer     PRIMARY KEY,
         name        text        NOT NULL,
         checksum    char(64)    NOT NULL,
         applied_at  timestamptz NOT NULL DEFAULT now(),
         applied_by  text        NOT NULL DEFAULT current_user,
         duration_ms integer     NOT NULL
       )`,
    );
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      `SELECT version, name, checksum FROM ${history} ORDER BY version`,
    );
    const known = new Map(set.map((m) => [m.version, m]));
    const unknownApplied: number[] = [];
    for (const row of rows) {
      const m = known.get(row.version);
      if (!m) {
        unknownApplied.push(row.version);
        continue;
      }
      if (m.checksum !== row.checksum.trim()) {
        throw new MigrationError(
          `${m.name}: was applied with checksum ${row.checksum.trim().slice(0, 12)}… but the file now hashes to ${m.checksum.slice(0, 12)}…; applied migrations are immutable, add a new migration instead`,
          'checksum-drift',
          m.version,
        );
      }
    }
    const appliedVersions = new Set(rows.map((r) => r.version));
    const maxApplied = rows.reduce((max, r) => Math.max(max, r.version), 0);
    const pending = set.filter((m) => !appliedVersions.has(m.version));
    const early = pending.find((m) => m.version < maxApplied);
    if (early) {
      throw new MigrationError(
        `${early.name}: is older than the applied version ${maxApplied} but was never applied; renumber it after ${maxApplied}`,
        'out-of-order',
        early.version,
      );
    }
    if (unknownApplied.length > 0 && pending.length > 0) {
      throw new MigrationError(
        `the database has versions this code does not know (${unknownApplied.join(', ')}); refusing to apply ${pending[0].name} on top of them`,
        'out-of-order',
        pending[0].version,
      );
    }

    const applied: number[] = [];
    for (const m of pending) {
      const started = Date.now();
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL statement_timeout = ${Math.trunc(opts.statementTimeoutMs ?? 300_000)}`);
        await client.query(`SET LOCAL lock_timeout = ${Math.trunc(opts.lockTimeoutMs ?? 10_000)}`);
        await client.query(m.sql);
        const durationMs = Date.now() - started;
        await client.query(
          `INSERT INTO ${history} (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)`,
          [m.version, m.name, m.checksum, durationMs],
        );
        await client.query('COMMIT');
        applied.push(m.version);
        opts.onApplied?.({ version: m.version, name: m.name, durationMs });
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        const pg = err as { code?: string; message?: string };
        // The PostgreSQL error code and message name the failing object; they never quote row data.
        throw new MigrationError(
          `${m.name}: failed and was rolled back (${pg.code ?? 'error'}: ${pg.message ?? String(err)})`,
          'failed',
          m.version,
        );
      }
    }
    const currentVersion = Math.max(maxApplied, ...applied, 0);
    return { applied, currentVersion, unknownApplied };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
  }
}

async function acquireLock(client: ClientBase, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS locked',
      [MIGRATION_LOCK_KEY],
    );
    if (rows[0]?.locked) return;
    if (Date.now() + delay > deadline) {
      throw new MigrationError(
        `another migration runner held the lock for more than ${waitMs} ms`,
        'lock-timeout',
      );
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

/** Removes `$tag$ ... $tag$` bodies (PL/pgSQL BEGIN/END blocks are not transaction control). */
function stripDollarQuotedBodies(sql: string): string {
  return stripComments(sql).replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, '$$$$');
}
