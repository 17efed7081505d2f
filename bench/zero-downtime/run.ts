/**
 * Zero-downtime bench: 3 replicas on a throwaway PostgreSQL cluster behind HAProxy, with the `test`
 * environment's real health-check, drain and deployment settings. Under constant mixed load it
 *   1. rolls every replica twice,
 *   2. kills one replica with SIGKILL,
 *   3. stops PostgreSQL for a while (every replica must stay in rotation: /readyz does not use the database),
 * and after each scenario checks that every acknowledged write is stored. It prints one verdict per
 * expectation and exits 1 if any fails.
 *
 *   npx tsx bench/zero-downtime/run.ts [--rate 200] [--connections 16] [--outage-seconds 15] [--grace-seconds 60]
 *                                      [--scenarios roll,kill,outage]
 *
 * --grace-seconds bounds how long a new replica may take to turn healthy (the environment's
 * healthCheckGracePeriodSeconds by default); raise it on a machine too busy to start replicas in time.
 *
 * Loopback only; every phase is bounded in time.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { freePort, type LocalParity, startLocalParity } from '../../cli/src/local/index.js';
import { checkLedger, type LedgerCheck, type LoadReport, startLoad } from '../../cli/src/local/load.js';
import { sleep, waitFor } from '../../cli/src/local/wait.js';
import { loadConfig } from '../../infra/config/load.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    connections: { type: 'string', default: '16' },
    'outage-seconds': { type: 'string', default: '15' },
    'grace-seconds': { type: 'string' },
    scenarios: { type: 'string', default: 'roll,kill,outage' },
    verbose: { type: 'boolean', default: false },
  },
});
const RATE = Number(args.rate);
const CONNECTIONS = Number(args.connections);
const OUTAGE_SECONDS = Number(args['outage-seconds']);
const REPLICAS = 3;
// The cart's own test settings, from berth.config.ts at the repository root.
const { environments } = await loadConfig({ cwd: new URL('../..', import.meta.url).pathname });
const SERVICE = {
  ...environments.test.service,
  ...(args['grace-seconds'] ? { healthCheckGracePeriodSeconds: Number(args['grace-seconds']) } : {}),
};

const started = Date.now();
const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
const say = (line: string) => console.log(`${stamp()} ${line}`);

function summary(report: LoadReport, check: LedgerCheck) {
  return {
    requests: report.requests,
    non2xx: report.non2xx,
    socketErrors: report.socketErrors,
    timeouts: report.timeouts,
    statusCodes: report.statusCodes,
    p50Ms: report.p50Ms,
    p99Ms: report.p99Ms,
    maxMs: report.maxMs,
    acknowledgedWrites: report.acknowledgedWrites,
    cartsChecked: check.carts,
    linesChecked: check.lines,
    lostAcknowledgedWrites: check.lost.length,
    appliedButUnacknowledgedUnits: check.unacknowledgedApplied,
  };
}

async function underLoad<T>(parity: LocalParity, scenario: () => Promise<T>) {
  const load = startLoad({ url: parity.url, connections: CONNECTIONS, maxSeconds: 600, rate: RATE });
  await sleep(2000);
  const result = await scenario();
  await sleep(1000);
  const report = await load.stop();
  const check = await checkLedger(parity.url, report.ledger);
  if (check.lost.length > 0) say(`LOST WRITES: ${check.lost.slice(0, 10).join('; ')}`);
  return { result, load: summary(report, check) };
}

async function rollTwice(parity: LocalParity) {
  return underLoad(parity, async () => {
    const rolls = [];
    for (const version of ['v2', 'v3']) {
      say(`rolling ${REPLICAS} replicas to ${version}`);
      const r = await parity.roll({ newVersion: version });
      say(`rolled to ${version} in ${(r.durationMs / 1000).toFixed(1)} s (${r.batches} batch(es))`);
      rolls.push({ version, durationSeconds: r.durationMs / 1000, batches: r.batches });
    }
    return rolls;
  });
}

async function killOne(parity: LocalParity) {
  return underLoad(parity, async () => {
    const killedAt = Date.now();
    const kill = await parity.killReplica(0, 'SIGKILL');
    say(`replica ${kill.replicaId} killed; out of rotation after ${kill.outOfRotationMs} ms`);
    const replacedAfter = await waitFor(
      'a replacement replica to serve',
      async () => {
        const serving = parity.replicas().filter((r) => r.phase === 'serving');
        return serving.length === REPLICAS ? Date.now() : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    return { outOfRotationMs: kill.outOfRotationMs, replacementServingAfterMs: replacedAfter - killedAt };
  });
}

/**
 * PostgreSQL stops under load for --outage-seconds. With the health-check design of docs/architecture.md
 * the load balancer probes /readyz, which never touches the database, so the ALB keeps every target: HAProxy,
 * configured like the target group, must keep every replica UP throughout, while requests that need the
 * database answer 503 database_unavailable. When PostgreSQL returns, the same processes serve again.
 */
async function databaseOutage(parity: LocalParity) {
  const outage = parity.database.outage;
  if (!outage) throw new Error('the database outage scenario needs the throwaway cluster');
  return underLoad(parity, async () => {
    const before = parity.replicas().map((r) => ({ id: r.id, pid: r.pid, port: r.port }));
    const probe = async (url: string, init: RequestInit = {}) =>
      fetch(url, { ...init, signal: AbortSignal.timeout(5000) }).then(
        async (r) => ({
          status: r.status,
          code: ((await r.json().catch(() => ({}))) as { error?: string }).error, // database_unavailable in an outage
        }),
        () => ({ status: 0, code: 'no answer' }),
      );
    const createCart = (base: string) => probe(`${base}/api/carts`, { method: 'POST' });
    let minUp = REPLICAS;
    let samples = 0;
    const readyzDuringOutage: Record<string, number> = {};
    const writesDuringOutage: Record<string, number> = {};
    const count = (into: Record<string, number>, key: string) => {
      into[key] = (into[key] ?? 0) + 1;
    };

    const stoppedAt = Date.now();
    await outage.stop();
    say('PostgreSQL stopped');
    while (Date.now() - stoppedAt < OUTAGE_SECONDS * 1000) {
      samples++;
      const up = (await parity.loadBalancerStatus()).filter((s) => s.status === 'UP').length;
      minUp = Math.min(minUp, up);
      for (const r of before)
        count(readyzDuringOutage, String((await probe(`http://127.0.0.1:${r.port}/readyz`)).status));
      const write = await createCart(parity.url);
      count(writesDuringOutage, `${write.status} ${write.code ?? ''}`.trim());
      await sleep(250);
    }
    const restartAt = Date.now();
    await outage.start();
    say(`PostgreSQL started again after ${((restartAt - stoppedAt) / 1000).toFixed(1)} s`);
    // Recovered = every replica, asked directly, creates a cart again (its pool reconnected by itself).
    await waitFor(
      'every replica to write again',
      async () => {
        const answers = await Promise.all(before.map((r) => createCart(`http://127.0.0.1:${r.port}`)));
        return answers.every((a) => a.status === 201) ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 50 },
    );
    const recoveredMs = Date.now() - restartAt;
    const after = parity.replicas();
    const sameProcess = (r: (typeof before)[number]) => after.some((a) => a.id === r.id && a.pid === r.pid);
    const result = {
      outageSeconds: (restartAt - stoppedAt) / 1000,
      samples,
      minReplicasUpInLoadBalancer: minUp,
      readyzDuringOutage,
      writesDuringOutage,
      recoveredAfterRestartMs: recoveredMs,
      replicasRestartedOrCrashed: before.filter((r) => !sameProcess(r)).length,
    };
    say(
      `outage: HAProxy kept ${minUp}/${REPLICAS} replicas UP at worst; /readyz ${JSON.stringify(readyzDuringOutage)}; ` +
        `writes ${JSON.stringify(writesDuringOutage)}; every replica wrote again ${recoveredMs} ms after PostgreSQL returned`,
    );
    return result;
  });
}

async function main() {
  say(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  say(`load: ${RATE} req/s over ${CONNECTIONS} connections, loopback`);
  const { healthCheck: hc, deregistrationDelaySeconds, drainSeconds, deployment } = SERVICE;
  say(
    `settings (test env): health check ${hc.path} every ${hc.intervalSeconds} s, rise ${hc.healthyThreshold}, ` +
      `fall ${hc.unhealthyThreshold}; deregistration delay ${deregistrationDelaySeconds} s; drain ${drainSeconds} s; ` +
      `min/max ${deployment.minHealthyPercent}/${deployment.maxPercent} %; start-up bound ${SERVICE.healthCheckGracePeriodSeconds} s`,
  );
  const parity = await startLocalParity({
    env: 'test',
    replicas: REPLICAS,
    port: await freePort(),
    service: SERVICE,
    log: args.verbose ? say : () => {},
  });
  const results: Record<string, unknown> = {};
  try {
    say(`${REPLICAS} replicas serving at ${parity.url}`);
    const scenarios: Record<string, (p: LocalParity) => Promise<unknown>> = {
      roll: rollTwice,
      kill: killOne,
      outage: databaseOutage,
    };
    for (const name of args.scenarios.split(',')) {
      const scenario = scenarios[name];
      if (!scenario) throw new Error(`unknown scenario ${name}: use roll, kill or outage`);
      try {
        results[name] = await scenario(parity);
      } catch (err) {
        results[name] = { failed: (err as Error).message };
      }
      say(`${name}: ${JSON.stringify(results[name])}`);
    }
  } finally {
    await parity.stop();
  }
  const failed = verdicts(results).filter(([, ok]) => !ok);
  console.log(
    JSON.stringify(
      { date: new Date().toISOString(), cores: cpus().length, loadavg: loadavg(), rate: RATE, results },
      null,
      2,
    ),
  );
  if (failed.length > 0) process.exitCode = 1;
}

type Outcome = { failed?: string; load?: ReturnType<typeof summary>; result?: Record<string, unknown> };

/** What each scenario must show, printed as PASS/FAIL lines. */
function verdicts(results: Record<string, unknown>): [string, boolean][] {
  const checks: [string, boolean][] = [];
  const check = (name: string, ok: boolean) => {
    checks.push([name, ok]);
    say(`${ok ? 'PASS' : 'FAIL'} ${name}`);
  };
  for (const [name, value] of Object.entries(results)) {
    const outcome = value as Outcome;
    check(`${name}: ran to the end${outcome.failed ? ` (${outcome.failed})` : ''}`, !outcome.failed);
    if (outcome.failed || !outcome.load) continue;
    check(`${name}: 0 acknowledged writes lost`, outcome.load.lostAcknowledgedWrites === 0);
    if (name === 'roll') {
      check(
        'roll: 0 failed requests',
        outcome.load.non2xx + outcome.load.socketErrors + outcome.load.timeouts === 0,
      );
    }
    if (name === 'outage') {
      const r = outcome.result as Awaited<ReturnType<typeof databaseOutage>>['result'];
      check('outage: every replica stayed in rotation', r.minReplicasUpInLoadBalancer === REPLICAS);
      check('outage: no replica crashed or restarted', r.replicasRestartedOrCrashed === 0);
      const codes = Object.keys(outcome.load.statusCodes).filter((c) => !c.startsWith('2'));
      check(
        `outage: failed requests are 503s, no connection errors (saw ${codes.join(', ') || 'none'})`,
        codes.every((c) => c === '503') && outcome.load.socketErrors + outcome.load.timeouts === 0,
      );
    }
  }
  return checks;
}

await main();
