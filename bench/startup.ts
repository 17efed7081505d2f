// Time from process start to the first /readyz 200 for the production entry point (node service/dist/server.js):
//   npm run build -w service && npx tsx bench/startup.ts [--runs 5]
// Cold: an empty DATA_DIR (initdb runs). Warm: the same DATA_DIR again (the cluster exists, migrations applied).
// Bare Fastify: a hello-world started the same way, the floor this machine sets (Node and Fastify loading).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../service/test/support/server-process.js';

const ENTRY = fileURLToPath(new URL('../service/dist/server.js', import.meta.url));
const GOAL_MS = 1000;

function readRuns(): number {
  const { values } = parseArgs({ options: { runs: { type: 'string' } } });
  const runs = Number(values.runs ?? '5');
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`--runs must be a whole number of at least 1 (got "${values.runs}"), e.g. --runs 5`);
    process.exit(2);
  }
  return runs;
}

// A bare Fastify hello-world, started the same way: what this machine needs just to start Node and Fastify.
const BASELINE = [
  '--input-type=module',
  '-e',
  "import Fastify from 'fastify'; const app = Fastify(); app.get('/readyz', async () => 'ok');" +
    ' await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT) });' +
    " process.on('SIGTERM', () => process.exit(0));",
];

/** Spawns the server, polls /readyz every 5 ms, returns ms from spawn to the first 200, then stops it. */
async function timeToReady(dataDir: string, args: string[] = [ENTRY]): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: fileURLToPath(new URL('../service/', import.meta.url)),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_SECONDS: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const deadline = started + 120_000;
    while (performance.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`the server exited with ${child.exitCode} before it was ready`);
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ok) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('the server was not ready within 120 s');
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

async function main() {
  if (!existsSync(ENTRY)) {
    console.error(`${ENTRY} does not exist: run \`npm run build -w service\` first.`);
    process.exit(2);
  }
  const runs = readRuns();
  const cold: number[] = [];
  const warm: number[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < runs; run++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-startup-'));
    // As root the embedded cluster runs as the `postgres` user, which must be able to enter the directory.
    await chmod(dataDir, 0o755);
    try {
      baseline.push(await timeToReady(dataDir, BASELINE));
      cold.push(await timeToReady(dataDir));
      warm.push(await timeToReady(dataDir));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const summary = {
    entry: 'node service/dist/server.js',
    node: process.version,
    runs,
    coldMedianMs: Math.round(median(cold)),
    warmMedianMs: Math.round(median(warm)),
    warmMaxMs: Math.round(Math.max(...warm)),
    bareFastifyMedianMs: Math.round(median(baseline)),
    warmGoalMs: GOAL_MS,
    warmMet: median(warm) <= GOAL_MS,
  };
  console.table({
    'bare Fastify': {
      'median ms': summary.bareFastifyMedianMs,
      'all ms': baseline.map(Math.round).join(' '),
    },
    cold: { 'median ms': summary.coldMedianMs, 'all ms': cold.map(Math.round).join(' ') },
    warm: { 'median ms': summary.warmMedianMs, 'all ms': warm.map(Math.round).join(' ') },
  });
  console.log(JSON.stringify(summary));
  if (!summary.warmMet) process.exitCode = 1;
}

await main();
