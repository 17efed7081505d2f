import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_DIR } from '../package-dir.js';
import type { BerthInstall } from './workflows.js';

export const CLI_PACKAGE = '@berth/cli';

/** This CLI's version: the one the workflows pin. */
export function berthVersion(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string })
    .version;
}

function readManifest(root: string): Record<string, unknown> | undefined {
  const file = path.join(root, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
}

/**
 * How the workflows install berth: `npm ci` when the repository's lockfile already pins @berth/cli (a Node
 * project that added it as a dev dependency), else this exact version without touching package.json.
 */
export function berthInstallFor(root: string, version: string): BerthInstall {
  const manifest = readManifest(root);
  const listed = ['dependencies', 'devDependencies'].some(
    (field) => CLI_PACKAGE in ((manifest?.[field] as Record<string, string> | undefined) ?? {}),
  );
  return listed && existsSync(path.join(root, 'package-lock.json'))
    ? { kind: 'lockfile' }
    : { kind: 'pinned', spec: `${CLI_PACKAGE}@${version}` };
}

/** Whether `npx berth` in the root runs this CLI rather than fetching whatever is called `berth`. */
export function berthInstalledIn(root: string): boolean {
  return existsSync(path.join(root, 'node_modules', ...CLI_PACKAGE.split('/'), 'package.json'));
}
