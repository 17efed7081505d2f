/**
 * How long `npm start` takes to be ready: from spawning `npm start` to the first 200 from /readyz on the
 * port `berth up` serves. Cold = a fresh data directory (the embedded database is created); warm = the same
 * directory again (what a developer sees every day after the first run).
 *
 *   npx tsx bench/npm-start.ts [--warm-runs 5] [--command "npm start --"]
 *
 * `--command` lets the same bench time another start command, e.g. an older checkout's
 * `npm --prefix ../old start --`. Each warm start is paired with a bare `node` process that answers at once
 * (the floor): on a shared machine the ratio to it is the figure to compare. Every start is bounded (60 s) and stopped with SIGINT,
 * like Ctrl-C, before the next one; the figures include npm's own start-up, as a user sees it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../cli/src/local/free-port.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READY_BOUND_MS = 60_000;

const { values: args } = parseArgs({
  options: {
    'warm-runs': { type: 'string', default: '5' },
    command: { type: 'string', default: 'npm start --' },
  },
});
const WARM_RUNS = Number(args['warm-runs']);
if (!Number.isInteger(WARM_RUNS) || WARM_RUNS < 1) throw new Error('--warm-runs must be a whole number ≥ 1');

/** Ctrl-C to the whole process group (npm, the CLI, the service), then wait until the group leader exits. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGINT');
  const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

/**
 * The floor on this machine right now: one bare Node process that answers /readyz at once. On a shared,
 * loaded machine absolute times swing by 10×; the ratio to this floor, measured in the same run, does not.
 */
const FLOOR_COMMAND = [
  process.execPath,
  '-e',
  "require('node:http').createServer((q, s) => s.end()).listen(Number(process.argv.at(-3)), '127.0.0.1')",
  '--', // what follows (--port P --data-dir D) is for the script, not for node
];

/** Milliseconds from spawn to the first /readyz 200. */
async function timeStart(
  dataDir: string,
  command: string[] = args.command.split(' ').filter(Boolean),
): Promise<number> {
  const port = await freePort();
  const [cmd, ...rest] = command;
  const started = performance.now();
  const child = spawn(cmd!, [...rest, '--port', String(port), '--data-dir', dataDir], {
    cwd: ROOT,
    detached: true, // its own process group, so stop() reaches every descendant
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  try {
    while (performance.now() - started < READY_BOUND_MS) {
      if (child.exitCode !== null)
        throw new Error(`start command exited ${child.exitCode}: ${stderr.trim()}`);
      const status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return performance.now() - started;
      await sleep(5);
    }
    throw new Error(`not ready within ${READY_BOUND_MS / 1000} s: ${stderr.trim()}`);
  } finally {
    await stop(child);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (ms: number) => Math.round(ms);

const dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'berth-npm-start-')), 'data');
// As root the embedded PostgreSQL runs as `postgres`, which must be able to reach the data directory.
await chmod(path.dirname(dataDir), 0o755);
try {
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; command: ${args.command} --port P --data-dir ${dataDir}`,
  );
  const cold = await timeStart(dataDir);
  console.log(`cold (new data directory): ${round(cold)} ms`);
  const warm: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    warm.push(await timeStart(dataDir));
    floor.push(await timeStart(dataDir, FLOOR_COMMAND));
    console.log(`warm ${i + 1}: ${round(warm.at(-1)!)} ms (bare node floor ${round(floor.at(-1)!)} ms)`);
  }
  const ratio = median(warm) / median(floor);
  console.log(
    `warm median of ${WARM_RUNS}: ${round(median(warm))} ms (goal ≤ 1000 ms) = ${ratio.toFixed(1)}× a bare ` +
      `node process (${round(median(floor))} ms) started the same way in this run`,
  );
  console.log(
    JSON.stringify({
      date: new Date().toISOString(),
      command: args.command,
      cores: cpus().length,
      loadavg: loadavg(),
      coldMs: round(cold),
      warmMs: warm.map(round),
      warmMedianMs: round(median(warm)),
      floorMedianMs: round(median(floor)),
      warmOverFloor: Number(ratio.toFixed(2)),
    }),
  );
} finally {
  await rm(path.dirname(dataDir), { recursive: true, force: true });
}
