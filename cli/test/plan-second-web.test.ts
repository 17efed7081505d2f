/**
 * `berth plan` over a real synth: a second web service on its own host gets its own target groups and
 * listener rule, and the plan lists it with its route and prices its logs (#13 item 2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebServiceConfig } from '@berth/infra';
import { renderServices } from '../src/plan/format.js';
import { CURRENT_PRICES } from '../src/plan/prices.js';
import { buildPlan } from '../src/plan/report.js';
import { synthesizeWith } from './fixtures/plan/config-change.js';

describe('berth plan with a second web service on another host', async () => {
  const stacks = await synthesizeWith('test', (config) => {
    const web = config.services.find((s) => s.kind === 'web') as WebServiceConfig;
    const admin: WebServiceConfig = {
      ...web,
      name: 'admin',
      containerPort: 9000,
      healthCheck: { ...web.healthCheck, path: '/admin/health' },
      route: { path: '/*', host: 'admin.shop.example', priority: 10 },
      release: undefined,
    };
    const { release: _, ...withoutRelease } = admin;
    // Room for every service at its maxTasks during a deploy (config validation counts them all).
    return {
      ...config,
      cluster: { ...config.cluster, maxInstances: 6 },
      services: [...config.services, withoutRelease],
    };
  });
  const plan = buildPlan(
    'test',
    'eu-west-1',
    stacks.filter((s) => s.stackName !== 'Berth-Global'),
    CURRENT_PRICES,
  );

  it('lists admin with its host rule, its port and its own target groups', () => {
    const admin = plan.summary.services.find((s) => s.name === 'admin');
    assert.deepEqual(
      admin && { kind: admin.kind, port: admin.port, targetGroups: admin.targetGroups, routes: admin.routes },
      {
        kind: 'web',
        port: 9000,
        // test deploys blue/green: a production and an alternate group per web service
        targetGroups: 2,
        routes: [{ paths: ['/*'], hosts: ['admin.shop.example'], priority: 10 }],
      },
    );
    const web = plan.summary.services.find((s) => s.name === 'web')!;
    assert.equal(web.port, 80);
    assert.equal(web.targetGroups, 2, "web keeps its own groups beside admin's");
    assert.match(
      renderServices(plan.summary).join('\n'),
      /\n {2}admin +web +admin\.shop\.example \/\* \(rule 10\) → port 9000, 2 target group\(s\)/,
    );
  });

  it("prices admin's log ingestion beside web's and the worker's", () => {
    assert.deepEqual(
      plan.cost.lines
        .filter((l) => l.item.startsWith('CloudWatch Logs ingestion, service'))
        .map((l) => l.item)
        .sort(),
      [
        'CloudWatch Logs ingestion, service admin',
        'CloudWatch Logs ingestion, service web',
        'CloudWatch Logs ingestion, service worker',
      ],
    );
  });
});
