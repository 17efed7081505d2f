import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Folders that hold other people's code or build output, never the service's Dockerfile. */
export const SKIPPED_FOLDERS = new Set(['node_modules', '.git', '.venv', 'venv', '__pycache__', 'vendor']);

/** `Dockerfile`, `Containerfile`, `Dockerfile.prod`, `api.Dockerfile` (any case); not `.dockerignore`. */
export function isDockerfileName(name: string): boolean {
  return /^(dockerfile|containerfile)(\.[\w.-]+)?$|^[\w.-]+\.(dockerfile|containerfile)$/i.test(name);
}

/**
 * Dockerfiles at the root and one folder below it, as paths relative to the root with `/` separators:
 * root files first (a plain `Dockerfile` before variants), then subfolders in name order.
 */
export function findDockerfiles(root: string): string[] {
  const files = (dir: string) =>
    readdirSync(path.join(root, dir), { withFileTypes: true })
      .filter((e) => e.isFile() && isDockerfileName(e.name))
      .map((e) => e.name)
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
      .map((name) => (dir === '' ? name : `${dir}/${name}`));
  const folders = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !SKIPPED_FOLDERS.has(e.name) && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
  return [...files(''), ...folders.flatMap(files)];
}

/** The plain name wins among files in one folder: it is what `docker build .` uses. */
function rank(name: string): number {
  return name === 'Dockerfile' ? 0 : name === 'Containerfile' ? 1 : 2;
}
