/**
 * The ingestion functions' connection pool to the clinical database: through RDS Proxy, TLS with the
 * certificate and host name verified, and a 15-minute IAM token as the password (45 CFR 164.312(d)): the
 * functions never hold a database password. The role is `clinical_ingestion` (no DELETE anywhere).
 *
 * One small pool per container: a Lambda handles one event at a time, and RDS Proxy multiplexes.
 */
import { Signer } from '@aws-sdk/rds-signer';
import { Pool, type PoolConfig } from 'pg';
import type { DatabaseConfig } from './config';

export function ingestionPool(config: DatabaseConfig, overrides: Partial<PoolConfig> = {}): Pool {
  const signer = new Signer({
    hostname: config.host,
    port: config.port,
    username: config.user,
    region: config.region,
  });
  return new Pool({
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    // pg calls this for every new connection: a fresh token each time, never an expired one.
    password: () => signer.getAuthToken(),
    ssl: { rejectUnauthorized: true, servername: config.host },
    max: 2,
    idleTimeoutMillis: 60_000,
    connectionTimeoutMillis: 5_000,
    // A statement that hangs (a lock held elsewhere) fails the message, which SQS redelivers, rather than
    // running into the function timeout with the batch unreported.
    statement_timeout: 15_000,
    query_timeout: 20_000,
    application_name: 'ehr-ingestion',
    ...overrides,
  });
}

/** SQLSTATE classes that say the data broke a rule (22 data exception, 23 integrity constraint violation). */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

/** The PHI-free part of a database error: its SQLSTATE and the constraint name. */
export function dataErrorSummary(err: unknown): string {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : 'unknown';
  const constraint =
    typeof e?.constraint === 'string' && /^[a-z0-9_]{1,63}$/.test(e.constraint) ? e.constraint : undefined;
  return constraint ? `SQLSTATE ${code}, constraint ${constraint}` : `SQLSTATE ${code}`;
}
