import { execFile as execFileCb } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const execFile = promisify(execFileCb);

export const PG_BIN_DIR = '/usr/lib/postgresql/15/bin';

/** A database the parity stack may use and must clean up. */
export interface Database {
  readonly url: string;
  close(): Promise<void>;
}

/** A PostgreSQL cluster owned by this process, removed on close; it can be stopped to simulate an outage. */
export interface ThrowawayCluster extends Database {
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
}

/** initdb refuses to run as root: clusters are owned by `postgres` when we are root, else by us. */
async function clusterOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8');
  const entry = passwd.split('\n').find((l) => l.startsWith('postgres:'));
  if (!entry) throw new Error('running as root but there is no postgres user: apt-get install -y postgresql');
  const [, , uid, gid] = entry.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Creates, starts and returns a private cluster on a free loopback port; password auth over TCP. */
export async function startThrowawayCluster(
  log: (line: string) => void = () => {},
): Promise<ThrowawayCluster> {
  const owner = await clusterOwner();
  const dir = await mkdtemp(join(tmpdir(), 'berth-pg-'));
  const dataDir = join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  const passwordFile = join(dir, 'pwfile');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    await chown(dir, owner.uid, owner.gid);
    await chown(passwordFile, owner.uid, owner.gid);
  }
  const port = await freePort();
  const run = (bin: string, args: string[]) =>
    execFile(join(PG_BIN_DIR, bin), args, { cwd: dir, ...(owner ?? {}), timeout: 60_000 });
  const pgCtl = (...args: string[]) =>
    run('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      join(dir, 'postgres.log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      ...args,
    ]);
  let running = false;
  const cluster: ThrowawayCluster = {
    url: `postgres://berth:${encodeURIComponent(password)}@127.0.0.1:${port}/berth`,
    async stopServer() {
      if (!running) return;
      await pgCtl('-m', 'fast', 'stop');
      running = false;
    },
    async startServer() {
      if (running) return;
      await pgCtl('start');
      running = true;
    },
    async close() {
      await cluster.stopServer().catch((err: Error) => log(`postgres: stop failed: ${err.message}`));
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await run('initdb', [
      '-D',
      dataDir,
      '-U',
      'berth',
      `--pwfile=${passwordFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    await cluster.startServer();
    await run('createdb', ['-h', dir, '-p', String(port), '-U', 'berth', 'berth']);
    log(`postgres: throwaway cluster on 127.0.0.1:${port} (${dir})`);
    return cluster;
  } catch (err) {
    await cluster.close();
    throw err;
  }
}

/** Creates a fresh database on an existing server (e.g. CI's DATABASE_URL) and drops it on close. */
export async function createScratchDatabase(adminUrl: string): Promise<Database> {
  const name = `berth_parity_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    close: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
