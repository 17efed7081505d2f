import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SERVICE_DIR = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningServer {
  child: ChildProcessWithoutNullStreams;
  /** Everything written so far to stdout and stderr. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the real server (tsx src/server.ts) with only the given variables plus PATH and HOME. */
export function spawnServer(
  env: Record<string, string>,
  options: { processGroup?: boolean } = {},
): RunningServer {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: SERVICE_DIR,
    // A process group of its own, as a terminal gives a command: signal it all with process.kill(-pid).
    detached: options.processGroup ?? false,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return { child, output: () => output, exited };
}

/** Resolves with the base URL once the server logs that it listens (PORT=0 picks a free port). */
export async function listeningUrl(server: RunningServer, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(server.output());
    if (match?.[1]) return match[1];
    if (server.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not start listening:\n${server.output()}`);
}

/** listeningUrl, then waits for /readyz 200: the server listens at once and is ready once migrated. */
export async function readyUrl(server: RunningServer, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const base = await listeningUrl(server, timeoutMs);
  while (Date.now() < deadline && server.child.exitCode === null) {
    const ready = await fetch(`${base}/readyz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) return base;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not become ready:\n${server.output()}`);
}
