/**
 * Zero-downtime bench: 3 replicas on a throwaway PostgreSQL cluster behind HAProxy, with the `test`
 * environment's real health-check, drain and deployment settings. Under constant mixed load it
 *   1. rolls every replica twice,
 *   2. kills one replica with SIGKILL,
 *   3. stops PostgreSQL for a while,
 * and after each scenario checks that every acknowledged write is stored.
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
import { ENVIRONMENTS } from '../../infra/config/environments.js';

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
const SERVICE = {
  ...ENVIRONMENTS.test.service,
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

async function databaseOutage(parity: LocalParity) {
  const outage = parity.database.outage;
  if (!outage) throw new Error('the database outage scenario needs the throwaway cluster');
  return underLoad(parity, async () => {
    const replicas = parity.replicas();
    const readyz = async (port: number) =>
      // The service gives its database probe 2 s; allow for queueing behind the load on a busy machine.
      fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
        (r) => r.status,
        () => 0,
      );
    let lastSeen: number[] = [];
    // A replica that crashed is no longer asked: the bench reports it instead of waiting for it.
    const alive = () => replicas.filter((r) => parity.replicas().some((a) => a.id === r.id));
    const allReplicas = async (want: (status: number) => boolean) => {
      lastSeen = await Promise.all(alive().map((r) => readyz(r.port)));
      return lastSeen.every(want) ? true : undefined;
    };
    const seen = () => `replicas' /readyz last answered ${lastSeen.join(', ')} (0 = no answer)`;
    const lbNone = async (status: string) =>
      (await parity.loadBalancerStatus()).some((s) => s.status === status) ? undefined : true;
    const lbAll = async (want: string) =>
      (await parity.loadBalancerStatus()).filter((s) => s.status === want).length === REPLICAS
        ? true
        : undefined;

    const stoppedAt = Date.now();
    await outage.stop();
    say('PostgreSQL stopped');
    await waitFor('every /readyz to answer 503', () => allReplicas((s) => s === 503), {
      timeoutMs: 60_000,
    }).catch((err: Error) => {
      throw new Error(`${err.message}; ${seen()}`);
    });
    const readyz503Ms = Date.now() - stoppedAt;
    say(`every replica's /readyz answers 503 after ${readyz503Ms} ms`);
    await waitFor('HAProxy to take every replica out', () => lbNone('UP'), { timeoutMs: 60_000 });
    const lbDownMs = Date.now() - stoppedAt;
    say(`HAProxy had no replica UP after ${lbDownMs} ms`);
    await sleep(Math.max(0, OUTAGE_SECONDS * 1000 - (Date.now() - stoppedAt)));
    const restartAt = Date.now();
    await outage.start();
    say(`PostgreSQL started again after ${((restartAt - stoppedAt) / 1000).toFixed(1)} s`);
    await waitFor('every /readyz to answer 200', () => allReplicas((s) => s === 200), { timeoutMs: 120_000 });
    const readyz200Ms = Date.now() - restartAt;
    await waitFor('HAProxy to mark every replica UP', () => lbAll('UP'), { timeoutMs: 300_000 });
    const lbUpMs = Date.now() - restartAt;
    say(`recovered: /readyz 200 after ${readyz200Ms} ms, HAProxy UP after ${lbUpMs} ms`);
    const after = parity.replicas();
    const crashed = replicas.filter((r) => !after.some((a) => a.id === r.id && a.pid === r.pid)).length;
    return {
      outageSeconds: (restartAt - stoppedAt) / 1000,
      readyz503Ms,
      lbDownMs,
      readyz200AfterRestartMs: readyz200Ms,
      lbUpAfterRestartMs: lbUpMs,
      replicasCrashed: crashed,
    };
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
  console.log(
    JSON.stringify(
      { date: new Date().toISOString(), cores: cpus().length, loadavg: loadavg(), rate: RATE, results },
      null,
      2,
    ),
  );
}

await main();
