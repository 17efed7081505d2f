import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const WORKFLOWS = fileURLToPath(new URL('../../.github/workflows/', import.meta.url));
const OURS = ['ci.yml', 'deliver.yml', 'ami.yml'];

interface Step {
  id?: string;
  if?: string;
  env?: Record<string, string>;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  environment?: string | { name: string };
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  container?: unknown;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const text = (name: string) => readFileSync(path.join(WORKFLOWS, name), 'utf8');
const load = (name: string) => parse(text(name)) as Workflow;
/** A GitHub Actions expression as it appears in the YAML. */
const gha = (expression: string) => `\${{ ${expression} }}`;
const needsOf = (job: Job) => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));

describe('deliver.yml', () => {
  const wf = load('deliver.yml');

  it('runs on push to main only', () => {
    assert.deepEqual(wf.on, { push: { branches: ['main'] } });
  });

  it('chains test → build → deploy-test → smoke-test → deploy-prod', () => {
    assert.deepEqual(Object.keys(wf.jobs), ['test', 'build', 'deploy-test', 'smoke-test', 'deploy-prod']);
    assert.deepEqual(needsOf(wf.jobs.test!), []);
    assert.deepEqual(needsOf(wf.jobs.build!), ['test']);
    assert.ok(needsOf(wf.jobs['deploy-test']!).includes('build'));
    assert.ok(needsOf(wf.jobs['smoke-test']!).includes('deploy-test'));
    assert.ok(needsOf(wf.jobs['deploy-prod']!).includes('smoke-test'));
  });

  it('gates prod behind the prod environment (required reviewers) and nothing else behind one', () => {
    assert.equal(wf.jobs['deploy-prod']!.environment, 'prod');
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (name !== 'deploy-prod') assert.equal(job.environment, undefined, name);
    }
  });

  it('builds once and deploys the same digest to test and prod', () => {
    assert.equal(wf.jobs.build!.outputs?.digest, gha('steps.push.outputs.digest'));
    const deploys = Object.values(wf.jobs)
      .flatMap((j) => j.steps.map((s) => s.run ?? ''))
      .filter((r) => r.includes('berth deploy'));
    assert.equal(deploys.length, 2);
    assert.match(
      deploys[0]!,
      /npx berth deploy test --image-digest "\$\{\{ needs\.build\.outputs\.digest \}\}"/,
    );
    assert.match(
      deploys[1]!,
      /npx berth deploy prod --image-digest "\$\{\{ needs\.build\.outputs\.digest \}\}"/,
    );
    // One build, through the CLI (platform from the config, no attestations, re-run safe), none by hand.
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    assert.deepEqual(
      steps.filter((s) => s.run?.includes('berth image')).map((s) => s.id),
      ['push'],
    );
    assert.equal(steps.filter((s) => s.uses?.startsWith('docker/build-push-action')).length, 0);
    for (const name of ['deploy-test', 'deploy-prod'])
      assert.ok(needsOf(wf.jobs[name]!).includes('build'), name);
  });

  it('serialises both deploys in one group (they share Berth-Global) without cancelling one in flight', () => {
    for (const name of ['deploy-test', 'deploy-prod']) {
      assert.deepEqual(
        wf.jobs[name]!.concurrency,
        { group: 'berth-deploy', 'cancel-in-progress': false },
        name,
      );
    }
  });

  it('runs the tests in a privileged Debian 12 container (podman, ip netns need CAP_SYS_ADMIN)', () => {
    assert.deepEqual(wf.jobs.test!.container, { image: 'debian:12', options: '--privileged' });
  });

  it('grants least privilege: contents read by default, id-token only to jobs that assume a role', () => {
    assert.deepEqual(wf.permissions, { contents: 'read' });
    for (const [name, job] of Object.entries(wf.jobs)) {
      const assumes = job.steps.some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
      assert.equal(job.permissions?.['id-token'], assumes ? 'write' : undefined, name);
      assert.equal(job.permissions?.contents, 'read', name);
      assert.equal(Object.keys(job.permissions ?? {}).length, assumes ? 2 : 1, name);
    }
  });

  it('assumes roles from repository variables: the prod role only in the prod job', () => {
    const roles = Object.fromEntries(
      Object.entries(wf.jobs).map(([name, job]) => [
        name,
        job.steps.map((s) => s.with?.['role-to-assume']).filter((r) => r !== undefined),
      ]),
    );
    assert.deepEqual(roles['deploy-prod'], [gha('vars.BERTH_PROD_DEPLOY_ROLE_ARN')]);
    for (const name of ['build', 'deploy-test', 'smoke-test']) {
      assert.deepEqual(roles[name], [gha('vars.BERTH_TEST_DEPLOY_ROLE_ARN')], name);
    }
  });

  it('smoke-tests the URL read from the stack output', () => {
    const run = wf.jobs['smoke-test']!.steps.map((s) => s.run ?? '').join('\n');
    assert.match(run, /describe-stacks --stack-name "Berth-Test-\$\{AWS_REGION\}-Service"/);
    assert.match(run, /OutputKey=='ServiceUrl'/);
    assert.match(run, /\/readyz/);
    assert.match(run, /\/api\/products/);
  });
});

describe('ci.yml', () => {
  const wf = load('ci.yml');

  it('runs on pull requests: .ci/run, synth, and both plans in the step summary', () => {
    assert.deepEqual(Object.keys(wf.on), ['pull_request']);
    const runs = wf.jobs.test!.steps.map((s) => s.run ?? '').join('\n');
    assert.match(runs, /bash \.ci\/run/);
    assert.match(runs, /npm run synth/);
    assert.match(runs, /npx berth plan test \$DIFF/);
    assert.match(runs, /npx berth plan prod \$DIFF/);
    assert.match(runs, /\$GITHUB_STEP_SUMMARY/);
    assert.deepEqual(
      wf.jobs.test!.container,
      { image: 'debian:12', options: '--privileged' },
      '.ci/run installs Debian 12 package names; podman and ip netns need privileges',
    );
  });

  it('diffs against the deployed stacks with the plan role, only when that role was assumed', () => {
    const steps = wf.jobs.test!.steps;
    const assume = steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
    assert.equal(assume?.with?.['role-to-assume'], gha('vars.BERTH_PLAN_ROLE_ARN'));
    assert.match(assume?.if ?? '', /!github\.event\.pull_request\.head\.repo\.fork/);
    const plan = steps.find((s) => s.run?.includes('berth plan'));
    assert.equal(plan?.env?.DIFF, gha(`steps.${assume?.id}.outcome == 'success' && '--diff' || ''`));
  });
});

describe('all workflows', () => {
  const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

  it('set up Node 24 (Node 20 is end-of-life) with the npm cache', () => {
    let setups = 0;
    for (const file of files) {
      for (const job of Object.values(load(file).jobs)) {
        for (const step of job.steps.filter((s) => s.uses?.startsWith('actions/setup-node'))) {
          assert.deepEqual(step.with, { 'node-version': 24, cache: 'npm' }, file);
          setups++;
        }
      }
    }
    assert.ok(setups >= 6, `${setups} setup-node steps`);
  });

  /**
   * The OIDC subject GitHub issues (GitHub docs, "About security hardening with OpenID Connect",
   * subject claims): `environment:<name>` for a job with an environment, else `ref:refs/heads/<branch>`
   * on push/schedule/dispatch, `pull_request` on pull requests. Each role trusts one subject
   * (infra/test/ci-access.test.ts checks the roles' side).
   */
  const TRUSTED_SUBJECT: Record<string, string> = {
    BERTH_TEST_DEPLOY_ROLE_ARN: 'ref:refs/heads/main',
    BERTH_PROD_DEPLOY_ROLE_ARN: 'environment:prod',
    BERTH_AMI_BUILD_ROLE_ARN: 'ref:refs/heads/main',
    BERTH_PLAN_ROLE_ARN: 'pull_request',
  };

  it('give every job that assumes a role the OIDC subject that role trusts', () => {
    let checked = 0;
    for (const file of files) {
      const wf = load(file);
      for (const [name, job] of Object.entries(wf.jobs)) {
        const environment = typeof job.environment === 'object' ? job.environment.name : job.environment;
        const subject =
          environment !== undefined
            ? `environment:${environment}`
            : 'pull_request' in wf.on
              ? 'pull_request'
              : 'ref:refs/heads/main';
        for (const step of job.steps.filter((s) => s.with?.['role-to-assume'] !== undefined)) {
          const variable = /vars\.(\w+)/.exec(String(step.with?.['role-to-assume']))?.[1] ?? '';
          assert.equal(subject, TRUSTED_SUBJECT[variable], `${file} job ${name} assumes ${variable}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 8, `${checked} role assumptions checked`);
  });

  it('hold no static AWS keys', () => {
    for (const file of files) {
      assert.doesNotMatch(
        text(file),
        /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/i,
        file,
      );
    }
  });

  it('pin every action to an exact release or a commit', () => {
    for (const file of OURS) {
      const uses = Object.values(load(file).jobs).flatMap((j) =>
        j.steps.map((s) => s.uses).filter(Boolean),
      ) as string[];
      assert.ok(uses.length > 0, file);
      for (const u of uses)
        assert.match(u, /^[\w.-]+\/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/, `${file}: ${u}`);
    }
  });

  it('match the GitHub Actions workflow schema (action-validator)', () => {
    const require = createRequire(import.meta.url);
    const { validateWorkflow } = require('@action-validator/core') as {
      validateWorkflow(src: string): { errors: unknown[] };
    };
    for (const file of OURS) assert.deepEqual(validateWorkflow(text(file)).errors, [], file);
  });

  it('pass yamllint', (t) => {
    const probe = spawnSync('yamllint', ['--version']);
    if (probe.error) {
      t.skip('yamllint is not installed (CI installs it from Debian)');
      return;
    }
    const config = path.join(WORKFLOWS, '..', '..', '.yamllint.yaml');
    const result = spawnSync(
      'yamllint',
      ['-f', 'parsable', '-c', config, ...OURS.map((f) => path.join(WORKFLOWS, f))],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(result.status, 0, result.stdout);
  });
});
