/**
 * End to end, offline: synthesize the real CDK app once (both environments), then run the real bin against
 * that cloud assembly. The in-process synth is the same `synthesizeAssembly` the command uses without
 * --assembly; reusing its output keeps this file to one synth (~5 s idle, longer on a busy machine).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { extractDiagramSection, renderDiagram } from '../src/plan/diagram.js';
import type { PlanReport } from '../src/plan/report.js';
import { stacksFor, synthesizeAssembly } from '../src/plan/synth.js';
import type { StackTemplate } from '../src/plan/template.js';
import { targetFor } from '../src/target.js';
import { CART, ENVIRONMENTS, webService } from './fixtures/cart-config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARCHITECTURE = join(ROOT, 'docs/architecture.md');
/** The environment whose diagram docs/architecture.md shows: prod has every tier (2 NAT, DB standby). */
const DOCUMENTED_ENV = 'prod';

let assembly: string;
let stacks: StackTemplate[];

function berth(...args: string[]) {
  const run = spawnSync(process.execPath, ['cli/bin/berth.js', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    // Belt and braces: nothing here may reach AWS.
    env: {
      ...process.env,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: '',
    },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function planJson(env: string): PlanReport {
  const run = berth('plan', env, '--json', '--assembly', assembly);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as PlanReport;
}

describe('berth plan, offline against the synthesized app', { timeout: 300_000 }, () => {
  before(async () => {
    assembly = mkdtempSync(join(tmpdir(), 'berth-plan-e2e-'));
    stacks = await synthesizeAssembly(CART, ['test', 'prod'], assembly);
  });
  after(() => rmSync(assembly, { recursive: true, force: true }));

  const plans = new Map<string, PlanReport>();
  const plan = (env: string) => {
    if (!plans.has(env)) plans.set(env, planJson(env));
    return plans.get(env)!;
  };

  for (const env of ['test', 'prod'] as const) {
    it(`${env}: only the load balancer is reachable from the internet, on 80 (443 with a certificate)`, () => {
      const { exposure } = plan(env).summary;
      const expectedPorts = ENVIRONMENTS[env].domain ? ['443', '80'] : ['80'];
      assert.deepEqual(exposure.map((e) => e.ports).sort(), expectedPorts);
      for (const rule of exposure) {
        assert.equal(rule.attachedTo.length, 1, JSON.stringify(rule));
        assert.match(rule.attachedTo[0]!, /^AWS::ElasticLoadBalancingV2::LoadBalancer /);
      }
    });

    it(`${env}: every resource type is priced or explicitly free`, () => {
      const { cost } = plan(env);
      assert.deepEqual(cost.notPriced, [], 'teach cli/src/plan/cost.ts about these types');
      assert.ok(cost.floorMonthly > 50, `floor ${cost.floorMonthly}`);
    });
  }

  it('prod costs more than test and runs two NAT gateways and a Multi-AZ database', () => {
    const test = plan('test');
    const prod = plan('prod');
    assert.ok(
      prod.cost.totalMonthly > test.cost.totalMonthly,
      `${prod.cost.totalMonthly} > ${test.cost.totalMonthly}`,
    );
    assert.equal(prod.summary.sizing.natGateways, 2);
    assert.equal(test.summary.sizing.natGateways, 1);
    assert.equal(prod.cost.lines.filter((l) => l.item === 'NAT gateway').length, 2);
    assert.equal(prod.summary.sizing.dbMultiAz, true);
    assert.ok(prod.savings.some((s) => s.change.startsWith('network.natGateways: 2 → 1') && !s.blockedBy));
    // validate.ts insists on Multi-AZ in prod, so the plan must not offer it as a plain saving.
    assert.match(
      prod.savings.find((s) => s.change.startsWith('database.multiAz'))?.blockedBy ?? '',
      /true in prod/,
    );
  });

  it('estimates deploy time from the synthesized numbers, faster than ecs-patterns defaults', () => {
    for (const env of ['test', 'prod'] as const) {
      const deploy = plan(env).deployTime;
      assert.ok(deploy, `${env} has a service`);
      const hc = webService(ENVIRONMENTS[env]).healthCheck;
      assert.equal(deploy.estimate.inputs.healthCheckIntervalSeconds, hc.intervalSeconds);
      assert.equal(
        deploy.estimate.inputs.deregistrationDelaySeconds,
        webService(ENVIRONMENTS[env]).deregistrationDelaySeconds,
      );
      assert.equal(deploy.ecsPatternsDefaults.perBatchSeconds, 510);
      if (webService(ENVIRONMENTS[env]).deployment.strategy === 'rolling') {
        assert.ok(deploy.estimate.deploySeconds < deploy.ecsPatternsDefaults.deploySeconds);
      }
    }
  });

  it('models first create, update and rollback of the whole flow (#10 item 14)', () => {
    const prod = plan('prod').timeline;
    const test = plan('test').timeline;
    // prod: Multi-AZ RDS 20 min + NAT 3 + ALB 3, in sequence across stacks: at least 26 min.
    assert.ok(prod.firstCreateMinutes >= 26, `prod first create ${prod.firstCreateMinutes}`);
    assert.match(prod.firstCreate.find((s) => s.stackName.endsWith('-Data'))!.why, /Multi-AZ RDS 20 min/);
    assert.ok(test.firstCreateMinutes < prod.firstCreateMinutes);
    // berth rollback redeploys the previous digest with prod's blue/green, so it waits out the 5 min bake.
    assert.ok(prod.rollbackMinutes > 5, `prod rollback ${prod.rollbackMinutes}`);
    assert.ok(prod.updateMinutes > prod.rollbackMinutes);
    assert.ok(prod.suggestedTimeoutMinutes.firstCreate > prod.firstCreateMinutes);
  });

  it('runs the change-safety check against nothing when no deploy is recorded', () => {
    const safety = plan('prod').changeSafety;
    assert.equal(safety?.against, 'none');
    assert.ok(safety?.configWarnings.some((w) => w.startsWith('prod: alarms notify nobody')));
  });

  it('prints a readable text plan and a side-by-side comparison', () => {
    const text = berth('plan', 'test', '--assembly', assembly);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /Reachable from the internet\n {2}tcp 80 +from 0\.0\.0\.0\/0 +AWS::ElasticLoadBalancingV2::LoadBalancer/,
    );
    assert.match(text.stdout, /\n {2}total +\$\d+\.\d{2}\n/);
    assert.match(text.stdout, /diff against deployed stacks: not run/);
    const compare = berth('plan', '--compare', '--assembly', assembly);
    assert.equal(compare.code, 0, compare.stderr);
    assert.match(compare.stdout, /test \(eu-west-1\) +prod \(eu-west-1\)/);
    assert.match(compare.stdout, /total \/ month +\$\d+\.\d{2} +\$\d+\.\d{2}/);
  });

  it('writes the diagram between the markers of a copy of docs/architecture.md', () => {
    const copy = join(assembly, 'architecture.md');
    copyFileSync(ARCHITECTURE, copy);
    const run = berth('plan', 'test', '--diagram', '--write', copy, '--assembly', assembly);
    assert.equal(run.code, 0, run.stderr);
    const written = extractDiagramSection(readFileSync(copy, 'utf8'));
    assert.match(written ?? '', /nat1\["NAT gateway<br\/>eu-west-1a"\]/);
    assert.ok(readFileSync(copy, 'utf8').includes('## Decisions'), 'the rest of the document is kept');
  });

  it('the diagram committed in docs/architecture.md is current', () => {
    const target = targetFor(
      CART.names,
      ENVIRONMENTS[DOCUMENTED_ENV],
      ENVIRONMENTS[DOCUMENTED_ENV].regions[0]!,
    );
    const expected = renderDiagram(
      stacksFor(stacks, Object.values(target.stacks), CART.names.globalStackName),
    );
    assert.equal(
      extractDiagramSection(readFileSync(ARCHITECTURE, 'utf8')),
      expected,
      `stale: run npx berth plan ${DOCUMENTED_ENV} --diagram --write docs/architecture.md`,
    );
  });
});

describe('berth plan argument errors', () => {
  it('names the known environments for an unknown one', () => {
    const run = berth('plan', 'staging');
    assert.equal(run.code, 1);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /unknown environment "staging": use one of test, prod/);
  });

  it('asks for an environment when none is given', () => {
    const run = berth('plan');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /which environment\?/);
  });

  it('says how to get an assembly when --assembly points nowhere', () => {
    const run = berth('plan', 'test', '--assembly', '/nonexistent');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no cloud assembly in \/nonexistent: run npm run synth -w infra first/);
  });
});
