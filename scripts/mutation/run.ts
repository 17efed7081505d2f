// `npm run mutation [-- <module>...]`: runs StrykerJS per module (stryker.config.mjs), then prints each module's
// score and every surviving mutant as file:line:column, mutator and replacement. Exit code 2 when a module is under
// the goal (issue #15: at least 80 % killed), 1 when Stryker itself failed. See docs/testing.md.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GOAL_PERCENT, MODULES } from '../../stryker.config.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The part of Stryker's JSON report (mutation-testing-report-schema) this script reads. */
interface MutationReport {
  files: Record<
    string,
    {
      mutants: {
        mutatorName: string;
        replacement?: string;
        status: string;
        location: { start: { line: number; column: number } };
      }[];
    }
  >;
}

interface ModuleResult {
  name: string;
  seconds: number;
  counts: Record<string, number>;
  score: number | undefined;
  survivors: string[];
}

function resolveModule(argument: string): string {
  if (argument in MODULES) return argument;
  const byDir = Object.entries(MODULES).find(([, module]) => module.dir === argument.replace(/\/+$/, ''));
  if (byDir !== undefined) return byDir[0];
  console.error(
    `unknown module "${argument}": use one of ${Object.keys(MODULES).join(', ')} (or their folders)`,
  );
  process.exit(1);
}

function oneLine(text: string | undefined): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}

function summarize(name: string, seconds: number): ModuleResult {
  const file = path.join(ROOT, 'reports/mutation', name, 'mutation.json');
  const report = JSON.parse(readFileSync(file, 'utf8')) as MutationReport;
  const counts: Record<string, number> = {};
  const survivors: string[] = [];
  for (const [fileName, { mutants }] of Object.entries(report.files)) {
    for (const mutant of mutants) {
      counts[mutant.status] = (counts[mutant.status] ?? 0) + 1;
      if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') {
        const { line, column } = mutant.location.start;
        const relative = path.relative(ROOT, path.resolve(ROOT, fileName));
        const tag = mutant.status === 'NoCoverage' ? ' (no test reaches it)' : '';
        survivors.push(
          `${relative}:${line}:${column}  ${mutant.mutatorName}  → ${oneLine(mutant.replacement)}${tag}`,
        );
      }
    }
  }
  // Stryker's mutation score: detected (killed or timed out) over all valid mutants; errors and ignored ones excluded.
  const detected = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
  const valid = detected + (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
  return { name, seconds, counts, score: valid === 0 ? undefined : (100 * detected) / valid, survivors };
}

const requested = process.argv.slice(2).map(resolveModule);
const names = requested.length > 0 ? requested : Object.keys(MODULES);
const results: ModuleResult[] = [];
let strykerFailed = false;

for (const name of names) {
  console.log(`\n=== mutation: ${name} (${MODULES[name as keyof typeof MODULES].dir}) ===`);
  const started = Date.now();
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, BERTH_MUTATION_MODULE: name },
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  if (run.status !== 0) {
    console.error(`Stryker failed on ${name} (exit ${run.status}); its log is above.`);
    strykerFailed = true;
    continue;
  }
  results.push(summarize(name, seconds));
}

console.log('\n=== mutation score per module (goal ≥ %d %% killed) ===', GOAL_PERCENT);
console.log('module                 score   killed timeout survived no-cov  errors  time');
for (const { name, seconds, counts, score } of results) {
  const errors = (counts.RuntimeError ?? 0) + (counts.CompileError ?? 0);
  console.log(
    [
      name.padEnd(21),
      (score === undefined ? 'n/a' : `${score.toFixed(1)} %`).padStart(7),
      String(counts.Killed ?? 0).padStart(7),
      String(counts.Timeout ?? 0).padStart(7),
      String(counts.Survived ?? 0).padStart(8),
      String(counts.NoCoverage ?? 0).padStart(6),
      String(errors).padStart(7),
      `${seconds} s`.padStart(7),
    ].join(' '),
  );
}
for (const { name, survivors } of results) {
  if (survivors.length === 0) continue;
  console.log(
    `\n--- ${name}: ${survivors.length} surviving mutants (kill each with a test, or mark it equivalent) ---`,
  );
  for (const line of survivors) console.log(line);
}

const under = results
  .filter(({ score }) => score !== undefined && score < GOAL_PERCENT)
  .map(({ name }) => name);
if (strykerFailed) process.exit(1);
if (under.length > 0) {
  console.log(`\nunder the ${GOAL_PERCENT} % goal: ${under.join(', ')}`);
  process.exit(2);
}
