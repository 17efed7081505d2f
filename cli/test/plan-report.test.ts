import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { estimateCost } from '../src/plan/cost.js';
import { renderDiagram, replaceDiagramSection } from '../src/plan/diagram.js';
import { minutes, renderComparison, renderPlan, table, usd } from '../src/plan/format.js';
import { PRICES_2026_11_21 as PRICES } from '../src/plan/prices.js';
import { buildPlan } from '../src/plan/report.js';
import { possibleSavings } from '../src/plan/savings.js';
import { summarize } from '../src/plan/summary.js';
import { ENVIRONMENTS } from './fixtures/cart-config.js';
import { fixtureStacks } from './fixtures/plan/stacks.js';

const cents = (n: number) => Math.round(n * 100) / 100;
const PROD_SIZED = {
  env: 'Prod',
  natGateways: 2,
  multiAz: true,
  instanceType: 't3.medium',
  minInstances: 2,
  dbClass: 'db.t4g.small',
  interfaceEndpoints: 1,
} as const;

describe('possible savings (from the price table)', () => {
  const stacks = fixtureStacks(PROD_SIZED);
  const savings = possibleSavings(
    estimateCost(stacks, PRICES),
    summarize(stacks).sizing,
    'eu-west-1',
    PRICES,
  );
  const saving = (prefix: string) => savings.find((s) => s.change.startsWith(prefix));

  it('one NAT instead of two: (0.048 + 0.005) × 730 = 38.69', () => {
    assert.equal(cents(saving('network.natGateways: 2 → 1')!.monthly), 38.69);
  });

  it('single-AZ database: half of (49.64 instance + 5.08 storage) = 27.36', () => {
    assert.equal(cents(saving('database.multiAz')!.monthly), 27.36);
  });

  it('Graviton: (0.0456 − 0.0368) × 2 × 730 = 12.85', () => {
    assert.equal(cents(saving('cluster.instanceType: t3.medium → t4g.medium')!.monthly), 12.85);
  });

  it('no endpoints: 1 endpoint × 2 AZ × 0.011 × 730 = 16.06', () => {
    assert.equal(cents(saving('network.vpcEndpoints')!.monthly), 16.06);
  });

  it('runs each change through config validation and says which ones prod forbids', () => {
    const checked = possibleSavings(
      estimateCost(stacks, PRICES),
      summarize(stacks).sizing,
      'eu-west-1',
      PRICES,
      ENVIRONMENTS.prod,
    );
    const blocked = new Map(checked.map((s) => [s.change.split(':')[0], s.blockedBy]));
    assert.equal(blocked.get('network.natGateways'), undefined);
    assert.match(
      blocked.get('database.multiAz') ?? '',
      /prod\.database\.multiAz = false: expected true in prod/,
    );
    const text = renderPlan({ ...buildPlan('prod', 'eu-west-1', stacks, PRICES), savings: checked });
    assert.match(
      text,
      /database\.multiAz: true → false +-\$27\.36\/month +not allowed: config prod\.database\.multiAz/,
    );
  });

  it('offers nothing for a test-sized Graviton setup without endpoints', () => {
    const small = fixtureStacks({ instanceType: 't4g.small' });
    assert.deepEqual(
      possibleSavings(estimateCost(small, PRICES), summarize(small).sizing, 'eu-west-1', PRICES),
      [],
    );
  });
});

describe('Container Insights pricing', () => {
  it('bills enhanced observability per observation as usage: 5 million × 0.21 = 1.05', () => {
    const stacks = fixtureStacks();
    const service = stacks[2]!;
    const resources = { ...service.template.Resources };
    resources.Cluster = {
      Type: 'AWS::ECS::Cluster',
      Properties: { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] },
    };
    stacks[2] = { ...service, template: { Resources: resources } };
    const line = estimateCost(stacks, PRICES).lines.find((l) => l.item.startsWith('Container Insights'));
    assert.equal(line?.kind, 'usage');
    assert.equal(cents(line?.monthly ?? 0), 1.05);
  });
});

describe('text rendering', () => {
  it('formats money, durations and aligned columns', () => {
    assert.equal(usd(120.874), '$120.87');
    assert.equal(usd(3), '$3.00');
    assert.equal(minutes(510), '8m 30s');
    assert.equal(minutes(45), '45s');
    assert.deepEqual(
      table(
        [
          ['a', '$1.00'],
          ['long name', '$10.00'],
        ],
        [1],
      ),
      ['a           $1.00', 'long name  $10.00'],
    );
  });

  it('renders a plan with totals, exposure, deploy time, the offline diff note', () => {
    const text = renderPlan(buildPlan('test', 'eu-west-1', fixtureStacks(), PRICES));
    // Totals hand-computed in plan-cost.test.ts.
    assert.match(text, /floor \(idle, minimum size\) +\$111\.22/);
    assert.match(text, /total +\$120\.87/);
    assert.match(text, /tcp 80 +from 0\.0\.0\.0\/0 +AWS::ElasticLoadBalancingV2::LoadBalancer Alb/);
    // Two identical alarms in one stack become one line.
    assert.match(text, /CloudWatch alarm +Monitoring +2 metric-month × \$0\.1 +\$0\.20/);
    assert.match(text, /deploy +~1m 00s: 1 batch\(es\) of 1/);
    assert.match(text, /ecs-patterns defaults ~8m 30s/);
    assert.match(text, /diff against deployed stacks: not run/);
  });

  it('compares environments side by side', () => {
    const text = renderComparison([
      buildPlan('test', 'eu-west-1', fixtureStacks(), PRICES),
      buildPlan('prod', 'eu-west-1', fixtureStacks({ ...PROD_SIZED, minTasks: 2, maxTasks: 10 }), PRICES),
    ]);
    assert.match(text, /NAT gateways +1 +2/);
    // Each service with its task range.
    assert.match(text, /\n {2}tasks +web 1–4 +web 2–10\n/);
    assert.match(text, /total \/ month +\$120\.87 +\$\d+\.\d{2}/);
    assert.match(text, /prod could save/);
  });

  it('marks the written diagram section with the command that regenerates it', () => {
    const doc = '<!-- berth:diagram:start -->\n<!-- berth:diagram:end -->\n';
    const written = replaceDiagramSection(
      doc,
      renderDiagram(fixtureStacks()),
      'npx berth plan test --diagram',
    );
    assert.match(
      written,
      /<!-- generated by `npx berth plan test --diagram`: edit the stacks, not this diagram -->/,
    );
  });
});
