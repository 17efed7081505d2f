import { existsSync } from 'node:fs';
import { HAPROXY_BIN } from './haproxy-process.js';
import { PG_BIN_DIR } from './postgres.js';

export interface PrerequisiteOptions {
  /** With a database URL no local PostgreSQL server binaries are needed. */
  readonly databaseUrl?: string;
  /** Where to look; tests point this at an empty directory to see the messages. */
  readonly paths?: { readonly haproxy?: string; readonly pgBinDir?: string };
}

/**
 * What is missing for local parity, as lines a person can act on; empty when everything is there.
 * The last line is the apt-get command that installs exactly the missing Debian packages.
 */
export function checkPrerequisites(opts: PrerequisiteOptions = {}): string[] {
  const haproxy = opts.paths?.haproxy ?? HAPROXY_BIN;
  const pgBinDir = opts.paths?.pgBinDir ?? PG_BIN_DIR;
  const lines: string[] = [];
  const packages: string[] = [];
  if (!existsSync(haproxy)) {
    lines.push(`haproxy is not installed (${haproxy} not found): it is the local stand-in for the ALB.`);
    packages.push('haproxy');
  }
  if (opts.databaseUrl === undefined) {
    const missing = ['initdb', 'pg_ctl'].map((b) => `${pgBinDir}/${b}`).filter((p) => !existsSync(p));
    if (missing.length > 0) {
      lines.push(
        `postgresql 15 is not installed (${missing.join(', ')} not found): it runs a throwaway database; ` +
          'or pass --database-url to use an existing PostgreSQL.',
      );
      packages.push('postgresql');
    }
  }
  if (packages.length > 0) lines.push(`Install with: apt-get install -y ${packages.join(' ')}`);
  return lines;
}
