import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PostgresDatabaseConfig } from '../../src/config.js';
import type { Cleanup } from './build.js';

export const POSTGRES_SKIP_REASON =
  'DATABASE_URL is not set: the PostgreSQL suite needs a server (CI exports DATABASE_URL; locally e.g. ' +
  'DATABASE_URL=postgres://berth:berth@127.0.0.1:5432/berth)';

/** Whether to skip PostgreSQL tests: false when DATABASE_URL is set, else the reason (node:test prints it). */
export const skipWithoutPostgres: false | string = process.env.DATABASE_URL ? false : POSTGRES_SKIP_REASON;

/**
 * Creates a database of its own for this run (so parallel runs never collide) and drops it afterwards.
 * Needs DATABASE_URL naming a role with CREATEDB.
 */
export async function freshPostgresDatabase(t: Cleanup): Promise<PostgresDatabaseConfig> {
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl === undefined) throw new Error(POSTGRES_SKIP_REASON);
  const name = `berth_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, async (client) => {
    await client.query(`create database ${name}`);
  });
  t.after(async () => {
    await withClient(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    connectionString: url.toString(),
    host: undefined,
    port: undefined,
    user: undefined,
    password: undefined,
    database: undefined,
    tls: { mode: 'disable' },
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
