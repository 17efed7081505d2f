import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BerthInstall } from './workflows.js';

export const CLI_PACKAGE = '@berth/cli';

/**
 * This CLI's version, from the nearest package.json named @berth/cli above this module (cli/src/init in
 * the sources, cli/dist/… compiled, node_modules/@berth/cli/… installed: different depths).
 */
export function berthVersion(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as {
      name?: string;
      version?: string;
    };
    if (name === CLI_PACKAGE && version) return version;
  }
  throw new Error(`no package.json of ${CLI_PACKAGE} above ${from}`);
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
