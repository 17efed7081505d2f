// @ts-check
// Which test files reach a piece of code through their relative imports (helpers included). Used to run only the
// tests that can judge a mutant: by stryker.config.mjs per module and by scripts/planted-bugs.ts per planted bug.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const IMPORT = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g;

/** Relative imports of a TypeScript file, as absolute .ts paths (our sources import `./x.js` for `./x.ts`). */
function relativeImports(file) {
  const found = [];
  for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const target = path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'));
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
    return relativeImports(file).some((next) => reaches(next, seen));
  };
  const testDir = path.join(root, workspace, 'test');
  return readdirSync(testDir)
    .filter((entry) => entry.endsWith('.test.ts'))
    .sort()
    .map((entry) => path.join(testDir, entry))
    .filter((file) => reaches(file, new Set()))
    .map((file) => path.relative(root, file).split(path.sep).join('/'));
}
