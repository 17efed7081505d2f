import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The user's Berth config; the directory holding it is the project root. */
export const CONFIG_FILE = 'berth.config.ts';

function isWorkspacesRoot(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  return existsSync(manifest) && 'workspaces' in JSON.parse(readFileSync(manifest, 'utf8'));
}

function nearestAbove(from: string, matches: (dir: string) => boolean): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (matches(dir)) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The project root: the root of the repository Berth deploys, where the Dockerfile's build context, the git
 * history, `.berth/` (deploy records) and `.github/workflows` are. It is the nearest directory at or above
 * `from` (the working directory) holding berth.config.ts; before a repository has one, the nearest npm
 * workspaces root (Berth's own repository), else `from` itself. Found from the working directory, never from
 * this module's location: an installed Berth lives in the user's node_modules.
 */
export function findRepoRoot(from: string = process.cwd()): string {
  return (
    nearestAbove(from, (dir) => existsSync(path.join(dir, CONFIG_FILE))) ??
    nearestAbove(from, isWorkspacesRoot) ??
    path.resolve(from)
  );
}

export const REPO_ROOT = findRepoRoot();
