import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { startReplica, waitForReady } from '../service-process.js';

export interface UpFlags {
  port: string;
  dataDir: string;
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CliError(`--port "${text}" is not a port: use a number from 1 to 65535`);
  }
  return port;
}

/** Runs one service process in the foreground until it exits or the user stops it. */
export async function runUp(flags: UpFlags, entry?: string): Promise<number> {
  const port = parsePort(flags.port);
  const dataDir = path.resolve(process.cwd(), flags.dataDir);
  const child = startReplica({ port, dataDir, ...(entry ? { entry } : {}) });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 0)));
  // The child shares our terminal; forwarding lets it drain and exit cleanly instead of being orphaned.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const url = `http://127.0.0.1:${port}/`;
    await waitForReady(url, child);
    process.stdout.write(`berth is up at ${url} (data in ${dataDir}); Ctrl-C stops it\n`);
    return await exited;
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run the service locally on the embedded database')
    .option('--port <port>', 'port to listen on', '8080')
    .option('--data-dir <dir>', 'where the embedded database keeps its files', './.data')
    .action(async (flags: UpFlags) => {
      process.exitCode = await runUp(flags);
    });
}
