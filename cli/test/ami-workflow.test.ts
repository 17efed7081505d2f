import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const WORKFLOW = fileURLToPath(new URL('../../.github/workflows/ami.yml', import.meta.url));

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string | string[];
  readonly environment?: string | { name: string };
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions: Record<string, string>;
  readonly concurrency: { group: string; 'cancel-in-progress': boolean };
  readonly jobs: Record<string, Job>;
}

const needsOf = (job: Job) => (job.needs === undefined ? [] : [job.needs].flat());
const environmentOf = (job: Job) =>
  typeof job.environment === 'object' ? job.environment.name : job.environment;

describe('.github/workflows/ami.yml', () => {
  let text = '';
  let workflow: Workflow;
  before(async () => {
    text = await readFile(WORKFLOW, 'utf8');
    workflow = parse(text) as Workflow;
  });

  it('runs monthly, on pushes to ami/** on main, and by hand', () => {
    const schedule = workflow.on.schedule as { cron: string }[];
    assert.equal(schedule.length, 1);
    const [minute, hour, dayOfMonth, month, dayOfWeek] = schedule[0]!.cron.split(' ');
    assert.ok(
      [minute, hour].every((f) => /^\d+$/.test(f ?? '')),
      'a fixed time of day',
    );
    assert.match(dayOfMonth ?? '', /^\d+$/, 'one day of the month');
    assert.deepEqual([month, dayOfWeek], ['*', '*'], 'every month');
    assert.deepEqual(workflow.on.push, { branches: ['main'], paths: ['ami/**'] });
    assert.ok('workflow_dispatch' in workflow.on);
    assert.equal(Object.keys(workflow.on).length, 3, 'no pull_request trigger: forks must not reach AWS');
  });

  it('chains build → publish-test → rollout-test → prod → publish-prod → rollout-prod', () => {
    const order = ['build', 'publish-test', 'rollout-test', 'prod', 'publish-prod', 'rollout-prod'];
    assert.deepEqual(Object.keys(workflow.jobs).sort(), [...order].sort());
    order.forEach((name, i) => {
      assert.deepEqual(needsOf(workflow.jobs[name]!), i === 0 ? [] : [order[i - 1]], `${name} needs`);
    });
  });

  it('gates everything that touches prod behind the prod environment (required reviewers)', () => {
    for (const name of ['prod', 'publish-prod', 'rollout-prod']) {
      assert.equal(environmentOf(workflow.jobs[name]!), 'prod', name);
    }
    for (const name of ['build', 'publish-test', 'rollout-test']) {
      assert.notEqual(environmentOf(workflow.jobs[name]!), 'prod', name);
    }
    const prodCommands = ['publish-prod', 'rollout-prod'].flatMap((n) =>
      workflow.jobs[n]!.steps.map((s) => s.run ?? ''),
    );
    assert.ok(prodCommands.some((c) => c.includes('berth ami publish prod')));
    assert.ok(prodCommands.some((c) => c.includes('berth ami rollout prod')));
  });

  it('promotes the AMI ids built once: both publish jobs read the build manifest artifact', () => {
    const uploaded = workflow.jobs.build!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    assert.equal(uploaded?.with?.name, 'ami-manifest');
    for (const name of ['publish-test', 'publish-prod']) {
      const downloaded = workflow.jobs[name]!.steps.find((s) =>
        s.uses?.startsWith('actions/download-artifact@'),
      );
      assert.equal(downloaded?.with?.name, 'ami-manifest', name);
    }
    const builds = Object.values(workflow.jobs)
      .flatMap((j) => j.steps)
      .filter((s) => /ami build|packer build/.test(s.run ?? ''));
    assert.equal(builds.length, 1);
  });

  it('asks only for an OIDC token and read access, and never overlaps runs', () => {
    assert.deepEqual(workflow.permissions, { 'id-token': 'write', contents: 'read' });
    assert.equal(workflow.concurrency['cancel-in-progress'], false);
    assert.ok(workflow.concurrency.group);
  });

  it('uses no static AWS keys: every AWS step assumes a role', () => {
    assert.doesNotMatch(
      text,
      /aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/i,
    );
    assert.doesNotMatch(text, /secrets\.AWS/i);
    const awsSteps = Object.values(workflow.jobs)
      .flatMap((j) => j.steps)
      .filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    assert.ok(awsSteps.length >= 5);
    for (const step of awsSteps)
      assert.match(String(step.with?.['role-to-assume']), /^\$\{\{ vars\.\w+ \}\}$/);
  });

  it('pins every action to an exact version or commit', () => {
    const uses = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.uses).filter(Boolean));
    assert.ok(uses.length > 0);
    for (const ref of uses) assert.match(ref ?? '', /@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/, `${ref} is pinned`);
  });

  it('passes yamllint', async (t) => {
    let result: { stdout: string };
    try {
      result = await promisify(execFile)('yamllint', [
        '-f',
        'parsable',
        '-c',
        fileURLToPath(new URL('../../.yamllint.yaml', import.meta.url)),
        WORKFLOW,
      ]);
    } catch (error) {
      const failure = error as { code?: string; stdout?: string };
      if (failure.code === 'ENOENT') return t.skip('yamllint is not installed (CI installs it)');
      assert.fail(failure.stdout ?? String(error));
    }
    assert.equal(result.stdout, '');
  });
});
