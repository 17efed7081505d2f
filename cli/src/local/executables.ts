import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Debian installs haproxy in /usr/sbin, which is not on a non-root user's PATH. */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Where executables are looked for: PATH, then the sbin directories. */
export function executableDirs(pathVariable = process.env.PATH ?? ''): string[] {
  return [...pathVariable.split(path.delimiter).filter(Boolean), ...SYSTEM_DIRS];
}

/** The absolute path of the first executable named `name` in `dirs`, if any. */
export function findExecutable(name: string, dirs: readonly string[] = executableDirs()): string | undefined {
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
