// Load test of the real service against a bare Fastify hello-world started in the same run.
//   npx tsx bench/service.ts [--duration 10] [--connections 100] [--warmup 2]
// Embedded PostgreSQL by default; with DATABASE_URL set, the service uses that PostgreSQL database instead.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type Request, type Result } from 'autocannon';
import pg from 'pg';
import {
  freePort,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from '../service/test/support/server-process.js';

const SKUS = ['BERTH-MUG', 'BERTH-TEE', 'BERTH-CAP', 'BERTH-STICKERS'];
/** Per-line limit of the service (service/src/schemas/limits.ts); adds beyond it are refused with 409. */
const MAX_QUANTITY = 99;
/** Goals of issue #12, as shares of the baseline's req/s and a latency bound. */
const GOALS = { readShare: 0.25, addShare: 0.1, p99Ms: 25 };

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    console.error(
      `--${name} must be a whole number of at least 1 (got "${text}"), e.g. --${name} ${fallback}`,
    );
    process.exit(2);
  }
  return value;
}

function readOptions() {
  try {
    const { values } = parseArgs({
      options: {
        duration: { type: 'string' },
        connections: { type: 'string' },
        warmup: { type: 'string' },
      },
    });
    return {
      duration: positiveInteger('duration', values.duration, 10),
      connections: positiveInteger('connections', values.connections, 100),
      warmup: positiveInteger('warmup', values.warmup, 2),
    };
  } catch (error) {
    console.error(
      `${(error as Error).message}. Usage: npx tsx bench/service.ts [--duration 10] [--connections 100]`,
    );
    process.exit(2);
  }
}

async function startBaseline(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const script = fileURLToPath(new URL('./baseline-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the baseline server did not start at ${url}`);
}

async function postJson<T>(url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url} returned ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function createCarts(baseUrl: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const batch = Math.min(20, count - ids.length);
    const created = await Promise.all(
      Array.from({ length: batch }, () => postJson<{ id: string }>(`${baseUrl}/api/carts`)),
    );
    ids.push(...created.map((cart) => cart.id));
  }
  return ids;
}

interface Row {
  scenario: string;
  result: Result;
}

async function measure(
  scenario: string,
  options: Parameters<typeof autocannon>[0],
  duration: number,
  warmup: number,
): Promise<Row> {
  await autocannon({ ...options, duration: warmup });
  const result = await autocannon({ ...options, duration });
  return { scenario, result };
}

function report(rows: Row[], settings: string, database: string, durability: string) {
  // The baseline runs before and after the service's scenarios; on a shared machine the load drifts during a
  // run, and the mean of the two is the fairer yardstick.
  const baselineRps = (rows[0]!.result.requests.average + rows[3]!.result.requests.average) / 2;
  const share = (result: Result) => result.requests.average / baselineRps;
  const table = rows.map(({ scenario, result }) => ({
    scenario,
    'req/s': Math.round(result.requests.average),
    'mean ms': round(result.latency.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    'p99/mean': tailRatio(result),
    'non-2xx': result.non2xx,
    errors: result.errors + result.timeouts,
    'req/s vs baseline': `${(100 * share(result)).toFixed(1)}%`,
  }));
  console.log(`\n${settings}`);
  console.table(table);

  const [, read, add] = rows.map((row) => row.result) as [Result, Result, Result, Result];
  const failures = (result: Result) => result.non2xx + result.errors + result.timeouts;
  const goals = {
    readShare: {
      value: round(share(read)),
      goal: `>= ${GOALS.readShare}`,
      met: share(read) >= GOALS.readShare,
    },
    addShare: { value: round(share(add)), goal: `>= ${GOALS.addShare}`, met: share(add) >= GOALS.addShare },
    p99Ms: {
      value: Math.max(read.latency.p99, add.latency.p99),
      goal: `<= ${GOALS.p99Ms}`,
      met: Math.max(read.latency.p99, add.latency.p99) <= GOALS.p99Ms,
    },
    errors: { value: failures(read) + failures(add), goal: '0', met: failures(read) + failures(add) === 0 },
  };
  for (const [name, goal] of Object.entries(goals)) {
    console.log(`${goal.met ? 'met    ' : 'MISSED '} ${name}: ${goal.value} (goal ${goal.goal})`);
  }
  console.log(
    JSON.stringify({
      bench: 'service',
      database,
      durability,
      baselineRps: Math.round(baselineRps),
      readRps: Math.round(read.requests.average),
      addRps: Math.round(add.requests.average),
      readShare: goals.readShare.value,
      addShare: goals.addShare.value,
      readP99Ms: read.latency.p99,
      addP99Ms: add.latency.p99,
      readP99OverMean: tailRatio(read),
      addP99OverMean: tailRatio(add),
      errors: goals.errors.value,
      goalsMet: Object.values(goals).every((goal) => goal.met),
    }),
  );
  if (goals.errors.value > 0) {
    console.error('Some requests failed; the figures measure error paths and are suspect.');
    process.exitCode = 1;
  }
}

/**
 * CPU time (user + system, all threads) the process has used so far, in microseconds, from /proc/<pid>/stat
 * (fields 14 and 15, in clock ticks of 1/100 s: USER_HZ on Linux, proc(5)); undefined where there is no /proc.
 */
async function cpuMicros(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Settings that decide what a commit costs; a bench figure for writes means little without them. */
const DURABILITY_SETTINGS = ['synchronous_commit', 'fsync', 'full_page_writes'];

/**
 * The durability settings of the database the service writes to, read from that server: the embedded
 * cluster (its port and password from the data directory, as the service found them) or DATABASE_URL.
 */
async function durabilityOf(service: RunningServer, databaseUrl: string | undefined): Promise<string> {
  let connection: pg.ClientConfig;
  if (service.dataDir === undefined) {
    connection = { connectionString: databaseUrl };
  } else {
    // postmaster.pid: line 4 is the port (PostgreSQL docs, "Database File Layout").
    const lockFile = await readFile(join(service.dataDir, 'postgres', 'postmaster.pid'), 'utf8');
    connection = {
      host: '127.0.0.1',
      port: Number(lockFile.split('\n')[3]),
      user: 'berth',
      database: 'postgres',
      password: await readFile(join(service.dataDir, 'postgres-password'), 'utf8'),
    };
  }
  const client = new pg.Client(connection);
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; setting: string }>(
      'select name, setting from pg_settings where name = any($1) order by name',
      [DURABILITY_SETTINGS],
    );
    return rows.map((row) => `${row.name}=${row.setting}`).join(' ');
  } finally {
    await client.end();
  }
}

/**
 * How far the p99 sits above the mean: the shape of the tail. The mean itself is fixed by the throughput (a
 * closed loop of N connections has mean latency N / req/s, Little's law), so on a loaded machine p99 and mean
 * move together and their ratio is the figure that compares across runs (bench/README.md).
 */
function tailRatio(result: Result): number {
  return Math.round((result.latency.p99 / result.latency.average) * 100) / 100;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

async function main() {
  const { duration, connections, warmup } = readOptions();
  const databaseUrl = process.env.DATABASE_URL;
  const database = databaseUrl ? { url: databaseUrl } : 'embedded';
  const databaseLabel = databaseUrl ? 'PostgreSQL (DATABASE_URL)' : 'embedded PostgreSQL';

  let service: RunningServer | undefined;
  let baseline: { url: string; child: ChildProcess } | undefined;
  try {
    console.error(`starting the service (${databaseLabel}) and the baseline…`);
    [service, baseline] = await Promise.all([startServer({ database }), startBaseline()]);
    const rows: Row[] = [];
    const common = { connections, pipelining: 1 };

    rows.push(
      await measure('baseline: Fastify hello-world', { ...common, url: baseline.url }, duration, warmup),
    );

    const [readCart] = await createCarts(service.url, 1);
    await postJson(`${service.url}/api/carts/${readCart}/items`, { sku: 'BERTH-MUG', quantity: 2 });
    await postJson(`${service.url}/api/carts/${readCart}/items`, { sku: 'BERTH-TEE', quantity: 1 });
    rows.push(
      await measure(
        'GET /api/carts/{id}',
        { ...common, url: `${service.url}/api/carts/${readCart}` },
        duration,
        warmup,
      ),
    );

    // Each (cart, sku) line takes at most MAX_QUANTITY adds: size the cart pool from the read rate (with room
    // to spare, writes are slower) and rotate over every line so no add runs into the limit.
    const expectedAdds = rows[1]!.result.requests.average * (duration + warmup) * 1.5;
    const carts = await createCarts(
      service.url,
      Math.max(1, Math.ceil(expectedAdds / (SKUS.length * MAX_QUANTITY))),
    );
    let next = 0;
    const add: Request = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => {
        const line = next++;
        const cart = carts[line % carts.length]!;
        const sku = SKUS[Math.floor(line / carts.length) % SKUS.length]!;
        return { ...request, path: `/api/carts/${cart}/items`, body: JSON.stringify({ sku, quantity: 1 }) };
      },
    };
    rows.push(
      await measure(
        `POST /api/carts/{id}/items (${carts.length} carts)`,
        { ...common, url: service.url, requests: [add] },
        duration,
        warmup,
      ),
    );

    rows.push(await measure('baseline again (after)', { ...common, url: baseline.url }, duration, warmup));

    const durability = await durabilityOf(service, databaseUrl);
    report(
      rows,
      `${duration} s per scenario after ${warmup} s warm-up, ${connections} connections, service on ${databaseLabel}, ` +
        `LOG_LEVEL=warn, Node ${process.version}\n` +
        `database durability: ${durability}` +
        (durability.includes('synchronous_commit=off')
          ? ' (the embedded default for local use; RDS commits durably, synchronous_commit=on: adds there wait for a disk flush)'
          : ''),
      databaseUrl ? 'DATABASE_URL' : 'embedded',
      durability,
    );
    await compareTracing(service, readCart!, database, { ...common }, duration, warmup);
  } finally {
    await service?.stop();
    if (baseline) {
      baseline.child.kill('SIGTERM');
      await once(baseline.child, 'exit');
    }
  }
}

/**
 * Sampling ratios the tracing comparison runs at: none (what an unsampled request costs: it carries a
 * non-recording span and records nothing), production's (infra/config/environments.ts) and every request.
 */
const TRACING_SAMPLE_RATIOS = [0, 0.05, 1];
/** Rounds of the tracing comparison: each reads the untraced service, then one traced per ratio. */
const TRACING_ROUNDS = 2;

/**
 * Tracing on vs off on the same cart read: for each sampling ratio a second service with TRACING=otlp,
 * exporting over OTLP/HTTP to a sink in this process that accepts and discards (so the figure includes span
 * creation, batching and serialization, not a collector's speed). All services run side by side and are read
 * in turn, untraced then each ratio, for TRACING_ROUNDS rounds: a service started for this comparison then gets
 * as much warm-up as the one that has already served the scenarios above, and a drift in the machine's load
 * reaches every variant alike. Each figure is the mean over the rounds; on / off divides by the untraced mean.
 */
async function compareTracing(
  untraced: RunningServer,
  readCart: string,
  database: StartServerOptions['database'],
  common: { connections: number; pipelining: number },
  duration: number,
  warmup: number,
) {
  let exportedBytes = 0;
  const sink = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => {
      exportedBytes += chunk.length;
    });
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  sink.listen(0, '127.0.0.1');
  await once(sink, 'listening');
  const { port } = sink.address() as { port: number };
  interface Variant {
    label: string;
    ratio?: number;
    server: RunningServer;
    cart: string;
    runs: Result[];
    exported: number;
    /** CPU time the service used during the measured runs, when /proc tells. */
    cpuMicros: number | undefined;
  }
  const variants: Variant[] = [
    { label: 'tracing off', server: untraced, cart: readCart, runs: [], exported: 0, cpuMicros: 0 },
  ];
  const traced: RunningServer[] = [];
  try {
    for (const ratio of TRACING_SAMPLE_RATIOS) {
      const server = await startServer({
        database,
        env: {
          TRACING: 'otlp',
          TRACING_SAMPLE_RATIO: String(ratio),
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        },
      });
      traced.push(server);
      const [cart] = await createCarts(server.url, 1);
      await postJson(`${server.url}/api/carts/${cart}/items`, { sku: 'BERTH-MUG', quantity: 2 });
      await postJson(`${server.url}/api/carts/${cart}/items`, { sku: 'BERTH-TEE', quantity: 1 });
      variants.push({
        label: `tracing on, sample ratio ${ratio}`,
        ratio,
        server,
        cart: cart!,
        runs: [],
        exported: 0,
        cpuMicros: 0,
      });
    }
    for (let pass = 0; pass < TRACING_ROUNDS; pass++) {
      for (const variant of variants) {
        const target = { ...common, url: `${variant.server.url}/api/carts/${variant.cart}` };
        await autocannon({ ...target, duration: warmup });
        const before = exportedBytes;
        const cpuBefore = await cpuMicros(variant.server.pid);
        const result = await autocannon({ ...target, duration });
        const cpuAfter = await cpuMicros(variant.server.pid);
        variant.runs.push(result);
        variant.exported += exportedBytes - before;
        variant.cpuMicros =
          cpuBefore === undefined || cpuAfter === undefined || variant.cpuMicros === undefined
            ? undefined
            : variant.cpuMicros + cpuAfter - cpuBefore;
      }
    }
    const meanRps = (runs: Result[]) =>
      runs.reduce((sum, run) => sum + run.requests.average, 0) / runs.length;
    const offRps = meanRps(variants[0]!.runs);
    // CPU per request is what a busy machine leaves intact: req/s swings with the other load, this much less.
    const cpuPerRequest = (variant: Variant) => {
      const requests = variant.runs.reduce((sum, run) => sum + run.requests.total, 0);
      return variant.cpuMicros === undefined ? undefined : Math.round(variant.cpuMicros / requests);
    };
    const offCpu = cpuPerRequest(variants[0]!);
    const cpuRatio = (variant: Variant) => {
      const cpu = cpuPerRequest(variant);
      return cpu === undefined || offCpu === undefined ? undefined : round(offCpu / cpu);
    };
    const on = variants.slice(1);
    console.table(
      variants.map((variant) => ({
        scenario: variant.label,
        'req/s (per round)': variant.runs.map((run) => Math.round(run.requests.average)).join(' / '),
        'p99 ms': Math.max(...variant.runs.map((run) => run.latency.p99)),
        'non-2xx': variant.runs.reduce((sum, run) => sum + run.non2xx, 0),
        'on / off': variant.ratio === undefined ? '' : round(meanRps(variant.runs) / offRps),
        'service CPU µs/req': cpuPerRequest(variant) ?? '',
        'off / on CPU': variant.ratio === undefined ? '' : (cpuRatio(variant) ?? ''),
      })),
    );
    console.log(
      JSON.stringify({
        bench: 'tracing',
        rounds: TRACING_ROUNDS,
        offRps: Math.round(offRps),
        offCpuUsPerRequest: offCpu,
        on: on.map((variant) => ({
          sampleRatio: variant.ratio,
          rps: Math.round(meanRps(variant.runs)),
          onOffRatio: round(meanRps(variant.runs) / offRps),
          cpuUsPerRequest: cpuPerRequest(variant),
          cpuOffOnRatio: cpuRatio(variant),
          exportedKiB: Math.round(variant.exported / 1024),
        })),
      }),
    );
    if (on.some((variant) => variant.ratio !== 0 && variant.exported === 0)) {
      console.error('A traced service exported nothing: its tracing figure measures nothing.');
      process.exitCode = 1;
    }
  } finally {
    for (const server of traced) await server.stop();
    sink.close();
  }
}

await main();
