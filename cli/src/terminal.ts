/**
 * Child processes that take over this terminal (ECS Exec's session-manager-plugin): the seam tests replace,
 * so no test spawns a real process.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface Terminal {
  /** True when `command` is an executable file in a directory of PATH. */
  has(command: string): boolean;
  /** Runs `command` with this process's stdin, stdout and stderr; resolves with its exit code. */
  attach(command: string, args: readonly string[]): Promise<number>;
}

/** Keys the user types that the plugin forwards into the session instead of ending the CLI (as the AWS CLI does). */
const FORWARDED_SIGNALS = ['SIGINT', 'SIGQUIT', 'SIGTSTP'] as const;

export const systemTerminal: Terminal = {
  has(command) {
    const extensions = process.platform === 'win32' ? ['', '.exe', '.cmd'] : [''];
    for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
      for (const ext of extensions) {
        try {
          accessSync(path.join(dir, command + ext), constants.X_OK);
          return true;
        } catch {
          // not in this directory
        }
      }
    }
    return false;
  },

  attach(command, args) {
    const ignore = () => {};
    for (const signal of FORWARDED_SIGNALS) process.on(signal, ignore);
    return new Promise<number>((resolve, reject) => {
      const child = spawn(command, args, { stdio: 'inherit' });
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    }).finally(() => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, ignore);
    });
  },
};
