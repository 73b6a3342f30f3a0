/**
 * The migration runner and the clinical schema against the real PostgreSQL server (127.0.0.1:5432), one fresh
 * database per test. Aurora PostgreSQL 16 is the target; the SQL sticks to what 15-17 share.
 */
import type { Client } from 'pg';
import { loadMigrationsFromDirectory } from '../../lambdas/migrate/migrations';
import {
  checksumOf,
  migrate,
  MIGRATION_LOCK_KEY,
  MigrationError,
  parseMigration,
  validateMigrationSet,
  type Migration,
} from '../../lambdas/migrate/runner';
import { DATABASE_ROLES } from '../../lib/config/database';
import { connectTo, freshDatabase } from '../helpers/postgres';

const REPO_MIGRATIONS = loadMigrationsFromDirectory();
/** The repository's versions (other tiers add migrations after 0002), and the next free one. */
const VERSIONS = REPO_MIGRATIONS.map((m) => m.version);
const N = REPO_MIGRATIONS.length;
const NEXT = N + 1;

/** Every relation, column, constraint, trigger and function outside the system schemas. */
async function schemaFingerprint(c: Client): Promise<string> {
  const q = async (sql: string) => JSON.stringify((await c.query(sql)).rows);
  return [
    await q(`SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2`),
    await q(`SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default
             FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
             ORDER BY 1, 2, 3`),
    await q(`SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) ORDER BY 1`),
    await q(`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`),
    await q(`SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`),
  ].join('\n');
}

const history = async (c: Client) =>
  (
    await c.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    )
  ).rows;

const extra = (version: number, body: string, slug = 'extra'): Migration =>
  parseMigration(`${String(version).padStart(4, '0')}_${slug}.sql`, body);

describe('migration files', () => {
  test('the repository holds contiguous, valid migrations starting at 0001', () => {
    expect(REPO_MIGRATIONS.slice(0, 2).map((m) => m.name)).toEqual([
      '0001_roles.sql',
      '0002_clinical_schema.sql',
    ]);
    expect(VERSIONS).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    for (const m of REPO_MIGRATIONS) expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the checksum ignores CRLF checkouts but not content', () => {
    expect(checksumOf('SELECT 1;\r\nSELECT 2;\r\n')).toBe(checksumOf('SELECT 1;\nSELECT 2;\n'));
    expect(checksumOf('SELECT 1;')).not.toBe(checksumOf('SELECT 2;'));
  });

  test.each([
    ['1_short.sql', 'SELECT 1;', /NNNN_lower_snake_case/],
    ['0003_Upper.sql', 'SELECT 1;', /NNNN_lower_snake_case/],
    ['0000_zero.sql', 'SELECT 1;', /start at 0001/],
    ['0003_empty.sql', '  \n', /empty/],
    ['0003_commits.sql', 'CREATE TABLE a (i int);\nCOMMIT;\n', /must not control transactions/],
    ['0003_begins.sql', 'BEGIN;\nCREATE TABLE a (i int);', /must not control transactions/],
    ['0003_concurrent.sql', 'CREATE INDEX CONCURRENTLY a_i ON a (i);', /cannot run inside a transaction/],
    ['0003_vacuum.sql', 'VACUUM clinical.patients;', /cannot run inside a transaction/],
  ])('refuses %s', (name, sql, message) => {
    expect(() => parseMigration(name, sql)).toThrow(message);
  });

  test('accepts PL/pgSQL blocks whose BEGIN/END are not transaction control', () => {
    expect(() => parseMigration('0003_block.sql', 'DO $$\nBEGIN\n  PERFORM 1;\nEND\n$$;\n')).not.toThrow();
  });

  test('refuses a set with a gap or a duplicate version', () => {
    const [a, b] = REPO_MIGRATIONS;
    expect(() => validateMigrationSet([a, extra(3, 'SELECT 1;')])).toThrow(/expected version 0002/);
    expect(() => validateMigrationSet([a, b, extra(2, 'SELECT 1;', 'dup')])).toThrow(/expected version 0003/);
  });
});

describe('runner against PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let c: Client;
  beforeEach(async () => {
    db = await freshDatabase('migr');
    c = await connectTo(db.name);
  });
  afterEach(async () => {
    await c.end();
    await db.drop();
  });

  test('applies every migration once and records version, name and checksum', async () => {
    const result = await migrate(c, REPO_MIGRATIONS);
    expect(result).toEqual({ applied: VERSIONS, currentVersion: N, unknownApplied: [] });
    expect(await history(c)).toEqual(
      REPO_MIGRATIONS.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
    );
    const tables = await c.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'clinical' ORDER BY 1`,
    );
    // The tables of 0002 (later migrations of other tiers may add more).
    expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual(
      expect.arrayContaining(['ingestion_receipts', 'observations', 'patients', 'quarantine_entries']),
    );
  });

  test('re-running is a no-op: nothing applied, schema and history unchanged', async () => {
    await migrate(c, REPO_MIGRATIONS);
    const before = await schemaFingerprint(c);
    const appliedAt = (await c.query('SELECT version, applied_at FROM schema_migrations ORDER BY 1')).rows;
    const again = await migrate(c, REPO_MIGRATIONS);
    expect(again).toEqual({ applied: [], currentVersion: N, unknownApplied: [] });
    expect(await schemaFingerprint(c)).toBe(before);
    expect((await c.query('SELECT version, applied_at FROM schema_migrations ORDER BY 1')).rows).toEqual(
      appliedAt,
    );
  });

  test('a failed migration leaves the schema exactly as it was and is not recorded', async () => {
    await migrate(c, REPO_MIGRATIONS);
    const before = await schemaFingerprint(c);
    const failing = extra(
      NEXT,
      `CREATE TABLE clinical.half_done (id int);
       ALTER TABLE clinical.patients ADD COLUMN half_done_flag boolean;
       INSERT INTO clinical.half_done VALUES (1);
       SELECT 1 / 0;`,
      'fails_midway',
    );
    const err = await migrate(c, [...REPO_MIGRATIONS, failing]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect(err).toMatchObject({ code: 'failed', version: NEXT });
    expect((err as Error).message).toMatch(
      new RegExp(
        `${String(NEXT).padStart(4, '0')}_fails_midway\\.sql: failed and was rolled back \\(22012: division by zero\\)`,
      ),
    );
    expect(await schemaFingerprint(c)).toBe(before);
    expect((await history(c)).map((r) => r.version)).toEqual(VERSIONS);
    // The session is usable and the lock released: a fixed 0003 applies.
    const fixed = extra(NEXT, 'ALTER TABLE clinical.patients ADD COLUMN deceased boolean;', 'fixed');
    expect((await migrate(c, [...REPO_MIGRATIONS, fixed])).applied).toEqual([NEXT]);
  });

  test('migrations before a failing one in the same run stay applied; the failing one does not', async () => {
    const ok = extra(NEXT, 'CREATE TABLE clinical.ok_table (id int);', 'ok');
    const bad = extra(
      NEXT + 1,
      'CREATE TABLE clinical.bad_table (id int); SELECT no_such_function();',
      'bad',
    );
    await expect(migrate(c, [...REPO_MIGRATIONS, ok, bad])).rejects.toMatchObject({
      code: 'failed',
      version: NEXT + 1,
    });
    expect((await history(c)).map((r) => r.version)).toEqual([...VERSIONS, NEXT]);
    const rel = await c.query(
      `SELECT to_regclass('clinical.ok_table') AS ok, to_regclass('clinical.bad_table') AS bad`,
    );
    expect(rel.rows[0]).toEqual({ ok: 'clinical.ok_table', bad: null });
  });

  test('an applied migration whose file changed (drift) stops the run before anything new is applied', async () => {
    await migrate(c, REPO_MIGRATIONS);
    const second = REPO_MIGRATIONS[1];
    const edited = parseMigration(second.name, `${second.sql}\n-- an innocent-looking edit\n`);
    const next = extra(NEXT, 'CREATE TABLE clinical.never_created (id int);', 'next');
    const set = REPO_MIGRATIONS.map((m) => (m.version === 2 ? edited : m));
    const err = await migrate(c, [...set, next]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'checksum-drift', version: 2 });
    expect((err as Error).message).toMatch(
      /0002_clinical_schema\.sql: was applied with checksum [0-9a-f]{12}/,
    );
    expect((await c.query(`SELECT to_regclass('clinical.never_created') AS t`)).rows[0]).toEqual({ t: null });
    expect((await history(c)).map((r) => r.version)).toEqual(VERSIONS);
  });

  test('a database ahead of the code (a stack rollback) is left alone and reported', async () => {
    const third = extra(NEXT, 'CREATE TABLE clinical.newer (id int);', 'newer');
    await migrate(c, [...REPO_MIGRATIONS, third]);
    const result = await migrate(c, REPO_MIGRATIONS);
    expect(result).toEqual({ applied: [], currentVersion: NEXT, unknownApplied: [NEXT] });
  });

  test('refuses to apply new migrations on top of versions it does not know', async () => {
    await migrate(c, [...REPO_MIGRATIONS, extra(NEXT, 'SELECT 1;', 'theirs')]);
    // A different branch's 0003 is "known" by version but has another checksum: drift, not a silent skip.
    await expect(migrate(c, [...REPO_MIGRATIONS, extra(NEXT, 'SELECT 2;', 'ours')])).rejects.toMatchObject({
      code: 'checksum-drift',
    });
  });

  test('concurrent runners are serialised: each version is applied exactly once', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => connectTo(db.name)));
    try {
      const results = await Promise.all(
        clients.map((k) => migrate(k, REPO_MIGRATIONS, { lockWaitMs: 30_000 })),
      );
      const applied = results.flatMap((r) => r.applied).sort((a, b) => a - b);
      expect(applied).toEqual(VERSIONS);
      expect(results.every((r) => r.currentVersion === N)).toBe(true);
      expect((await history(c)).map((r) => r.version)).toEqual(VERSIONS);
    } finally {
      await Promise.all(clients.map((k) => k.end()));
    }
  });

  test('a runner gives up with lock-timeout while another holds the lock, and succeeds once it is released', async () => {
    const holder = await connectTo(db.name);
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      await expect(migrate(c, REPO_MIGRATIONS, { lockWaitMs: 300 })).rejects.toMatchObject({
        code: 'lock-timeout',
      });
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
      expect((await migrate(c, REPO_MIGRATIONS, { lockWaitMs: 300 })).applied).toEqual(VERSIONS);
    } finally {
      await holder.end();
    }
  });

  test('a migration that waits on a table lock fails fast (lock_timeout) instead of queueing traffic', async () => {
    await migrate(c, REPO_MIGRATIONS);
    const reader = await connectTo(db.name);
    try {
      await reader.query('BEGIN');
      await reader.query('LOCK TABLE clinical.patients IN ACCESS SHARE MODE');
      const alter = extra(NEXT, 'ALTER TABLE clinical.patients ADD COLUMN locked_out boolean;', 'needs_lock');
      await expect(migrate(c, [...REPO_MIGRATIONS, alter], { lockTimeoutMs: 200 })).rejects.toThrow(
        new RegExp(`${String(NEXT).padStart(4, '0')}_needs_lock\\.sql: failed and was rolled back \\(55P03`),
      );
      await reader.query('ROLLBACK');
    } finally {
      await reader.end();
    }
  });
});

describe('clinical schema', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let c: Client;
  beforeAll(async () => {
    db = await freshDatabase('schema');
    c = await connectTo(db.name);
    await migrate(c, REPO_MIGRATIONS);
  });
  afterAll(async () => {
    await c.end();
    await db.drop();
  });
  // Each test runs in a transaction that is rolled back, so they stay independent.
  beforeEach(() => c.query('BEGIN'));
  afterEach(() => c.query('ROLLBACK'));

  const receipt = async (over: Record<string, unknown> = {}) => {
    const r = {
      source_system: 'epic-prod',
      message_format: 'fhir-r4',
      source_message_id: `msg-${Math.random()}`,
      resource_count: 2,
      payload_object_key: 'ingestion/2026/11/25/abc.json',
      payload_sha256: 'a'.repeat(64),
      ...over,
    };
    const keys = Object.keys(r);
    const res = await c.query<{ receipt_id: string }>(
      `INSERT INTO clinical.ingestion_receipts (${keys.join(', ')}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')})
       RETURNING receipt_id`,
      Object.values(r),
    );
    return res.rows[0].receipt_id;
  };
  const patient = async () =>
    (
      await c.query<{ patient_id: string }>(
        `INSERT INTO clinical.patients (source_system, source_patient_id, birth_date, administrative_gender)
         VALUES ('epic-prod', $1, '1950-03-01', 'female') RETURNING patient_id`,
        [`p-${Math.random()}`],
      )
    ).rows[0].patient_id;
  const observation = async (over: Record<string, unknown> = {}) => {
    const o = {
      patient_id: await patient(),
      loinc_code: '8867-4',
      ucum_unit: '/min',
      value: 88,
      effective_at: '2026-11-25T10:00:00Z',
      source_system: 'epic-prod',
      source_observation_id: `o-${Math.random()}`,
      receipt_id: await receipt(),
      ...over,
    };
    const keys = Object.keys(o);
    await c.query(
      `INSERT INTO clinical.observations (${keys.join(', ')}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')})`,
      Object.values(o),
    );
  };
  /** Runs `act` inside a savepoint and expects it to fail with the SQLSTATE `code`. */
  const failsWith = async (act: () => Promise<unknown>, code: string) => {
    await c.query('SAVEPOINT s');
    await expect(act()).rejects.toMatchObject({ code });
    await c.query('ROLLBACK TO SAVEPOINT s');
  };

  test('holds a canonical observation: LOINC code, UCUM unit, value, effective time, source system', async () => {
    await observation({ loinc_code: '85354-9', ucum_unit: 'mm[Hg]', value: 120.5 });
    const row: unknown = (
      await c.query('SELECT loinc_code, ucum_unit, value, source_system FROM clinical.observations')
    ).rows[0];
    expect(row).toEqual({
      loinc_code: '85354-9',
      ucum_unit: 'mm[Hg]',
      value: '120.5',
      source_system: 'epic-prod',
    });
  });

  test.each([
    ['a LOINC code without its check digit', { loinc_code: '8867' }],
    ['a LOINC code with letters', { loinc_code: 'LP-1234' }],
    ['an empty UCUM unit', { ucum_unit: '' }],
    ['a UCUM unit with a space', { ucum_unit: 'beats per min' }],
    ['an unknown observation status', { status: 'guessed' }],
    ['an upper-case source system', { source_system: 'EPIC' }],
  ])('rejects %s', async (_what, over) => {
    await failsWith(() => observation(over), '23514');
  });

  test('rejects an observation without a value or effective time, or for an unknown patient', async () => {
    await failsWith(() => observation({ value: null }), '23502');
    await failsWith(() => observation({ effective_at: null }), '23502');
    await failsWith(() => observation({ patient_id: '00000000-0000-4000-8000-000000000000' }), '23503');
  });

  test('the same source observation is recognised, not duplicated', async () => {
    await observation({ source_observation_id: 'obs-1' });
    await failsWith(() => observation({ source_observation_id: 'obs-1' }), '23505');
  });

  test('a receipt is received, then stored or quarantined with counts that reconcile', async () => {
    const id = await receipt();
    const row: unknown = (
      await c.query('SELECT status FROM clinical.ingestion_receipts WHERE receipt_id = $1', [id])
    ).rows[0];
    expect(row).toEqual({ status: 'received' });
    await c.query(
      `UPDATE clinical.ingestion_receipts SET status = 'stored', stored_count = 1, quarantined_count = 1,
       completed_at = now() WHERE receipt_id = $1`,
      [id],
    );
    // Counts that do not add up to what was received cannot complete the receipt.
    const other = await receipt();
    await failsWith(
      () =>
        c.query(
          `UPDATE clinical.ingestion_receipts SET status = 'stored', stored_count = 1, completed_at = now()
         WHERE receipt_id = $1`,
          [other],
        ),
      '23514',
    );
  });

  test('a quarantined receipt needs a reason; a receipt only moves forward; its payload reference is immutable', async () => {
    const id = await receipt({ resource_count: 0 });
    await failsWith(
      () =>
        c.query(
          `UPDATE clinical.ingestion_receipts SET status = 'quarantined', completed_at = now() WHERE receipt_id = $1`,
          [id],
        ),
      '23514',
    );
    await c.query(
      `UPDATE clinical.ingestion_receipts SET status = 'quarantined', reason = 'fhir-invalid: Bundle.type missing',
       completed_at = now() WHERE receipt_id = $1`,
      [id],
    );
    await failsWith(
      () => c.query(`UPDATE clinical.ingestion_receipts SET status = 'received' WHERE receipt_id = $1`, [id]),
      '23514',
    );
    await failsWith(
      () =>
        c.query(`UPDATE clinical.ingestion_receipts SET payload_sha256 = $2 WHERE receipt_id = $1`, [
          id,
          'b'.repeat(64),
        ]),
      '23514',
    );
    await c.query(`UPDATE clinical.ingestion_receipts SET status = 'stored' WHERE receipt_id = $1`, [id]);
  });

  test('a resent message (same source message id) is recognised', async () => {
    await receipt({ source_message_id: 'MSH-10-123' });
    await failsWith(() => receipt({ source_message_id: 'MSH-10-123' }), '23505');
  });

  test('quarantine entries point at a receipt and resolve completely or not at all', async () => {
    const id = await receipt();
    await c.query(
      `INSERT INTO clinical.quarantine_entries (receipt_id, resource_index, reason_code, payload_object_key)
       VALUES ($1, 0, 'unknown-ucum-unit', 'quarantine/abc/0.json')`,
      [id],
    );
    await failsWith(
      () => c.query(`UPDATE clinical.quarantine_entries SET resolved_at = now() WHERE receipt_id = $1`, [id]),
      '23514',
    );
    await failsWith(
      () =>
        c.query(
          `INSERT INTO clinical.quarantine_entries (receipt_id, reason_code, payload_object_key) VALUES ($1, 'Bad Code', 'k')`,
          [id],
        ),
      '23514',
    );
  });

  test('creates the IAM-authenticated roles the stacks grant rds-db:connect for', async () => {
    const roles = await c.query<{ rolname: string; rolcanlogin: boolean; rolsuper: boolean }>(
      `SELECT rolname, rolcanlogin, rolsuper FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1`,
      [Object.values(DATABASE_ROLES)],
    );
    expect(roles.rows).toEqual(
      Object.values(DATABASE_ROLES)
        .sort()
        .map((rolname) => ({ rolname, rolcanlogin: true, rolsuper: false })),
    );
  });

  test.each([
    [DATABASE_ROLES.api, 'SELECT 1 FROM clinical.observations LIMIT 1', true],
    [
      DATABASE_ROLES.api,
      `INSERT INTO clinical.quarantine_entries (receipt_id, reason_code, payload_object_key) VALUES (gen_random_uuid(), 'x1', 'k')`,
      false,
    ],
    [DATABASE_ROLES.api, `UPDATE clinical.patients SET birth_date = NULL`, false],
    [DATABASE_ROLES.ingestion, `UPDATE clinical.patients SET birth_date = birth_date`, true],
    [DATABASE_ROLES.ingestion, `DELETE FROM clinical.observations`, false],
    [DATABASE_ROLES.ingestion, `CREATE TABLE clinical.sneaky (i int)`, false],
    [DATABASE_ROLES.reader, 'SELECT 1 FROM clinical.quarantine_entries LIMIT 1', true],
    [DATABASE_ROLES.reader, `DELETE FROM clinical.ingestion_receipts`, false],
    [DATABASE_ROLES.reader, `CREATE TABLE public.sneaky (i int)`, false],
  ])('role %s: %s → allowed=%s', async (role, sql, allowed) => {
    await c.query('SAVEPOINT r');
    await c.query(`SET LOCAL ROLE ${role}`);
    const outcome = await c.query(sql).then(
      () => 'ok',
      (e: { code?: string }) => e.code,
    );
    await c.query('ROLLBACK TO SAVEPOINT r');
    expect(outcome).toBe(allowed ? 'ok' : '42501');
  });
});
