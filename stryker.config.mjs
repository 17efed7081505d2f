// @ts-check
// StrykerJS over the code where a bug costs most (issue #15), one run per module.
// `npm run mutation [-- <module>...]` (scripts/mutation/run.ts) runs the modules and prints scores and survivors;
// `BERTH_MUTATION_MODULE=cli-aws npx stryker run` runs one module with Stryker's own output. See docs/testing.md.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testsReaching } from './scripts/mutation/import-graph.mjs';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/** Module name → the folder whose code is mutated and the workspace whose tests judge it. */
export const MODULES = {
  'cli-aws': { dir: 'cli/src/aws', workspace: 'cli' },
  'cli-deploy': { dir: 'cli/src/deploy', workspace: 'cli' },
  'infra-constructs': { dir: 'infra/lib/constructs', workspace: 'infra' },
  'service-repositories': { dir: 'service/src/repositories', workspace: 'service' },
  'service-plugins': { dir: 'service/src/plugins', workspace: 'service' },
};

/** The goal: at least this share of mutants killed in each module. */
export const GOAL_PERCENT = 80;

/** @returns {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export function configFor(name) {
  const module = MODULES[name];
  if (module === undefined) {
    throw new Error(`unknown mutation module "${name}": use one of ${Object.keys(MODULES).join(', ')}`);
  }
  const reports = `reports/mutation/${name}`;
  return {
    packageManager: 'npm',
    mutate: [`${module.dir}/**/*.ts`],
    testRunner: 'tap',
    tap: {
      // Only the workspace's test files that import the module run (a short dry run); Stryker's per-test coverage
      // then picks, for each mutant, the files that reach it. Tests that reach the code only through a child
      // process (the CLI binary, the real server) are left out: Stryker cannot see their coverage.
      testFiles: testsReaching(ROOT, module.workspace, `${module.dir}/`),
      // Each test file runs on its own, as `node --test` would run it: TypeScript through tsx, TAP on stdout,
      // from its workspace folder (workspace-cwd.mjs) because some tests resolve paths from the working directory.
      // --conditions=@berth/source: @berth/infra resolves to its TypeScript sources, as in the workspaces' tests.
      nodeArgs: [
        '--conditions=@berth/source',
        '-r',
        '{{hookFile}}',
        '--import',
        'tsx',
        '--import',
        './scripts/mutation/workspace-cwd.mjs',
        '--test-reporter=tap',
        '{{testFile}}',
      ],
      forceBail: true,
    },
    coverageAnalysis: 'perTest',
    // Only mutants in changed code or with changed tests run again; the file is kept per module (CI caches it).
    incremental: true,
    incrementalFile: `${reports}/incremental.json`,
    // The sandbox copies the repository (the CLI's tests import infra's sources) but not what tests never read.
    ignorePatterns: [
      'reports',
      'bench',
      'docs',
      'ami/manifest.json',
      '**/cdk.out',
      '**/.data',
      '**/test-output',
    ],
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    // Tests time out under load on shared 2-core machines; a slow test is not a killed mutant.
    timeoutMS: 20_000,
    timeoutFactor: 2,
    // The service's initial run (every selected file, PostgreSQL suites included) exceeds the 5-minute default.
    dryRunTimeoutMinutes: 30,
    thresholds: { high: GOAL_PERCENT, low: 60, break: null },
    // scripts/mutation/run.ts reads the JSON report and prints the survivors; the HTML report shows them in context.
    reporters: ['json', 'html', 'progress'],
    jsonReporter: { fileName: `${reports}/mutation.json` },
    htmlReporter: { fileName: `${reports}/mutation.html` },
  };
}

export default configFor(process.env.BERTH_MUTATION_MODULE ?? 'cli-deploy');
