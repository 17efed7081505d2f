/**
 * WebService refuses bad props before it creates anything, and accepts every value at the edge of what is allowed.
 * The edges come from outside the code: Docker's image reference grammar (tags: "may contain lowercase and
 * uppercase letters, digits, underscores, periods and hyphens. A tag name may not start with a period or a
 * hyphen and may contain a maximum of 128 characters", docs.docker.com "docker image tag"), the OCI image spec
 * for digests (`sha256:` + 64 lowercase hex), ALB target group weights (0-999, "Elastic Load Balancing API
 * Reference", TargetGroupTuple Weight), ECS canary percent (0.1-100, "CanaryConfiguration"), CloudWatch Logs
 * retention values (PutRetentionPolicy), and Berth's shutdown promise (stop within 30 s, drain before the kill).
 * Only construction runs here (no synth): validation happens in the constructor, and every case builds on
 * its own fixture stack so one case's resources never leak into another.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EnvName, ServiceConfig } from '../config/environments.js';
import { WebService, type WebServiceProps } from '../lib/constructs/web-service.js';
import { addLoadBalancer, createWebFixture, DISTINCT_SERVICE, platformProps } from './support/web-fixture.js';

type Overrides = Partial<Omit<WebServiceProps, 'service'>> & {
  service?: Partial<ServiceConfig>;
  envName?: EnvName;
};

let built = 0;
function build(overrides: Overrides = {}): WebService {
  const fixture = createWebFixture(`Validation${built++}`);
  return new WebService(fixture.stack, 'Web', {
    envName: 'test',
    name: 'web',
    loadBalancer: addLoadBalancer(fixture, 'test'),
    ...platformProps(fixture),
    logRetentionDays: 30,
    ...overrides,
    service: { ...DISTINCT_SERVICE, ...overrides.service },
  });
}

const accepts = (overrides: Overrides) => assert.doesNotThrow(() => build(overrides));

const hex = (n: number) => '0123456789abcdef'.repeat(5).slice(0, n);

describe('WebService image reference', () => {
  test('a sha256 digest of exactly 64 lowercase hex characters is accepted', () => {
    accepts({ image: `sha256:${hex(64)}` });
  });

  test('digests that are one character short or long, upper case, prefixed or of another algorithm are rejected', () => {
    const message =
      /^Error: image "[^"]*" is neither a digest \(sha256: followed by 64 lowercase hex characters\) nor an image tag; pass the digest `berth build` printed$/;
    for (const image of [
      `sha256:${hex(63)}`,
      `sha256:${hex(65)}`,
      `sha256:${hex(64).toUpperCase()}`,
      `sha256:${hex(63)}g`,
      `xsha256:${hex(64)}`,
      `sha512:${hex(64)}`,
      `berth/service@sha256:${hex(64)}`,
    ]) {
      assert.throws(
        () => build({ image }),
        (error: Error) => message.test(String(error)),
        image,
      );
    }
  });

  test('tags Docker allows are accepted: letters of both cases, digits, _ . - and up to 128 characters', () => {
    for (const image of [
      'v',
      'V',
      '7',
      '_',
      'v1.2.3',
      'Release_2-rc.1',
      'a'.repeat(128),
      `_${'.-'.repeat(63)}9`,
    ]) {
      accepts({ image });
    }
  });

  test('tags Docker refuses are rejected: a leading period or hyphen, 129 characters, a colon or slash', () => {
    for (const image of ['.v1', '-v1', 'a'.repeat(129), 'v1:latest', 'berth/service', 'v 1', '']) {
      assert.throws(() => build({ image }), /neither a digest/, JSON.stringify(image));
    }
  });
});

describe('WebService shutdown timing', () => {
  test('stopTimeoutSeconds from 2 to 30 is accepted (drain one second shorter)', () => {
    accepts({ service: { stopTimeoutSeconds: 2, drainSeconds: 1 } });
    accepts({ service: { stopTimeoutSeconds: 30, drainSeconds: 29 } });
  });

  test('stopTimeoutSeconds of 1 or 31 is rejected with the range and the reason', () => {
    const message = (n: number) =>
      new RegExp(
        `^service\\.stopTimeoutSeconds \\(${n}\\) must be from 2 to 30: ECS on EC2 SIGKILLs after this, and Berth promises shutdown within 30 s$`,
      );
    for (const n of [1, 31]) {
      assert.throws(
        () => build({ service: { stopTimeoutSeconds: n, drainSeconds: 0 } }),
        (error: Error) => message(n).test(error.message),
      );
    }
  });

  test('a drain as long as the stop timeout is rejected: the task would be killed mid-drain', () => {
    assert.throws(
      () => build({ service: { stopTimeoutSeconds: 20, drainSeconds: 20 } }),
      (error: Error) =>
        error.message ===
        'service.drainSeconds (20) must be < stopTimeoutSeconds (20) so the task exits before it is killed',
    );
    accepts({ service: { stopTimeoutSeconds: 20, drainSeconds: 19 } });
  });
});

describe('WebService task counts and port', () => {
  test('minTasks equal to maxTasks is accepted; above it is rejected', () => {
    accepts({ service: { minTasks: 3, maxTasks: 3 } });
    assert.throws(
      () => build({ service: { minTasks: 4, maxTasks: 3 } }),
      (error: Error) => error.message === 'service.minTasks (4) must be <= service.maxTasks (3)',
    );
  });

  test('prod needs two tasks, test may run one', () => {
    accepts({ envName: 'prod', service: { minTasks: 2 } });
    accepts({ envName: 'test', service: { minTasks: 1 } });
    assert.throws(
      () => build({ envName: 'prod', service: { minTasks: 1 } }),
      (error: Error) =>
        error.message === 'service.minTasks (1) must be >= 2 in prod so one AZ can fail without an outage',
    );
  });

  test('port 80 and unprivileged ports are accepted; other privileged ports are rejected', () => {
    accepts({ service: { containerPort: 80 } });
    accepts({ service: { containerPort: 1024 } });
    for (const port of [443, 1023]) {
      assert.throws(
        () => build({ service: { containerPort: port } }),
        (error: Error) => error.message === `service.containerPort (${port}) must be 80 or >= 1024`,
      );
    }
  });
});

describe('WebService production weights and canary percent', () => {
  const blueGreen = { deployment: { ...DISTINCT_SERVICE.deployment, strategy: 'blue-green' as const } };

  test('ALB weights 0 to 999 are accepted, as long as one is not 0', () => {
    accepts({ service: blueGreen, productionWeights: { primary: 999, alternate: 0 } });
    accepts({ service: blueGreen, productionWeights: { primary: 0, alternate: 999 } });
  });

  test('weights outside 0-999, fractional, or both 0 are rejected, whichever side is wrong', () => {
    for (const [primary, alternate] of [
      [1000, 0],
      [0, 1000],
      [-1, 100],
      [100, -1],
      [1.5, 100],
      [100, 2.5],
      [0, 0],
    ] as const) {
      assert.throws(
        () => build({ service: blueGreen, productionWeights: { primary, alternate } }),
        (error: Error) =>
          error.message ===
          `productionWeights (${primary}/${alternate}) must be two ALB weights from 0 to 999, not both 0`,
        `${primary}/${alternate}`,
      );
    }
  });

  test('canary percent from 0.1 to 100 is accepted; outside it is rejected', () => {
    const canary = (canaryPercent: number) => ({
      deployment: { ...DISTINCT_SERVICE.deployment, strategy: 'canary' as const, canaryPercent },
    });
    accepts({ service: canary(0.1) });
    accepts({ service: canary(100) });
    for (const percent of [0.05, 100.5]) {
      assert.throws(
        () => build({ service: canary(percent) }),
        (error: Error) =>
          error.message === `service.deployment.canaryPercent (${percent}) must be from 0.1 to 100`,
      );
    }
  });

  test('the canary percent is not checked for strategies that do not use it', () => {
    accepts({
      service: { deployment: { ...DISTINCT_SERVICE.deployment, strategy: 'rolling', canaryPercent: 0 } },
    });
    accepts({ service: { deployment: { ...blueGreen.deployment, canaryPercent: 0 } } });
  });
});

describe('WebService log retention', () => {
  test('a CloudWatch Logs retention is accepted; another number is rejected with an example', () => {
    accepts({ logRetentionDays: 30 });
    assert.throws(
      () => build({ logRetentionDays: 10 }),
      (error: Error) =>
        error.message === 'logRetentionDays (10) is not a CloudWatch Logs retention such as 14 or 90',
    );
  });
});
