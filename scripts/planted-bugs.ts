// The ten bugs of issue #15's table, planted one at a time: apply the patch, run the tests that import the patched
// file (in every workspace), restore the file. A planted bug is CAUGHT when a test fails and MISSED when all pass.
//   npx tsx scripts/planted-bugs.ts [number...]      e.g. `npx tsx scripts/planted-bugs.ts 2 9`
// Exit 0 only when every chosen bug is caught. It edits the files in place: run it on a clean, green tree, and not
// while something else reads the tree (a mutation run's sandbox copy, another test run). A patch whose search text is not found exactly once is reported
// STALE (exit 1): the code moved; update `search` below to the new code that carries the same bug.
// Bug 9 needs real PostgreSQL (PGlite has one connection, nothing runs in parallel): set DATABASE_URL, or rely on
// the test helpers starting an embedded PostgreSQL once the service has one.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testsReaching } from './mutation/import-graph.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKSPACES = ['cli', 'infra', 'service'];

interface Edit {
  /** Exact text that must occur once in the file. */
  readonly search: string;
  readonly replace: string;
}

interface PlantedBug {
  readonly file: string;
  readonly bug: string;
  readonly edits: readonly Edit[];
}

const BUGS: readonly PlantedBug[] = [
  {
    file: 'cli/src/aws/wait-for-steady-state.ts',
    bug: 'target health ignored: steady as soon as ECS settles',
    edits: [
      {
        search: 'const healthy = !live || (targets.healthy >= desired && targets.problems.length === 0);',
        replace: 'const healthy = true;',
      },
    ],
  },
  {
    file: 'cli/src/aws/image-digest.ts',
    bug: "every environment's digest is read from and recorded to prod's parameter",
    edits: [
      {
        search: '  parameter: names.parameters.imageDigest(env),',
        replace: "  parameter: names.parameters.imageDigest('prod'),",
      },
    ],
  },
  {
    file: 'cli/src/deploy/rollback-flow.ts',
    bug: 'rollback records the digest although the rollout did not settle',
    edits: [
      {
        search: "if (result.outcome !== 'steady') {",
        replace: "if (result.outcome !== 'steady') {\n      await recordDeployedDigest(aws.ssm, record, to);",
      },
    ],
  },
  {
    file: 'berth.config.ts',
    bug: 'health-check path /readyz → /healthz',
    edits: [{ search: "healthCheck: { path: '/readyz' }", replace: "healthCheck: { path: '/healthz' }" }],
  },
  {
    file: 'infra/lib/constructs/web-service.ts',
    bug: 'drain time and deregistration delay swapped',
    edits: [
      {
        search: 'deregistrationDelay: Duration.seconds(cfg.deregistrationDelaySeconds),',
        replace: 'deregistrationDelay: Duration.seconds(cfg.drainSeconds),',
      },
      {
        search: 'SHUTDOWN_DRAIN_SECONDS: String(cfg.drainSeconds),',
        replace: 'SHUTDOWN_DRAIN_SECONDS: String(cfg.deregistrationDelaySeconds),',
      },
    ],
  },
  {
    file: 'infra/lib/constructs/web-service.ts',
    bug: 'service no longer depends on the capacity provider',
    edits: [
      {
        // The association resource is what CloudFormation must delete after the service; the cluster
        // dependency is what orders them (web-service.ts).
        search: 'this.service.node.addDependency(props.cluster);',
        replace: '// planted bug: no dependency on the cluster and its capacity-provider association',
      },
    ],
  },
  {
    file: 'infra/lib/constructs/web-service.ts',
    bug: 'log stream prefix changed (the CLI diagnosis reads another stream)',
    edits: [{ search: 'streamPrefix: CONTAINER.logStreamPrefix,', replace: "streamPrefix: 'app'," }],
  },
  {
    file: 'infra/lib/constructs/monitoring.ts',
    bug: 'healthy-host metric removed from the dashboard',
    edits: [{ search: "graph('Targets', [healthy, unhealthy])", replace: "graph('Targets', [unhealthy])" }],
  },
  {
    file: 'service/src/repositories/pg-cart-repository.ts',
    bug: 'addItem as a read-modify-write of the quantity the statement read before it waited (lost updates)',
    edits: [
      {
        search: '  `quantity = cart_lines.quantity + excluded.quantity',
        replace:
          '  `quantity = (select q.quantity from cart_lines q where q.cart_id = excluded.cart_id and q.sku = excluded.sku) + excluded.quantity',
      },
      {
        search: 'select id, status from carts where id = $1::uuid for update\n      ), product',
        replace: 'select id, status from carts where id = $1::uuid\n      ), product',
      },
    ],
  },
  {
    file: 'service/src/config.ts',
    bug: "the CA bundle's path passed instead of its contents",
    // Still reads the file (an unreadable path fails as before) but passes the path on instead of the PEM text.
    edits: [
      {
        search: "return { mode, ca: readFileSync(caFile, 'utf8') };",
        replace: "return { mode, ca: readFileSync(caFile, 'utf8') && caFile };",
      },
    ],
  },
];

type Outcome = 'CAUGHT' | 'MISSED' | 'STALE' | 'NO TESTS';

function occurrences(text: string, search: string): number {
  return text.split(search).length - 1;
}

/** The workspace's own `npm test` command with the test-file glob replaced by the chosen files. */
function testCommand(workspace: string, files: string[]): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(ROOT, workspace, 'package.json'), 'utf8'));
  const words = String(scripts.test).split(/\s+/);
  const glob = words.indexOf('test/*.test.ts');
  if (words[0] !== 'node' || glob === -1) {
    throw new Error(
      `${workspace}/package.json "test" is not "node ... test/*.test.ts"; update testCommand()`,
    );
  }
  return [...words.slice(1, glob), ...files.map((file) => path.relative(workspace, file))];
}

function plant(number: number, planted: PlantedBug): { outcome: Outcome; detail: string; seconds: number } {
  const file = path.join(ROOT, planted.file);
  const original = readFileSync(file, 'utf8');
  let patched = original;
  for (const { search, replace } of planted.edits) {
    const count = occurrences(patched, search);
    if (count !== 1) {
      const where = count === 0 ? 'not found' : `found ${count} times`;
      return {
        outcome: 'STALE',
        detail: `search text ${where}: ${JSON.stringify(search.slice(0, 70))}`,
        seconds: 0,
      };
    }
    patched = patched.replace(search, () => replace);
  }
  const started = Date.now();
  const restore = () => writeFileSync(file, original);
  // spawnSync blocks: an interrupt is handled once the test run returns; restore and stop there.
  const interrupted = () => {
    restore();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  writeFileSync(file, patched);
  try {
    const failing: string[] = [];
    let ran = 0;
    for (const workspace of WORKSPACES) {
      const files = testsReaching(ROOT, workspace, planted.file);
      if (files.length === 0) continue;
      ran += files.length;
      console.log(`  bug ${number}: ${workspace}: node ${testCommand(workspace, files).join(' ')}`);
      const run = spawnSync('node', testCommand(workspace, files), {
        cwd: path.join(ROOT, workspace),
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      if (run.status !== 0) {
        const names = [...run.stdout.matchAll(/^\s*✖ (.+?)(?: \(\d[\d.]*m?s\))?$/gm)].map(([, name]) => name);
        failing.push(...new Set(names));
      }
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    if (ran === 0) return { outcome: 'NO TESTS', detail: 'no test file imports it', seconds };
    if (failing.length === 0) return { outcome: 'MISSED', detail: `${ran} test files pass`, seconds };
    return { outcome: 'CAUGHT', detail: `failing: ${failing.slice(0, 3).join(' | ')}`, seconds };
  } finally {
    restore();
    process.removeListener('SIGINT', interrupted);
  }
}

const chosen = process.argv.slice(2).map(Number);
for (const number of chosen) {
  if (!Number.isInteger(number) || number < 1 || number > BUGS.length) {
    console.error(`no planted bug "${number}": choose numbers 1-${BUGS.length}`);
    process.exit(1);
  }
}
const numbers = chosen.length > 0 ? chosen : BUGS.map((_, index) => index + 1);
const rows: string[] = [];
let stale = false;
let missed = false;
for (const number of numbers) {
  const planted = BUGS[number - 1]!;
  console.log(`bug ${number}: ${planted.file}: ${planted.bug}`);
  const { outcome, detail, seconds } = plant(number, planted);
  console.log(`bug ${number}: ${outcome} (${seconds} s) ${detail}`);
  stale ||= outcome === 'STALE';
  missed ||= outcome === 'MISSED' || outcome === 'NO TESTS';
  rows.push(
    `${String(number).padStart(2)}  ${outcome.padEnd(8)} ${`${seconds} s`.padStart(6)}  ${planted.file}: ${planted.bug}\n              ${detail}`,
  );
}
console.log('\n=== planted bugs (issue #15) ===');
for (const row of rows) console.log(row);
const caught = rows.filter((row) => row.includes(' CAUGHT ')).length;
console.log(`\n${caught} of ${numbers.length} planted bugs caught`);
if (stale) process.exit(1);
if (missed) process.exit(2);
