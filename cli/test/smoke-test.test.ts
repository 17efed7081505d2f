import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../src/errors.js';
import { type Fetch, smokeTargets, smokeTest } from '../src/smoke-test.js';
import { ADMIN, API, WEB, WORKER, withServices } from './fixtures/services-config.js';

const ENV_URL = 'http://shop-test-alb-42.eu-west-1.elb.amazonaws.com';

describe('smokeTargets: each web service, at its URL output, on its health path', () => {
  const config = withServices([WEB, WORKER, ADMIN, API]).environments.test;
  const outputs = {
    ServiceUrl: ENV_URL,
    WebUrl: ENV_URL,
    AdminUrl: 'https://admin.shop.example',
    ApiUrl: `${ENV_URL}/api`,
  };

  it('checks web and admin, skips the worker, and names the service whose health path its route cannot reach', () => {
    assert.deepEqual(smokeTargets(config, outputs), {
      targets: [
        { service: 'web', url: ENV_URL, healthPath: '/readyz' },
        { service: 'admin', url: 'https://admin.shop.example', healthPath: '/admin/health' },
      ],
      unreachable: ['api (health path /health is outside its route /api/*)'],
    });
  });

  it('a web service without its URL output: one line saying to deploy', () => {
    const { AdminUrl: _, ...withoutAdmin } = outputs;
    assert.throws(() => smokeTargets(config, withoutAdmin), {
      name: 'CliError',
      message:
        'output AdminUrl not found in the test stacks: deploy the environment first (berth deploy test)',
    });
  });

  it("a path route whose pattern covers the health path is checked (ALB's * and ? wildcards)", () => {
    const api = { ...API, healthCheck: { ...API.healthCheck, path: '/api/v1/health' } };
    const legacy = {
      ...API,
      name: 'legacy',
      route: { path: '/v?/old*', priority: 30 },
      healthCheck: { ...API.healthCheck, path: '/v2/old/ping' },
    };
    const env = withServices([WEB, api, legacy]).environments.test;
    const result = smokeTargets(env, {
      WebUrl: ENV_URL,
      ApiUrl: `${ENV_URL}/api`,
      LegacyUrl: `${ENV_URL}/v`,
    });
    assert.deepEqual(
      result.targets.map((t) => t.service),
      ['web', 'api', 'legacy'],
    );
  });
});

describe('smokeTest', () => {
  it("GETs every target's health path from its URL's origin, in order", async () => {
    const called: string[] = [];
    const fake: Fetch = async (url) => {
      called.push(url);
      return new Response('ok', { status: 200 });
    };
    await smokeTest(
      [
        { service: 'web', url: 'https://shop.berth-smoke.org', healthPath: '/readyz' },
        { service: 'admin', url: 'https://admin.berth-smoke.org', healthPath: '/admin/health' },
        { service: 'api', url: 'https://shop.berth-smoke.org/api', healthPath: '/api/health' },
      ],
      fake,
    );
    assert.deepEqual(called, [
      'https://shop.berth-smoke.org/readyz',
      'https://admin.berth-smoke.org/admin/health',
      'https://shop.berth-smoke.org/api/health',
    ]);
  });

  it('stops at the first service that does not answer 200, naming it', async () => {
    const fake: Fetch = async (url) => new Response('', { status: url.includes('admin') ? 503 : 200 });
    await assert.rejects(
      smokeTest(
        [
          { service: 'web', url: 'https://shop.berth-smoke.org', healthPath: '/readyz' },
          { service: 'admin', url: 'https://admin.berth-smoke.org', healthPath: '/admin/health' },
        ],
        fake,
      ),
      {
        name: 'CliError',
        message:
          'smoke test of admin: GET https://admin.berth-smoke.org/admin/health returned 503, expected 200',
      },
    );
  });

  it('a TLS name mismatch shows the reason fetch hides in `cause`, not only "fetch failed"', async () => {
    // Node's fetch rejects with TypeError("fetch failed") and the socket error as its cause.
    const altnames =
      "Hostname/IP does not match certificate's altnames: Host: shop.berth-smoke.org. is not in the cert's altnames: DNS:*.elb.amazonaws.com";
    const fake: Fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error(altnames) });
    };
    await assert.rejects(
      smokeTest([{ service: 'web', url: 'https://shop.berth-smoke.org', healthPath: '/readyz' }], fake),
      (e: unknown) =>
        e instanceof CliError &&
        e.message ===
          `smoke test of web: GET https://shop.berth-smoke.org/readyz failed (fetch failed: ${altnames})`,
    );
  });
});
