import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { REPO_ROOT } from './context.js';
import { CliError } from './errors.js';

export interface ReplicaOptions {
  readonly port: number;
  readonly dataDir: string;
  /** Script to run; the service's server by default (tests pass a stub). */
  readonly entry?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdio?: 'inherit' | 'ignore';
}

/**
 * Starts one service process on the embedded database. `berth up` runs one; local parity with
 * several replicas behind HAProxy calls this once per port.
 */
export function startReplica(options: ReplicaOptions): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', options.entry ?? 'service/src/server.ts'], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env, PORT: String(options.port), DATA_DIR: options.dataDir },
    stdio: options.stdio ?? 'inherit',
  });
}

/** Polls /readyz until 200; fails early if the process exits (a port in use, a broken migration). */
export async function waitForReady(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = child.exitCode !== null;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited)
      throw new CliError(
        `the service exited (code ${child.exitCode}) before it was ready: see its output above`,
      );
    try {
      const response = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await delay(200);
  }
  throw new CliError(`the service did not answer ${url}readyz within ${timeoutMs / 1000}s`);
}
