// The real server (src/server.ts, via helpers/spawn-server.ts) on a free port with a throw-away embedded
// PostgreSQL directory, ready to take requests: for the browser test and the benchmark.
import { once } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from '../helpers/spawn-server.js';

export interface StartServerOptions {
  /**
   * Which database the server uses.
   * @default 'embedded' - a fresh embedded PostgreSQL cluster in a temp dir, removed on stop
   */
  readonly database?: 'embedded' | { readonly url: string };
  /** Extra environment for the server (it gets only these, PATH and HOME: nothing leaks from the shell). */
  readonly env?: Readonly<Record<string, string>>;
  /** @default 90000 - initdb takes under a second when idle, several on a loaded 2-core machine */
  readonly readyTimeoutMs?: number;
}

export interface RunningServer {
  readonly url: string;
  /** Where the server's embedded PostgreSQL keeps its data; undefined when it uses another server. */
  readonly dataDir: string | undefined;
  /** The server's process id (the benchmark reads its CPU time). */
  readonly pid: number | undefined;
  /** Everything the server wrote so far; attach it to failure messages. */
  output(): string;
  /** SIGTERM, wait for exit (SIGKILL after 15 s), remove the temp data directory. Returns the exit code. */
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-server-'));
  const database = options.database ?? 'embedded';
  // As root the cluster runs as the `postgres` user, which must be able to enter the directory.
  await chmod(dataDir, 0o755);
  const server = spawnServer({
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_SECONDS: '0',
    ...(database === 'embedded' ? { DATA_DIR: join(dataDir, 'data') } : { DATABASE_URL: database.url }),
    ...options.env,
  });
  const { child } = server;
  const url = `http://127.0.0.1:${port}`;
  const running: RunningServer = {
    url,
    dataDir: database === 'embedded' ? join(dataDir, 'data') : undefined,
    pid: child.pid,
    output: server.output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const { code } = await server.exited;
      clearTimeout(timer);
      await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return running;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await running.stop();
  throw new Error(
    `the server did not become ready at ${url}/readyz\n--- server output ---\n${server.output()}`,
  );
}
