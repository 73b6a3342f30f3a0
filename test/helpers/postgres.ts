import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The real PostgreSQL server on this machine (trust auth); `.ci/run` makes sure it is up. */
export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;

export const connectTo = async (database: string): Promise<Client> => {
  const c = new Client({ ...PG, database });
  await c.connect();
  return c;
};

/**
 * A fresh database per test, dropped afterwards, so tests never see each other's schema and never touch the
 * shared `test` database. Roles are cluster-wide and survive (the migrations create them idempotently).
 */
export async function freshDatabase(prefix = 't'): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await connectTo('test');
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    drop: async () => {
      const a = await connectTo('test');
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
