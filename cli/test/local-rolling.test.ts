import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceConfig } from '@berth/infra';
import { UnhealthyReplicaError } from '../src/local/fleet.js';
import type { Replica } from '../src/local/replica.js';
import { type RollableFleet, RollFailedError, rollFleet } from '../src/local/rolling.js';
import { ENVIRONMENTS, webService } from './fixtures/cart-config.js';

/** A fleet that records what the roll-out asks of it, with the count of replicas alive at every step. */
function fakeFleet(opts: {
  replicas: number;
  minHealthyPercent: number;
  maxPercent: number;
  failVersion?: string;
}) {
  const service: ServiceConfig = {
    ...webService(ENVIRONMENTS.test),
    deployment: {
      ...webService(ENVIRONMENTS.test).deployment,
      minHealthyPercent: opts.minHealthyPercent,
      maxPercent: opts.maxPercent,
    },
  };
  let nextId = 1;
  const alive = new Map<number, Replica>();
  const make = (version: string) => {
    const r = { id: nextId++, version } as unknown as Replica;
    alive.set(r.id, r);
    return r;
  };
  for (let i = 0; i < opts.replicas; i++) make('v1');
  const events: string[] = [];
  let peak = alive.size;
  let trough = alive.size;
  const fleet: RollableFleet = {
    service,
    serving: () => [...alive.values()],
    async launch(version) {
      const r = make(version);
      peak = Math.max(peak, alive.size);
      events.push(`start ${r.id}`);
      if (version === opts.failVersion) {
        alive.delete(r.id);
        throw new UnhealthyReplicaError(`replica ${r.id} did not pass health checks within 60 s`);
      }
      return r;
    },
    async retire(r, { drain }) {
      alive.delete(r.id);
      trough = Math.min(trough, alive.size);
      events.push(`${drain ? 'drain+stop' : 'stop'} ${r.id}`);
    },
    async killWithoutDrain(r) {
      alive.delete(r.id);
      events.push(`kill ${r.id}`);
    },
  };
  return { fleet, events, alive, bounds: () => ({ peak, trough }) };
}

describe('rolling replacement honours minHealthyPercent and maxPercent like ECS', () => {
  it('maxPercent 200 / minHealthy 100: starts all new replicas first, then drains all old ones', async () => {
    const f = fakeFleet({ replicas: 3, minHealthyPercent: 100, maxPercent: 200 });
    const result = await rollFleet(f.fleet, 3, { newVersion: 'v2' });
    assert.deepEqual(f.events, [
      'start 4',
      'start 5',
      'start 6',
      'drain+stop 1',
      'drain+stop 2',
      'drain+stop 3',
    ]);
    assert.deepEqual(result.batches, 1);
    assert.deepEqual(f.bounds(), { peak: 6, trough: 3 });
  });

  it('maxPercent 150 / minHealthy 100 on 4 replicas: batches of 2, never below 4 healthy', async () => {
    const f = fakeFleet({ replicas: 4, minHealthyPercent: 100, maxPercent: 150 });
    const result = await rollFleet(f.fleet, 4);
    assert.equal(result.batches, 2);
    assert.deepEqual(f.bounds(), { peak: 6, trough: 4 });
    assert.ok([...f.alive.values()].every((r) => r.id > 4));
  });

  it('maxPercent 100 / minHealthy 50: stops half first, then replaces, never above desired', async () => {
    const f = fakeFleet({ replicas: 2, minHealthyPercent: 50, maxPercent: 100 });
    await rollFleet(f.fleet, 2);
    assert.deepEqual(f.events, ['drain+stop 1', 'start 3', 'drain+stop 2', 'start 4']);
    assert.deepEqual(f.bounds(), { peak: 2, trough: 1 });
  });

  it('refuses bounds that leave no room to replace anything', async () => {
    const f = fakeFleet({ replicas: 2, minHealthyPercent: 100, maxPercent: 100 });
    await assert.rejects(rollFleet(f.fleet, 2), /raise maxPercent or lower minHealthyPercent/);
    assert.deepEqual(f.events, []);
  });

  it('stops at the first unhealthy batch and leaves the old replicas serving', async () => {
    const f = fakeFleet({ replicas: 2, minHealthyPercent: 100, maxPercent: 200, failVersion: 'bad' });
    await assert.rejects(rollFleet(f.fleet, 2, { newVersion: 'bad' }), (err: Error) => {
      assert.ok(err instanceof RollFailedError);
      assert.equal(err.oldStillServing, 2);
      return true;
    });
    assert.deepEqual(
      [...f.alive.values()].map((r) => r.version),
      ['v1', 'v1'],
    );
  });

  it('kills without draining only when explicitly told to', async () => {
    const f = fakeFleet({ replicas: 1, minHealthyPercent: 100, maxPercent: 200 });
    await rollFleet(f.fleet, 1, { unsafeSkipDrain: true });
    assert.deepEqual(f.events, ['start 2', 'kill 1']);
  });
});
