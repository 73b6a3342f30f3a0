/**
 * CloudFormation custom resource `Custom::ClinicalMigrations`: applies the repository's SQL migrations to the
 * clinical database on every deploy whose migration set changed.
 *
 * It connects through RDS Proxy with TLS (certificate verified) and a 15-minute IAM authentication token from
 * @aws-sdk/rds-signer: the function never sees a database password (45 CFR 164.312(d)). Delete never touches
 * the database: clinical data outlives the stack.
 */
import { Signer } from '@aws-sdk/rds-signer';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { Client } from 'pg';
import { responseDocument, sendResponse } from '../shared/cfn-response';
import { loadBundledMigrations, type MigrationManifestEntry } from './migrations';
import { migrate, MigrationError, type Migration, type MigrationResult } from './runner';

// Re-exported so that a test can load the bundle and check the migrations esbuild inlined.
export { loadBundledMigrations } from './migrations';

/** The custom resource's properties, as the construct writes them. */
export interface MigrationProperties {
  /** RDS Proxy endpoint (host name). */
  readonly Host: string;
  /** Port (as CloudFormation passes it: a string). */
  readonly Port: string;
  readonly Database: string;
  /** The database user the token is for (the schema owner). */
  readonly Username: string;
  /** Region of the proxy, for signing the token. */
  readonly Region: string;
  /** Names and checksums of the migrations to apply: a change here is what makes CloudFormation call us. */
  readonly Migrations: MigrationManifestEntry[];
}

/** The physical id never changes, so CloudFormation never "replaces" (deletes) the schema. */
export const PHYSICAL_ID = 'clinical-schema-migrations';

export interface Dependencies {
  /** Opens an authenticated connection. */
  readonly connect: (props: MigrationProperties) => Promise<Client>;
  /** Resolves the manifest to migrations. */
  readonly loadMigrations: (manifest: readonly MigrationManifestEntry[]) => Migration[];
  /** Delivers the response document. */
  readonly send: (url: string, body: string) => Promise<void>;
  /** Structured log line (no SQL, no data). */
  readonly log: (entry: Record<string, unknown>) => void;
}

function validateProperties(raw: unknown): MigrationProperties {
  const p = raw as Partial<MigrationProperties>;
  for (const key of ['Host', 'Port', 'Database', 'Username', 'Region'] as const) {
    if (typeof p[key] !== 'string' || p[key].length === 0) throw new Error(`property ${key} is required`);
  }
  if (!Array.isArray(p.Migrations) || p.Migrations.length === 0)
    throw new Error('property Migrations is required');
  return p as MigrationProperties;
}

/** Connects through the proxy with an IAM token, retrying while the proxy's targets become available. */
export async function connectWithIamToken(
  props: MigrationProperties,
  opts: { attempts?: number; baseDelayMs?: number } = {},
): Promise<Client> {
  const port = Number(props.Port);
  const signer = new Signer({ hostname: props.Host, port, username: props.Username, region: props.Region });
  const attempts = opts.attempts ?? 8;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    // A token is valid for 15 minutes: sign one per attempt.
    const client = new Client({
      host: props.Host,
      port,
      user: props.Username,
      database: props.Database,
      password: await signer.getAuthToken(),
      // RDS Proxy presents an Amazon-issued certificate: verify it and the host name.
      ssl: { rejectUnauthorized: true, servername: props.Host },
      connectionTimeoutMillis: 10_000,
      application_name: 'clinical-schema-migrations',
    });
    try {
      await client.connect();
      return client;
    } catch (err) {
      lastError = err;
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, (opts.baseDelayMs ?? 1000) * 2 ** Math.min(i, 5)));
    }
  }
  throw new Error(
    `could not connect to the database proxy after ${attempts} attempts: ${errorName(lastError)}`,
  );
}

const errorName = (err: unknown): string =>
  err instanceof Error
    ? `${err.name}${(err as { code?: string }).code ? ` ${(err as { code?: string }).code}` : ''}`
    : 'error';

/** Builds the handler from its dependencies (tests pass a real PostgreSQL connection and a fake CloudFormation). */
export function createHandler(deps: Dependencies) {
  return async (event: CloudFormationCustomResourceEvent, _context?: Context): Promise<void> => {
    const respond = (status: 'SUCCESS' | 'FAILED', reason: string, data?: Record<string, string>) =>
      deps.send(event.ResponseURL, responseDocument(event, status, reason, PHYSICAL_ID, data));

    if (event.RequestType === 'Delete') {
      deps.log({ level: 'INFO', message: 'delete: the schema and its data are retained' });
      await respond('SUCCESS', 'schema retained');
      return;
    }
    let client: Client | undefined;
    try {
      const props = validateProperties(event.ResourceProperties);
      const migrations = deps.loadMigrations(props.Migrations);
      client = await deps.connect(props);
      const result: MigrationResult = await migrate(client, migrations, {
        onApplied: (m) => deps.log({ level: 'INFO', message: 'migration applied', ...m }),
      });
      if (result.unknownApplied.length > 0) {
        // A rollback to an older template: the schema stays ahead (migrations are forward-only and additive).
        deps.log({
          level: 'WARN',
          message: 'database is ahead of this code',
          versions: result.unknownApplied,
        });
      }
      deps.log({
        level: 'INFO',
        message: 'migrations complete',
        applied: result.applied,
        current: result.currentVersion,
      });
      await respond('SUCCESS', `schema at version ${result.currentVersion}`, {
        CurrentVersion: String(result.currentVersion),
        Applied: result.applied.join(','),
      });
    } catch (err) {
      const reason =
        err instanceof MigrationError || err instanceof Error
          ? err.message
          : 'migration failed with an unknown error';
      deps.log({
        level: 'ERROR',
        message: 'migrations failed',
        code: (err as MigrationError).code ?? 'error',
        reason,
      });
      await respond('FAILED', reason);
    } finally {
      await client?.end().catch(() => undefined);
    }
  };
}

export const handler = createHandler({
  connect: (props) => connectWithIamToken(props),
  loadMigrations: loadBundledMigrations,
  send: (url, body) => sendResponse(url, body),
  log: (entry) => console.log(JSON.stringify(entry)),
});
