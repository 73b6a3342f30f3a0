/**
 * A fresh, migrated clinical database per test file on the real PostgreSQL server, reached by the ingestion
 * role (clinical_ingestion: the grants the functions deploy with) through a TCP proxy the tests can cut, to
 * take "the database" down and bring it back.
 */
import * as net from 'node:net';
import { Pool } from 'pg';
import { loadMigrationsFromDirectory } from '../../../../lambdas/migrate/migrations';
import { migrate } from '../../../../lambdas/migrate/runner';
import { connectTo, freshDatabase, PG } from '../../../helpers/postgres';

/** A loopback TCP proxy to PostgreSQL that can refuse and drop connections on demand. */
export class TcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private refusing = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.target.port, this.target.host);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** The database is down: open connections are cut, new ones refused. */
  down(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  up(): void {
    this.refusing = false;
  }

  async stop(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface TestDatabase {
  readonly name: string;
  /** Connects as clinical_ingestion through the proxy (what the functions use). */
  readonly pool: Pool;
  /** Connects as the owner directly (assertions only). */
  readonly admin: Pool;
  readonly proxy: TcpProxy;
  close(): Promise<void>;
}

export async function migratedDatabase(prefix: string): Promise<TestDatabase> {
  const db = await freshDatabase(prefix);
  const owner = await connectTo(db.name);
  try {
    await migrate(owner, loadMigrationsFromDirectory());
  } finally {
    await owner.end();
  }
  const proxy = await new TcpProxy({ host: PG.host, port: PG.port }).start();
  const pool = new Pool({
    host: '127.0.0.1',
    port: proxy.port,
    user: 'clinical_ingestion',
    database: db.name,
    max: 4,
    connectionTimeoutMillis: 2000,
    statement_timeout: 10_000,
  });
  // A pool emits errors for idle clients whose connection the proxy cut; the next checkout reconnects.
  pool.on('error', () => undefined);
  const admin = new Pool({ ...PG, database: db.name, max: 2 });
  return {
    name: db.name,
    pool,
    admin,
    proxy,
    close: async () => {
      await pool.end().catch(() => undefined);
      await admin.end().catch(() => undefined);
      await proxy.stop();
      await db.drop();
    },
  };
}
