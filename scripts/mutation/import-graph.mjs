// @ts-check
// Which test files reach a piece of code through their imports (relative, or of our workspace packages) (helpers included). Used to run only the
// tests that can judge a mutant: by stryker.config.mjs per module and by scripts/planted-bugs.ts per planted bug.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const IMPORT = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+|@berth\/[^']+)'/g;

/** Our workspace packages' entries, as their TypeScript sources (what the @berth/source condition resolves). */
const PACKAGE_SOURCES = {
  '@berth/infra': 'infra/lib/index.ts',
  '@berth/infra/app': 'infra/lib/app.ts',
};

/** The file a specifier names, as an absolute .ts path (our sources import `./x.js` for `./x.ts`); '' if not ours. */
function importedFile(root, file, specifier) {
  if (specifier.startsWith('.')) return path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'));
  const source = PACKAGE_SOURCES[specifier];
  return source === undefined ? '' : path.join(root, source);
}

/** Imports of a TypeScript file that are our own code (relative, or our workspace packages), as absolute .ts paths. */
function ownImports(root, file) {
  const found = [];
  for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const target = importedFile(root, file, specifier);
    if (target.endsWith('.ts') && existsSync(target)) found.push(target);
  }
  return found;
}

/**
 * The `<workspace>/test/*.test.ts` files that import `target` (a file, or a folder ending in `/`), directly or
 * through other files, as paths relative to `root` with forward slashes.
 * Tests that reach the code only through a child process (the CLI binary, the real server) are not found.
 * @param {string} root the repository root
 * @param {string} workspace e.g. `cli`
 * @param {string} target e.g. `cli/src/aws/` or `infra/lib/constructs/web-service.ts`
 * @returns {string[]}
 */
export function testsReaching(root, workspace, target) {
  const absolute = path.join(root, target);
  const matches = target.endsWith('/') ? (file) => file.startsWith(absolute) : (file) => file === absolute;
  const reaches = (file, seen) => {
    if (matches(file)) return true;
    if (seen.has(file)) return false;
    seen.add(file);
    return ownImports(root, file).some((next) => reaches(next, seen));
  };
  const testDir = path.join(root, workspace, 'test');
  return readdirSync(testDir)
    .filter((entry) => entry.endsWith('.test.ts'))
    .sort()
    .map((entry) => path.join(testDir, entry))
    .filter((file) => reaches(file, new Set()))
    .map((file) => path.relative(root, file).split(path.sep).join('/'));
}
