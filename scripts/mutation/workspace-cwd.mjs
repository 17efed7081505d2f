// Preloaded into each test file Stryker runs (see stryker.config.mjs): starts it in its workspace folder
// (`cli/test/x.test.ts` → `cli/`), where `npm test` runs it, and returns to the sandbox root before exit
// because Stryker's hook writes its coverage file relative to the working directory.
import path from 'node:path';

const testFile = process.argv[1];
const testDir = testFile === undefined ? undefined : path.dirname(path.resolve(testFile));
if (testDir !== undefined && path.basename(testDir) === 'test') {
  const sandboxRoot = process.cwd();
  process.chdir(path.dirname(testDir));
  process.prependListener('exit', () => process.chdir(sandboxRoot));
}
