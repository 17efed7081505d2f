// Starts the real server (src/server.ts) as a child process, the way it runs in production, for the
// browser test and the benchmark. In-process tests use app.inject instead.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVICE_DIR = fileURLToPath(new URL('../../', import.meta.url));

export interface StartServerOptions {
  /**
   * Which database the server uses.
   * @default 'pglite' - a fresh PGlite directory in a temp dir, removed on stop; DATABASE_URL and PG* are unset
   */
  readonly database?: 'pglite' | { readonly url: string };
  /** Extra environment for the server. */
  readonly env?: Readonly<Record<string, string>>;
  /** @default 90000 - PGlite needs ~2 s to open when idle, over 30 s on a loaded 2-core machine */
  readonly readyTimeoutMs?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly child: ChildProcess;
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

function baseEnvironment(): NodeJS.ProcessEnv {
  // The CI shell exports DATABASE_URL; a PGlite run must not silently connect to that database instead.
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== 'DATABASE_URL' && !name.startsWith('PG')),
  );
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-server-'));
  const database = options.database ?? 'pglite';
  const env: NodeJS.ProcessEnv = {
    ...baseEnvironment(),
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_SECONDS: '0',
    ...(database === 'pglite' ? { DATA_DIR: join(dataDir, 'pglite') } : { DATABASE_URL: database.url }),
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: SERVICE_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const url = `http://127.0.0.1:${port}`;
  const server: RunningServer = {
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
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
    if (ready) return server;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await server.stop();
  throw new Error(`the server did not become ready at ${url}/readyz\n--- server output ---\n${output}`);
}
