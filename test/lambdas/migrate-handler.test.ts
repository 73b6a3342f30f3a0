/**
 * The `Custom::ClinicalMigrations` handler end to end against the real PostgreSQL server, with CloudFormation's
 * side played by a recorder of the response documents; and the Lambda bundle, built by esbuild exactly as
 * HardenedFunction builds it, carrying every migration file.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Client } from 'pg';
import {
  connectWithIamToken,
  createHandler,
  PHYSICAL_ID,
  type MigrationProperties,
} from '../../lambdas/migrate/handler';
import { loadMigrationsFromDirectory, MIGRATIONS_DIR } from '../../lambdas/migrate/migrations';
import { parseMigration } from '../../lambdas/migrate/runner';
import { responseDocument } from '../../lambdas/shared/cfn-response';
import { PG, freshDatabase } from '../helpers/postgres';
import { REPO_ROOT } from '../helpers/platform';

const MIGRATIONS = loadMigrationsFromDirectory();
const MANIFEST = MIGRATIONS.map((m) => ({ name: m.name, checksum: m.checksum }));

type Sent = { Status: string; Reason: string; PhysicalResourceId: string; Data: Record<string, string> };

function event(
  type: 'Create' | 'Update' | 'Delete',
  props: Partial<MigrationProperties> = {},
): CloudFormationCustomResourceEvent {
  const ResourceProperties = {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:migrate',
    Host: 'proxy.example',
    Port: '5432',
    Database: 'clinical',
    Username: 'clinical_admin',
    Region: 'us-east-1',
    Migrations: MANIFEST,
    ...props,
  };
  const base = {
    ServiceToken: ResourceProperties.ServiceToken,
    ResponseURL: 'https://cloudformation-custom-resource-response.example/response',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/cap-poc-data-us-east-1/1',
    RequestId: 'req-1',
    LogicalResourceId: 'SchemaMigrations',
    ResourceType: 'Custom::ClinicalMigrations',
    ResourceProperties,
  };
  if (type === 'Create') return { ...base, RequestType: 'Create' };
  if (type === 'Update')
    return {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: PHYSICAL_ID,
      OldResourceProperties: { ServiceToken: ResourceProperties.ServiceToken },
    };
  return { ...base, RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID };
}

describe('migration custom resource', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let sent: Sent[];
  let connects: number;
  let logs: Record<string, unknown>[];
  const handlerFor = (migrations = MIGRATIONS) =>
    createHandler({
      connect: async () => {
        connects++;
        const c = new Client({ ...PG, database: db.name });
        await c.connect();
        return c;
      },
      loadMigrations: () => migrations,
      send: (_url, body) => {
        sent.push(JSON.parse(body) as Sent);
        return Promise.resolve();
      },
      log: (e) => logs.push(e),
    });

  beforeEach(async () => {
    db = await freshDatabase('cr');
    sent = [];
    connects = 0;
    logs = [];
  });
  afterEach(() => db.drop());

  test('Create applies every migration and answers SUCCESS with the schema version', async () => {
    await handlerFor()(event('Create'));
    expect(sent).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: PHYSICAL_ID,
        Data: {
          CurrentVersion: String(MIGRATIONS.length),
          Applied: MIGRATIONS.map((m) => m.version).join(','),
        },
      }),
    ]);
    // Logs name versions, never SQL.
    expect(JSON.stringify(logs)).not.toMatch(/CREATE|GRANT|INSERT/);
  });

  test('an Update with nothing new is a no-op that still answers SUCCESS', async () => {
    await handlerFor()(event('Create'));
    await handlerFor()(event('Update'));
    expect(sent[1]).toEqual(
      expect.objectContaining({
        Status: 'SUCCESS',
        Data: { CurrentVersion: String(MIGRATIONS.length), Applied: '' },
      }),
    );
  });

  test('a failing migration answers FAILED, naming the file and the SQLSTATE, and leaves the schema as it was', async () => {
    await handlerFor()(event('Create'));
    const next = String(MIGRATIONS.length + 1).padStart(4, '0');
    const bad = parseMigration(`${next}_bad.sql`, 'CREATE TABLE clinical.t (i int);\nSELECT 1/0;');
    await handlerFor([...MIGRATIONS, bad])(event('Update'));
    expect(sent[1].Status).toBe('FAILED');
    expect(sent[1].Reason).toBe(`${next}_bad.sql: failed and was rolled back (22012: division by zero)`);
    expect(sent[1].PhysicalResourceId).toBe(PHYSICAL_ID);
    const c = new Client({ ...PG, database: db.name });
    await c.connect();
    try {
      expect((await c.query(`SELECT to_regclass('clinical.t') AS t`)).rows[0]).toEqual({ t: null });
    } finally {
      await c.end();
    }
  });

  test('Delete never touches the database and answers SUCCESS (the schema and its data are retained)', async () => {
    await handlerFor()(event('Delete'));
    expect(connects).toBe(0);
    expect(sent).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID })]);
  });

  test('missing properties answer FAILED without connecting', async () => {
    await handlerFor()(event('Create', { Host: '' }));
    expect(connects).toBe(0);
    expect(sent[0]).toEqual(
      expect.objectContaining({ Status: 'FAILED', Reason: 'property Host is required' }),
    );
  });

  test('the response document carries the request identity CloudFormation matches on', () => {
    const doc = JSON.parse(
      responseDocument(event('Create'), 'SUCCESS', 'x'.repeat(2000), PHYSICAL_ID),
    ) as Record<string, unknown>;
    expect(doc).toMatchObject({
      StackId: expect.stringContaining('cap-poc-data') as unknown,
      RequestId: 'req-1',
      LogicalResourceId: 'SchemaMigrations',
      NoEcho: false,
    });
    expect((doc['Reason'] as string).length).toBe(1000);
  });
});

describe('connecting with an IAM token', () => {
  test('signs a token and requires a verified TLS connection: a server without TLS is refused', async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'secret';
    const props = event('Create', { Host: '127.0.0.1', Port: '5432', Database: 'test', Username: 'postgres' })
      .ResourceProperties as unknown as MigrationProperties;
    // The local server has no TLS; a client that fell back to plaintext would connect (trust auth).
    await expect(connectWithIamToken(props, { attempts: 2, baseDelayMs: 10 })).rejects.toThrow(
      /could not connect to the database proxy after 2 attempts/,
    );
  });
});

describe('the Lambda bundle', () => {
  let bundle: string;
  beforeAll(() => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrate-bundle-'));
    bundle = path.join(outdir, 'index.js');
    // The same esbuild options HardenedFunction passes (CJS, node24, the .sql text loader).
    execFileSync(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'esbuild'),
      [
        path.join(REPO_ROOT, 'lambdas', 'migrate', 'handler.ts'),
        '--bundle',
        '--platform=node',
        '--target=node24',
        '--format=cjs',
        '--loader:.sql=text',
        `--outfile=${bundle}`,
        '--log-level=error',
      ],
      { cwd: REPO_ROOT },
    );
  });

  test('carries every migration file and verifies each against the manifest checksum', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(bundle) as {
      loadBundledMigrations: (m: typeof MANIFEST) => { name: string; sql: string }[];
    };
    const loaded = mod.loadBundledMigrations(MANIFEST);
    expect(loaded.map((m) => m.name)).toEqual(
      fs
        .readdirSync(MIGRATIONS_DIR)
        .filter((f) => f.endsWith('.sql'))
        .sort(),
    );
    expect(loaded.map((m) => m.sql)).toEqual(MIGRATIONS.map((m) => m.sql));
  });

  test('refuses to run SQL that differs from what the stack was synthesized with', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(bundle) as { loadBundledMigrations: (m: typeof MANIFEST) => unknown };
    const tampered = MANIFEST.map((m, i) => (i === 1 ? { ...m, checksum: '0'.repeat(64) } : m));
    expect(() => mod.loadBundledMigrations(tampered)).toThrow(
      /0002_clinical_schema\.sql: the bundled file does not match the checksum/,
    );
    expect(() => mod.loadBundledMigrations([{ name: '../../etc/passwd', checksum: 'x' }])).toThrow(
      /not a migration file name/,
    );
  });
});
