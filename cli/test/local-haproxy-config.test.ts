import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { maxRunning, minHealthy, renderHaproxyConfig } from '../src/local/haproxy-config.js';
import { checkPrerequisites } from '../src/local/index.js';
import { ENVIRONMENTS, webService } from './fixtures/cart-config.js';

describe('HAProxy config generated from the environment config', () => {
  for (const env of ['test', 'prod'] as const) {
    it(`mirrors the ${env} target group health check, timeouts and deployment bounds`, () => {
      // GIVEN the service settings the CDK target group is built from
      const service = webService(ENVIRONMENTS[env]);
      const hc = service.healthCheck;
      // WHEN the local load balancer config is rendered for 3 replicas
      const cfg = renderHaproxyConfig({
        service,
        replicas: 3,
        listenPort: 18080,
        adminSocket: '/tmp/x.sock',
      });
      // THEN it probes the same path with the same interval, timeout and thresholds
      assert.match(cfg, new RegExp(`option httpchk GET ${hc.path}\\n`));
      assert.match(cfg, new RegExp(`timeout check ${hc.timeoutSeconds}s\\n`));
      assert.match(cfg, new RegExp(`inter ${hc.intervalSeconds}s `));
      assert.match(cfg, new RegExp(`rise ${hc.healthyThreshold} fall ${hc.unhealthyThreshold}\\n`));
      assert.match(cfg, /http-check expect status 200\n/);
      // AND it has one slot per task ECS may run during a deployment (maxPercent), all empty at first
      const slots = cfg.match(/^ {2}server s\d+ 127\.0\.0\.1:1 disabled$/gm) ?? [];
      assert.equal(slots.length, Math.floor((3 * service.deployment.maxPercent) / 100));
      // AND an admin runtime API, ALB-like keep-alive, and nothing that would retry a failed request
      assert.match(cfg, /stats socket \/tmp\/x\.sock mode 600 level admin\n/);
      assert.match(cfg, /option http-keep-alive\n/);
      assert.match(cfg, /timeout client 60s\n/);
      assert.match(cfg, /retries 0\n/);
      assert.doesNotMatch(cfg, /redispatch|retry-on/);
      assert.match(cfg, /bind 127\.0\.0\.1:18080\n/);
    });
  }

  it('follows a changed health check, so the two configs cannot drift', () => {
    const base = webService(ENVIRONMENTS.test);
    const service = {
      ...base,
      healthCheck: { ...base.healthCheck, path: '/ready', intervalSeconds: 7, healthyThreshold: 4 },
    };
    const cfg = renderHaproxyConfig({ service, replicas: 1, listenPort: 1, adminSocket: '/s' });
    assert.match(cfg, /option httpchk GET \/ready\n/);
    assert.match(cfg, /inter 7s .* rise 4 /);
  });

  it('refuses a replica count that is not a positive integer', () => {
    const service = webService(ENVIRONMENTS.test);
    assert.throws(
      () => renderHaproxyConfig({ service, replicas: 0, listenPort: 1, adminSocket: '/s' }),
      /replicas must be a positive integer/,
    );
  });

  it('computes ECS deployment bounds: maxPercent rounds down, minHealthyPercent rounds up', () => {
    assert.equal(maxRunning(3, 200), 6);
    assert.equal(maxRunning(3, 150), 4);
    assert.equal(maxRunning(1, 100), 1);
    assert.equal(minHealthy(3, 100), 3);
    assert.equal(minHealthy(3, 50), 2);
    assert.equal(minHealthy(2, 0), 0);
  });
});

describe('checkPrerequisites', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-prereq-'));
  const missing = { haproxy: join(dir, 'no-haproxy'), podman: join(dir, 'no-podman') };
  const present = { haproxy: join(dir, 'haproxy'), podman: join(dir, 'podman') };
  writeFileSync(present.haproxy, '');
  writeFileSync(present.podman, '');

  it('names missing haproxy and the apt-get command; PostgreSQL comes from npm', () => {
    const lines = checkPrerequisites({ paths: missing });
    assert.deepEqual(lines, [
      `haproxy is not installed (${missing.haproxy} not found): it is the local stand-in for the ALB.`,
      'Install with: apt-get install -y haproxy',
    ]);
  });

  it('asks for podman and runc only with --containers', () => {
    const lines = checkPrerequisites({ containers: true, paths: { ...missing, haproxy: present.haproxy } });
    assert.deepEqual(lines, [
      `podman is not installed (${missing.podman} not found): --containers runs the service image with it.`,
      'Install with: apt-get install -y podman runc',
    ]);
    assert.equal(
      checkPrerequisites({ containers: true, paths: missing }).at(-1),
      'Install with: apt-get install -y haproxy podman runc',
    );
  });

  it('is empty when the tools are there', () => {
    assert.deepEqual(checkPrerequisites({ containers: true, paths: present }), []);
  });
});
