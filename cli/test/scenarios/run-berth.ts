import type { CommandContext } from '../../src/context.js';
import { main } from '../../src/main.js';

/** What one command showed the user. */
export interface BerthResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `berth <args>` through `main`, as a user types it, in `ctx`: its exit code and what it wrote to stdout and
 * stderr. Each call captures its own output (a separate module from model-context.ts so that the in-process
 * flow tests do not load every command).
 */
export async function runBerth(ctx: CommandContext, ...args: string[]): Promise<BerthResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    ['node', 'berth', ...args],
    () => ({ ...ctx, stdout: { write: (s: string) => out.push(s) } }),
    { write: (s: string) => err.push(s) },
  );
  return { code, stdout: out.join(''), stderr: err.join('') };
}
