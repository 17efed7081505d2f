/**
 * #11 "Done when": every ordinary day-2 change, synthesized before and after from the real CDK app, is
 * one the plan finds safe to apply over the running stacks. "Introduces no finding" = the findings of
 * (deployed: before, proposed: after) minus the standing ones of the unchanged environment; the standing
 * ones have their own test at the end.
 *
 * Cost: one synth per config (~3–4 s idle); baselines and each variant are synthesized once and reused.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { WebServiceConfig } from '@berth/infra';
import { assessChangeSafety } from '../src/plan/change-safety.js';
import type { StackTemplate } from '../src/plan/template.js';
import { withWebService } from './fixtures/cart-config.js';
import { type ConfigEdit, synthesizeWith } from './fixtures/plan/config-change.js';

const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-4bbb-8ccc-123456789abc';
const ZONE = { id: 'Z08912345QWERTYUIOPAS', name: 'berth-matrix.org' };

const withStrategy =
  (strategy: WebServiceConfig['deployment']['strategy']): ConfigEdit =>
  (c) =>
    withWebService(c, (web) => ({ ...web, deployment: { ...web.deployment, strategy } }));

/** The prod variants; `base` is prod as configured: blue/green, 2 NAT, no domain (HTTP only), no alarm e-mail, WAF blocking. */
const PROD: Record<string, ConfigEdit> = {
  base: (c) => c,
  /** A domain whose certificate the stack creates (DNS validation in the zone). */
  domain: (c) => ({ ...c, domain: { name: 'shop.berth-matrix.org', hostedZone: ZONE } }),
  /** A domain served with a certificate the user already has. */
  domainOwnCertificate: (c) => ({
    ...c,
    domain: { name: 'shop.berth-matrix.org', hostedZone: ZONE, certificateArn: CERTIFICATE },
  }),
  rolling: withStrategy('rolling'),
  canary: withStrategy('canary'),
  databaseClassUp: (c) => ({ ...c, database: { ...c.database, instanceClass: 't4g.large' } }),
  secondRegion: (c) => ({ ...c, regions: ['eu-west-1', 'eu-west-2'] }),
  instanceType: (c) => ({ ...c, cluster: { ...c.cluster, instanceType: 't3.large' } }),
  alarmEmail: (c) => ({ ...c, alarms: { email: 'oncall@example.org' } }),
  tracing: (c) => ({ ...c, tracing: { enabled: true, sampleRatio: 0.2 } }),
  vpcEndpoints: (c) => ({ ...c, network: { ...c.network, vpcEndpoints: true } }),
  wafOff: (c) => ({ ...c, waf: { ...c.waf, enabled: false } }),
  wafCount: (c) => ({ ...c, waf: { ...c.waf, enabled: true, mode: 'count' } }),
  execOff: (c) => ({ ...c, exec: { enabled: false } }),
  execOn: (c) => ({ ...c, exec: { enabled: true } }),
  scalingBounds: (c) =>
    withWebService({ ...c, cluster: { ...c.cluster, minInstances: 3, maxInstances: 8 } }, (web) => ({
      ...web,
      minTasks: 3,
      maxTasks: 12,
    })),
};

/** Test's variants name both ends explicitly, so the cases hold whatever test's own defaults are. */
const TEST: Record<string, ConfigEdit> = {
  nat1: (c) => ({ ...c, network: { ...c.network, natGateways: 1 } }),
  nat2: (c) => ({ ...c, network: { ...c.network, natGateways: 2 } }),
  rolling: withStrategy('rolling'),
  blueGreen: withStrategy('blue-green'),
  canary: withStrategy('canary'),
};

const CASES: readonly { name: string; env: 'prod' | 'test'; from: string; to: string }[] = [
  { name: 'domain with HTTPS on', env: 'prod', from: 'base', to: 'domain' },
  { name: 'domain with HTTPS off', env: 'prod', from: 'domain', to: 'base' },
  { name: 'domain on, own certificate', env: 'prod', from: 'base', to: 'domainOwnCertificate' },
  { name: 'domain off, own certificate', env: 'prod', from: 'domainOwnCertificate', to: 'base' },
  { name: 'own certificate → created certificate', env: 'prod', from: 'domainOwnCertificate', to: 'domain' },
  { name: 'blue-green → rolling', env: 'prod', from: 'base', to: 'rolling' },
  { name: 'blue-green → canary', env: 'prod', from: 'base', to: 'canary' },
  { name: 'canary → blue-green', env: 'prod', from: 'canary', to: 'base' },
  { name: 'canary → rolling', env: 'prod', from: 'canary', to: 'rolling' },
  { name: 'rolling → blue-green', env: 'test', from: 'rolling', to: 'blueGreen' },
  { name: 'rolling → canary', env: 'test', from: 'rolling', to: 'canary' },
  { name: 'database class up', env: 'prod', from: 'base', to: 'databaseClassUp' },
  { name: 'NAT gateways 1 → 2', env: 'test', from: 'nat1', to: 'nat2' },
  { name: 'a second region', env: 'prod', from: 'base', to: 'secondRegion' },
  { name: 'instance type', env: 'prod', from: 'base', to: 'instanceType' },
  { name: 'alarm e-mail', env: 'prod', from: 'base', to: 'alarmEmail' },
  { name: 'tracing on', env: 'prod', from: 'base', to: 'tracing' },
  { name: 'tracing off', env: 'prod', from: 'tracing', to: 'base' },
  { name: 'VPC endpoints on', env: 'prod', from: 'base', to: 'vpcEndpoints' },
  { name: 'VPC endpoints off', env: 'prod', from: 'vpcEndpoints', to: 'base' },
  { name: 'scaling bounds', env: 'prod', from: 'base', to: 'scalingBounds' },
  { name: 'WAF off', env: 'prod', from: 'base', to: 'wafOff' },
  { name: 'WAF on', env: 'prod', from: 'wafOff', to: 'base' },
  { name: 'WAF count → block', env: 'prod', from: 'wafCount', to: 'base' },
  { name: 'exec on', env: 'prod', from: 'execOff', to: 'execOn' },
  { name: 'exec off', env: 'prod', from: 'execOn', to: 'execOff' },
];

const synthesized = new Map<string, Promise<StackTemplate[]>>();
function variant(env: 'prod' | 'test', name: string): Promise<StackTemplate[]> {
  const key = `${env}/${name}`;
  if (!synthesized.has(key)) {
    const edit = (env === 'prod' ? PROD : TEST)[name]!;
    const result = synthesizeWith(env, edit);
    result.catch(() => {}); // awaited by the case that uses it
    synthesized.set(key, result);
  }
  return synthesized.get(key)!;
}

function introducedFindings(from: readonly StackTemplate[], to: readonly StackTemplate[]): string[] {
  const standing = new Set(assessChangeSafety({ deployed: from, proposed: from }).map((f) => f.id));
  return assessChangeSafety({ deployed: from, proposed: to })
    .filter((f) => !standing.has(f.id))
    .map((f) => `${f.id}: ${f.message}`);
}

describe('change safety: ordinary day-2 changes are safe over the running stacks', {
  timeout: 600_000,
}, () => {
  // Synthesize in sequence, not in parallel: the synth is CPU-bound and the cases share baselines.
  before(async () => {
    for (const c of CASES) {
      await variant(c.env, c.from).catch(() => {});
      await variant(c.env, c.to).catch(() => {});
    }
  });

  for (const c of CASES) {
    it(`${c.name} (${c.env}): the plan finds nothing`, async () => {
      const from = await variant(c.env, c.from);
      const to = await variant(c.env, c.to);
      // The edit must change something, or the case proves nothing.
      assert.notDeepEqual(to, from, `${c.name}: the config edit changed no template`);
      assert.deepEqual(introducedFindings(from, to), []);
    });
  }

  for (const env of ['test', 'prod'] as const) {
    it(`${env} unchanged: no standing finding`, async () => {
      const stacks = await variant(env, env === 'prod' ? 'base' : 'nat1');
      assert.deepEqual(
        assessChangeSafety({ deployed: stacks, proposed: stacks }).map((f) => f.id),
        [],
      );
    });
  }
});
