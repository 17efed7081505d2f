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

  it('runs monthly, on pushes to cli/ami/** on main, and by hand', () => {
    const schedule = workflow.on.schedule as { cron: string }[];
    assert.equal(schedule.length, 1);
    const [minute, hour, dayOfMonth, month, dayOfWeek] = schedule[0]!.cron.split(' ');
    assert.ok(
      [minute, hour].every((f) => /^\d+$/.test(f ?? '')),
      'a fixed time of day',
    );
    assert.match(dayOfMonth ?? '', /^\d+$/, 'one day of the month');
    assert.deepEqual([month, dayOfWeek], ['*', '*'], 'every month');
    assert.deepEqual(workflow.on.push, { branches: ['main'], paths: ['cli/ami/**'] });
    assert.ok('workflow_dispatch' in workflow.on);
    assert.equal(Object.keys(workflow.on).length, 3, 'no pull_request trigger: forks must not reach AWS');
  });

  it('chains build → test → prod', () => {
    assert.deepEqual(Object.keys(workflow.jobs), ['build', 'test', 'prod']);
    assert.deepEqual(needsOf(workflow.jobs.build!), []);
    assert.deepEqual(needsOf(workflow.jobs.test!), ['build']);
    assert.deepEqual(needsOf(workflow.jobs.prod!), ['test']);
  });

  it('asks for one prod approval, and none for the test jobs (whose main-branch subject the test role trusts)', () => {
    assert.equal(environmentOf(workflow.jobs.prod!), 'prod');
    assert.equal(environmentOf(workflow.jobs.build!), undefined);
    assert.equal(environmentOf(workflow.jobs.test!), undefined);
  });

  for (const env of ['test', 'prod'] as const) {
    it(`${env}: publishes, points the launch template at it, then rolls out, in that order`, () => {
      const runs = workflow.jobs[env]!.steps.map((s) => s.run ?? '').filter(Boolean);
      const at = (pattern: RegExp) => runs.findIndex((r) => pattern.test(r));
      const publish = at(new RegExp(`berth ami publish ${env}$`));
      const deploy = at(new RegExp(`berth deploy ${env} --skip-build$`));
      const rollout = at(new RegExp(`berth ami rollout ${env} --timeout`));
      assert.ok(publish >= 0 && publish < deploy && deploy < rollout, runs.join(' | '));
    });
  }

  it('promotes the AMI ids built once: both environments read the build manifest artifact', () => {
    const uploaded = workflow.jobs.build!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    assert.equal(uploaded?.with?.name, 'ami-manifest');
    // Where `berth ami build` has Packer write it, and where `berth ami publish` reads it by default.
    assert.equal(uploaded?.with?.path, '.berth/ami/manifest.json');
    assert.equal(uploaded?.with?.['include-hidden-files'], true);
    for (const name of ['test', 'prod']) {
      const downloaded = workflow.jobs[name]!.steps.find((s) =>
        s.uses?.startsWith('actions/download-artifact@'),
      );
      assert.equal(downloaded?.with?.name, 'ami-manifest', name);
      assert.equal(downloaded?.with?.path, '.berth/ami', name);
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
    assert.equal(awsSteps.length, 3);
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
