/**
 * `berth plan` of an app whose every service runs a prebuilt image (#13, "give me an image"): the synthesized
 * stacks hold no ECR repository, so the plan prices no ECR storage and its diagram draws no registry; the
 * tag-pinned reference is warned about, the digest-pinned one is not. One real synth of the test environment.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { estimateCost } from '../src/plan/cost.js';
import { renderDiagram } from '../src/plan/diagram.js';
import { renderPlan } from '../src/plan/format.js';
import { prebuiltImageWarnings } from '../src/plan/image-warnings.js';
import { PRICES_2026_11_21 as PRICES } from '../src/plan/prices.js';
import { buildPlan, type PlanReport } from '../src/plan/report.js';
import { stacksFor, synthesizeStacks } from '../src/plan/synth.js';
import type { StackTemplate } from '../src/plan/template.js';
import { PREBUILT_ONLY } from './scenarios/configs.js';

const TEST_STACKS = ['Network', 'Data', 'Service', 'Monitoring'].map((c) => `Kiosk-Test-eu-west-1-${c}`);

/** The cost line of an ECR repository, as the plan prices one (AWS pricing: ECR storage per GB-month). */
const ecrLines = (report: PlanReport) => report.cost.lines.filter((l) => l.type.startsWith('AWS::ECR::'));

describe('berth plan of an app of prebuilt images', { timeout: 120_000 }, () => {
  let stacks: StackTemplate[];
  let report: PlanReport;
  before(async () => {
    const all = await synthesizeStacks(PREBUILT_ONLY, ['test']);
    stacks = stacksFor(all, TEST_STACKS, 'Kiosk-Global');
    report = buildPlan('test', 'eu-west-1', stacks, PRICES, undefined, PREBUILT_ONLY.environments.test);
  });

  it('has every stack of test plus Global, and no ECR line in the cost or the rendered plan', () => {
    assert.deepEqual(stacks.map((s) => s.stackName).sort(), ['Kiosk-Global', ...TEST_STACKS].sort());
    assert.deepEqual(ecrLines(report), []);
    // The price sources name ECR among the pages read; no line bills it.
    assert.ok(!renderPlan(report).includes('ECR image storage'), renderPlan(report));
    assert.ok(!renderDiagram(stacks).includes('ECR repository'));
  });

  it('the same check finds the line for a stack that has a repository', () => {
    const withRegistry: StackTemplate = {
      stackName: 'Kiosk-Global',
      region: 'eu-west-1',
      template: { Resources: { Repository: { Type: 'AWS::ECR::Repository', Properties: {} } } },
    };
    const lines = estimateCost([withRegistry], PRICES).lines.filter((l) => l.type.startsWith('AWS::ECR::'));
    assert.deepEqual(
      lines.map((l) => l.item),
      ['ECR image storage'],
    );
    assert.ok(
      renderPlan(buildPlan('test', 'eu-west-1', [withRegistry], PRICES)).includes('ECR image storage'),
    );
  });

  it('warns about relay, named by a tag, and not about site, pinned by digest', () => {
    assert.deepEqual(prebuiltImageWarnings(PREBUILT_ONLY.environments.test), [
      'services.relay.image = "ghcr.io/kiosk-team/relay:2.4" is not pinned by digest: each task pulls what the tag names when it starts, so test and prod can run different images; pin it as ghcr.io/kiosk-team/relay:2.4@sha256:<digest>',
    ]);
  });
});
