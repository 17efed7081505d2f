/**
 * `berth up --containers`: the image built from the Dockerfile, run with podman behind HAProxy with the same
 * rolling logic as processes. What it adds over the process test: the container's PID 1 gets SIGTERM and
 * drains (exit 0, not podman's SIGKILL after the stop timeout), and nothing outlives the stack.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { ServiceConfig } from '@berth/infra';
import {
  buildServiceImage,
  checkPrerequisites,
  freePort,
  type LocalParity,
  startLocalParity,
} from '../src/local/index.js';
import { PODMAN_BIN } from '../src/local/podman.js';
import { ENVIRONMENTS, webService } from './fixtures/cart-config.js';

const exec = promisify(execFile);
const base = webService(ENVIRONMENTS.test);
/** CI-sized timings in the test environment's order (delay <= drain < stop timeout), as in local-parity. */
const SERVICE: ServiceConfig = {
  ...base,
  healthCheck: { ...base.healthCheck, intervalSeconds: 1, timeoutSeconds: 1 },
  deregistrationDelaySeconds: 1,
  drainSeconds: 2,
  stopTimeoutSeconds: 10,
  healthCheckGracePeriodSeconds: 120,
};
const TAG = 'localhost/berth-service:parity-test';

const missing = checkPrerequisites({ containers: true });
if (!existsSync('/usr/sbin/runc') && !existsSync('/usr/bin/runc')) missing.push('runc is not installed.');

async function containersOf(pid: number): Promise<string[]> {
  const { stdout } = await exec(PODMAN_BIN, [
    'ps',
    '--filter',
    `name=berth-replica-${pid}-`,
    '--format',
    '{{.Names}}',
  ]);
  return stdout.split('\n').filter(Boolean).sort();
}

describe('local parity with containers', {
  skip: missing.length > 0 ? missing.join(' ') : false,
  timeout: 900_000,
}, () => {
  let parity: LocalParity;
  const lines: string[] = [];

  before(async () => {
    // No registry here: the service helper's test support assembles a Node base image from the host.
    const { ensureLocalNodeImage } = await import('../../service/test/support/container-base.js');
    const baseImage = await ensureLocalNodeImage();
    const image = await buildServiceImage({ log: () => {}, baseImage, tag: TAG });
    parity = await startLocalParity({
      env: 'test',
      replicas: 2,
      port: await freePort(),
      service: SERVICE,
      containerImage: image,
      log: (line) => lines.push(line),
    });
  });

  after(async () => {
    await parity?.stop();
  });

  it('serves through HAProxy from containers of the built image', async () => {
    assert.deepEqual(await containersOf(process.pid), [
      `berth-replica-${process.pid}-1`,
      `berth-replica-${process.pid}-2`,
    ]);
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${parity.url}/api/products`);
      assert.equal(res.status, 200);
    }
  });

  it('rolls the containers: new ones serve, old ones drain and exit 0 on SIGTERM', async () => {
    const result = await parity.roll({ newVersion: 'v2' });
    assert.equal(result.replaced, 2);
    assert.deepEqual(await containersOf(process.pid), [
      `berth-replica-${process.pid}-3`,
      `berth-replica-${process.pid}-4`,
    ]);
    // Exit 0 is the service's own drain; 137 would be podman killing a PID 1 that ignored SIGTERM.
    const stopped = lines.filter((l) => /^replica [12] stopped/.test(l));
    assert.deepEqual(stopped.sort(), [
      'replica 1 stopped (code 0, signal -)',
      'replica 2 stopped (code 0, signal -)',
    ]);
    assert.equal((await fetch(`${parity.url}/api/products`)).status, 200);
  });

  it('leaves no container behind when the stack stops', async () => {
    await parity.stop();
    assert.deepEqual(await containersOf(process.pid), []);
  });
});
