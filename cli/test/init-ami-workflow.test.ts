/**
 * The node-AMI workflow `berth init` writes (berth-ami.yml). The checks every generated workflow shares
 * (schema, OIDC subjects, pinned actions, yamllint) are in init-workflows.test.ts; these are its own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { AMI_WORKFLOW, renderAmiWorkflow } from '../src/init/ami-workflow.js';

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string | string[];
  readonly environment?: string;
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly concurrency: { group: string; 'cancel-in-progress': boolean };
  readonly env: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const wf = parse(
  renderAmiWorkflow({ install: { kind: 'pinned', spec: '@berth/cli@4.5.6' }, region: 'sa-east-1' }),
) as Workflow;
const needsOf = (job: Job) => (job.needs === undefined ? [] : [job.needs].flat());
const runs = (job: Job) => job.steps.map((s) => s.run).filter((r) => r !== undefined);

describe('generated berth-ami.yml', () => {
  it('is written beside the other workflows', () => {
    assert.equal(AMI_WORKFLOW, '.github/workflows/berth-ami.yml');
  });

  it('runs monthly and by hand; never on pull requests or pushes (no AWS for forks, no rebuild per commit)', () => {
    assert.deepEqual(Object.keys(wf.on).sort(), ['schedule', 'workflow_dispatch']);
    const [schedule] = wf.on.schedule as { cron: string }[];
    const [minute, hour, dayOfMonth, month, dayOfWeek] = schedule!.cron.split(' ');
    assert.ok(
      [minute, hour, dayOfMonth].every((f) => /^\d+$/.test(f ?? '')),
      'one fixed time a month',
    );
    assert.deepEqual([month, dayOfWeek], ['*', '*']);
  });

  it('builds once, then test, then prod behind the prod environment (one approval)', () => {
    assert.deepEqual(Object.keys(wf.jobs), ['build', 'test', 'prod']);
    assert.deepEqual(needsOf(wf.jobs.test!), ['build']);
    assert.deepEqual(needsOf(wf.jobs.prod!), ['test']);
    assert.equal(wf.jobs.build!.environment, undefined);
    assert.equal(wf.jobs.test!.environment, undefined);
    assert.equal(wf.jobs.prod!.environment, 'prod');
  });

  it('builds with Packer through berth ami build and hands the manifest on as an artifact', () => {
    const build = wf.jobs.build!;
    assert.ok(build.steps.some((s) => s.uses?.startsWith('hashicorp/setup-packer@')));
    assert.deepEqual(
      runs(build).filter((r) => r.includes('berth ami')),
      [`npx berth ami build --arch all --version "$(date -u +%Y.%m.%d)-\${GITHUB_RUN_NUMBER}"`],
    );
    const upload = build.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    assert.equal(upload?.with?.name, 'ami-manifest');
    assert.equal(upload?.with?.path, '.berth/ami/manifest.json');
    assert.equal(upload?.with?.['include-hidden-files'], true, '.berth is a dot-directory');
  });

  for (const env of ['test', 'prod'] as const) {
    it(`${env}: the build's AMI ids, published, the launch template pointed at them, then rolled out`, () => {
      const job = wf.jobs[env]!;
      const download = job.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'));
      assert.deepEqual(download?.with, { name: 'ami-manifest', path: '.berth/ami' });
      assert.deepEqual(
        runs(job).filter((r) => r.startsWith('npx berth')),
        [
          `npx berth ami publish ${env}`,
          `npx berth deploy ${env} --skip-build`,
          `npx berth ami rollout ${env} --timeout 60m`,
        ],
      );
    });
  }

  it('installs the pinned Berth in every job (npx berth must not fetch another package)', () => {
    for (const [name, job] of Object.entries(wf.jobs)) {
      assert.ok(runs(job).includes('npm install --no-save --no-audit --no-fund @berth/cli@4.5.6'), name);
    }
  });

  it("never overlaps a run and never cancels one in flight; the config's region when the variable is unset", () => {
    assert.deepEqual(wf.concurrency, { group: 'berth-ami', 'cancel-in-progress': false });
    assert.equal(wf.env.AWS_REGION, `\${{ vars.BERTH_PRIMARY_REGION || 'sa-east-1' }}`);
    assert.equal(wf.env.CHECKPOINT_DISABLE, '1', 'Packer phones home otherwise');
  });
});
