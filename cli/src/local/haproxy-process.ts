import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceConfig } from '@berth/infra';
import { renderHaproxyConfig } from './haproxy-config.js';
import { HaproxyRuntime } from './haproxy-runtime.js';
import { waitFor } from './wait.js';

export const HAPROXY_BIN = '/usr/sbin/haproxy';

export interface RunningHaproxy {
  readonly url: string;
  readonly runtime: HaproxyRuntime;
  readonly configText: string;
  stop(): Promise<void>;
  /** Last resort when the owning process exits without stop(). */
  killNow(): void;
}

/** Starts HAProxy in the foreground with a generated config; resolves once its runtime API answers. */
export async function startHaproxy(opts: {
  service: ServiceConfig;
  replicas: number;
  port: number;
  log: (line: string) => void;
}): Promise<RunningHaproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-haproxy-'));
  const adminSocket = join(dir, 'admin.sock');
  const configText = renderHaproxyConfig({
    service: opts.service,
    replicas: opts.replicas,
    listenPort: opts.port,
    adminSocket,
  });
  const configFile = join(dir, 'haproxy.cfg');
  await writeFile(configFile, configText, { mode: 0o600 });
  const child: ChildProcess = spawn(HAPROXY_BIN, ['-db', '-f', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  let stderr = '';
  child.on('exit', () => {
    exited = true;
  });
  const relay = (chunk: Buffer) => {
    const text = chunk.toString();
    stderr = (stderr + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) opts.log(`haproxy: ${line.trim()}`);
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  const runtime = new HaproxyRuntime(adminSocket);
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'haproxy to open its runtime API',
      async () => {
        if (exited) throw new Error(`haproxy exited at start-up: ${stderr.trim()}`);
        return runtime.command('show info').then(
          () => true,
          () => undefined,
        );
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const killNow = () => {
    if (!exited) child.kill('SIGKILL');
  };
  return { url: `http://127.0.0.1:${opts.port}`, runtime, configText, stop, killNow };
}
