import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { renderAmiWorkflow } from '../src/init/ami-workflow.js';
import { berthInstallFor } from '../src/init/berth-install.js';
import { type BerthInstall, renderCiWorkflow, renderDeliverWorkflow } from '../src/init/workflows.js';

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
  environment?: string;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  env?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, Job>;
}

const PINNED: BerthInstall = { kind: 'pinned', spec: '@berth/cli@7.8.9' };
const LOCKFILE: BerthInstall = { kind: 'lockfile' };
const inputs = (install: BerthInstall) => ({ install, region: 'ap-southeast-2', healthPath: '/status' });
const gha = (expression: string) => `\${{ ${expression} }}`;
const needsOf = (job: Job) => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));
const stepsOf = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps);

const ci = (install: BerthInstall = PINNED) => renderCiWorkflow(inputs(install));
const deliver = (install: BerthInstall = PINNED) => renderDeliverWorkflow(inputs(install));
const ami = (install: BerthInstall = PINNED) => renderAmiWorkflow(inputs(install));

/**
 * The OIDC subject GitHub puts in a job's token (GitHub docs, "About security hardening with OpenID
 * Connect", example subject claims): `environment:<name>` for a job with an environment, else
 * `pull_request` on pull requests, `ref:refs/heads/<branch>` on push. Berth's roles trust exactly these
 * (the same table as workflows.test.ts for Berth's own workflows).
 */
const TRUSTED_SUBJECT: Record<string, string> = {
  BERTH_TEST_DEPLOY_ROLE_ARN: 'ref:refs/heads/main',
  BERTH_PROD_DEPLOY_ROLE_ARN: 'environment:prod',
  BERTH_PLAN_ROLE_ARN: 'pull_request',
  BERTH_AMI_BUILD_ROLE_ARN: 'ref:refs/heads/main',
};

const generated = [
  ['berth-ci.yml pinned', ci()],
  ['berth-deliver.yml pinned', deliver()],
  ['berth-ci.yml lockfile', ci(LOCKFILE)],
  ['berth-deliver.yml lockfile', deliver(LOCKFILE)],
  ['berth-ami.yml pinned', ami()],
  ['berth-ami.yml lockfile', ami(LOCKFILE)],
] as const;

describe('generated berth-deliver.yml', () => {
  const wf = parse(deliver()) as Workflow;

  it('runs on push to main: build → deploy-test → smoke-test → deploy-prod', () => {
    assert.deepEqual(wf.on, { push: { branches: ['main'] } });
    assert.deepEqual(Object.keys(wf.jobs), ['build', 'deploy-test', 'smoke-test', 'deploy-prod']);
    assert.deepEqual(needsOf(wf.jobs['deploy-test']!), ['build']);
    assert.deepEqual(needsOf(wf.jobs['smoke-test']!), ['deploy-test']);
    assert.deepEqual(needsOf(wf.jobs['deploy-prod']!), ['build', 'smoke-test']);
  });

  it('builds once with berth image and deploys that digest to test, then prod behind the prod environment', () => {
    assert.equal(wf.jobs.build!.outputs?.digest, gha('steps.push.outputs.digest'));
    const build = wf.jobs.build!.steps.find((s) => s.id === 'push');
    assert.match(build?.run ?? '', /digest=\$\(npx berth image test --json \| jq -r \.digest\)/);
    const deployTest = wf.jobs['deploy-test']!.steps.map((s) => s.run ?? '').join('\n');
    assert.match(
      deployTest,
      /npx berth deploy test --image-digest "\$\{\{ needs\.build\.outputs\.digest \}\}" --timeout 40m --json/,
    );
    const deployProd = wf.jobs['deploy-prod']!.steps.map((s) => s.run ?? '').join('\n');
    assert.match(
      deployProd,
      /npx berth deploy prod --image-digest "\$\{\{ needs\.build\.outputs\.digest \}\}" --timeout 55m/,
    );
    assert.equal(wf.jobs['deploy-prod']!.environment, 'prod');
    for (const name of ['build', 'deploy-test', 'smoke-test'])
      assert.equal(wf.jobs[name]!.environment, undefined);
  });

  it('smoke-tests the health path at the URL the test deploy printed, with no AWS access', () => {
    assert.equal(wf.jobs['deploy-test']!.outputs?.url, gha('steps.deploy.outputs.url'));
    const smoke = wf.jobs['smoke-test']!.steps;
    assert.equal(smoke.length, 1);
    assert.equal(smoke[0]!.env?.URL, gha('needs.deploy-test.outputs.url'));
    assert.match(smoke[0]!.run ?? '', /curl --fail .*"\$\{URL%\/\}\/status"/);
    assert.deepEqual(wf.jobs['smoke-test']!.permissions, { contents: 'read' });
  });

  it('smoke-tests nothing, and passes, when the deploy printed no URL (an app of workers only)', () => {
    // The step's script under bash, with a curl on PATH that records its arguments instead of fetching.
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-smoke-'));
    try {
      writeFileSync(path.join(dir, 'curl'), `#!/bin/sh\necho "$@" >> "${dir}/calls"\n`, { mode: 0o755 });
      const script = wf.jobs['smoke-test']!.steps[0]!.run ?? '';
      const run = (url: string) =>
        spawnSync('bash', ['-eo', 'pipefail', '-c', script], {
          env: { PATH: `${dir}:${process.env.PATH}`, URL: url },
          encoding: 'utf8',
        });
      const none = run('');
      assert.equal(none.status, 0);
      assert.match(none.stdout, /No web service: nothing to smoke-test/);
      assert.equal(spawnSync('cat', [path.join(dir, 'calls')]).status, 1, 'curl is not called without a URL');
      const some = run('https://shop.example.com/');
      assert.equal(some.status, 0);
      assert.match(
        spawnSync('cat', [path.join(dir, 'calls')], { encoding: 'utf8' }).stdout,
        / https:\/\/shop\.example\.com\/status\n$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const deployTest = wf.jobs['deploy-test']!.steps.map((s) => s.run ?? '').join('\n');
    assert.match(deployTest, /jq -r '\.regions\[0\]\.url \/\/ empty'/, 'a missing url is empty, not "null"');
  });

  it('serialises both deploys without cancelling one in flight', () => {
    for (const name of ['deploy-test', 'deploy-prod']) {
      assert.deepEqual(wf.jobs[name]!.concurrency, { group: 'berth-deploy', 'cancel-in-progress': false });
    }
  });

  it('runs bash with pipefail, so a failing berth before | jq fails the step', () => {
    assert.deepEqual(wf.defaults, { run: { shell: 'bash' } });
  });
});

describe('generated berth-ci.yml', () => {
  const wf = parse(ci()) as Workflow;

  it('plans test and prod on pull requests, diffing only when the plan role was assumed', () => {
    assert.deepEqual(Object.keys(wf.on), ['pull_request']);
    const steps = wf.jobs.plan!.steps;
    const assume = steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
    assert.equal(assume?.with?.['role-to-assume'], gha('vars.BERTH_PLAN_ROLE_ARN'));
    assert.match(assume?.if ?? '', /!github\.event\.pull_request\.head\.repo\.fork/);
    const plan = steps.find((s) => s.run?.includes('berth plan'));
    assert.equal(plan?.env?.DIFF, gha(`steps.${assume?.id}.outcome == 'success' && '--diff' || ''`));
    assert.match(plan?.run ?? '', /npx berth plan test \$DIFF/);
    assert.match(plan?.run ?? '', /npx berth plan prod \$DIFF/);
    assert.match(plan?.run ?? '', /"\$GITHUB_STEP_SUMMARY"/);
  });

  it("falls back to the config's region when BERTH_PRIMARY_REGION is unset", () => {
    assert.equal(wf.env?.AWS_REGION, gha("vars.BERTH_PRIMARY_REGION || 'ap-southeast-2'"));
  });
});

describe('generated workflows: installing berth', () => {
  it('without @berth/cli in a lockfile: this exact version, no npm cache (it needs a lockfile)', () => {
    for (const text of [ci(), deliver()]) {
      const wf = parse(text) as Workflow;
      for (const [name, job] of Object.entries(wf.jobs)) {
        if (!job.steps.some((s) => s.run?.includes('npx berth'))) continue;
        const setup = job.steps.findIndex((s) => s.uses?.startsWith('actions/setup-node'));
        const install = job.steps.findIndex((s) => s.run?.startsWith('npm install'));
        const firstBerth = job.steps.findIndex((s) => s.run?.includes('npx berth'));
        assert.deepEqual(job.steps[setup]?.with, { 'node-version': 24 }, name);
        assert.equal(
          job.steps[install]?.run,
          'npm install --no-save --no-audit --no-fund @berth/cli@7.8.9',
          name,
        );
        assert.ok(setup < install && install < firstBerth, `${name}: node, then berth, then npx berth`);
      }
    }
  });

  it('with @berth/cli in the lockfile: npm ci with the npm cache', () => {
    const wf = parse(deliver(LOCKFILE)) as Workflow;
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (!job.steps.some((s) => s.run?.includes('npx berth'))) continue;
      const setup = job.steps.find((s) => s.uses?.startsWith('actions/setup-node'));
      assert.deepEqual(setup?.with, { 'node-version': 24, cache: 'npm' }, name);
      assert.ok(
        job.steps.some((s) => s.run === 'npm ci --no-audit --no-fund'),
        name,
      );
    }
  });

  it('chooses npm ci only when package.json lists @berth/cli and package-lock.json exists', (t) => {
    const root = mkdtempSync(path.join(tmpdir(), 'berth-init-install-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const pinned = { kind: 'pinned', spec: '@berth/cli@1.2.3' };
    assert.deepEqual(berthInstallFor(root, '1.2.3'), pinned, 'no package.json');
    writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({ devDependencies: { '@berth/cli': '^1' } }),
    );
    assert.deepEqual(berthInstallFor(root, '1.2.3'), pinned, 'no lockfile');
    writeFileSync(path.join(root, 'package-lock.json'), '{}');
    assert.deepEqual(berthInstallFor(root, '1.2.3'), { kind: 'lockfile' });
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ dependencies: { berth: '1' } }));
    assert.deepEqual(berthInstallFor(root, '1.2.3'), pinned, 'another package called berth');
  });
});

describe('generated workflows: every file, both install modes', () => {
  it('match the GitHub Actions workflow schema (action-validator)', () => {
    const require = createRequire(import.meta.url);
    const { validateWorkflow } = require('@action-validator/core') as {
      validateWorkflow(src: string): { errors: unknown[] };
    };
    for (const [name, text] of generated) assert.deepEqual(validateWorkflow(text).errors, [], name);
  });

  it('give every job that assumes a role the OIDC subject that role trusts, and id-token only to those', () => {
    let checked = 0;
    for (const [name, text] of generated) {
      const wf = parse(text) as Workflow;
      assert.deepEqual(wf.permissions, { contents: 'read' }, name);
      for (const [jobName, job] of Object.entries(wf.jobs)) {
        const subject = job.environment
          ? `environment:${job.environment}`
          : 'pull_request' in wf.on
            ? 'pull_request'
            : 'ref:refs/heads/main';
        const roles = job.steps.filter((s) => s.with?.['role-to-assume'] !== undefined);
        for (const step of roles) {
          const variable = /vars\.(\w+)/.exec(String(step.with?.['role-to-assume']))?.[1] ?? '';
          assert.equal(subject, TRUSTED_SUBJECT[variable], `${name} ${jobName} assumes ${variable}`);
          assert.equal(step.with?.['aws-region'], gha('env.AWS_REGION'), `${name} ${jobName}`);
          checked++;
        }
        const expected = roles.length > 0 ? { contents: 'read', 'id-token': 'write' } : { contents: 'read' };
        assert.deepEqual(job.permissions, expected, `${name} ${jobName}`);
      }
    }
    assert.equal(
      checked,
      2 * (1 + 3 + 3),
      'ci: plan; deliver: build, deploy-test, deploy-prod; ami: build, test, prod',
    );
  });

  it('hold no static AWS keys and pin every action to an exact release', () => {
    for (const [name, text] of generated) {
      assert.doesNotMatch(
        text,
        /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/i,
      );
      const uses = stepsOf(parse(text) as Workflow)
        .map((s) => s.uses)
        .filter((u) => u !== undefined);
      assert.ok(uses.length > 0, name);
      for (const u of uses)
        assert.match(u, /^[\w.-]+\/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/, `${name}: ${u}`);
    }
  });

  it('check out without persisting the token', () => {
    for (const [name, text] of generated) {
      for (const step of stepsOf(parse(text) as Workflow).filter((s) =>
        s.uses?.startsWith('actions/checkout'),
      )) {
        assert.deepEqual(step.with, { 'persist-credentials': false }, name);
      }
    }
  });

  it("pass yamllint with Berth's policy", (t) => {
    if (spawnSync('yamllint', ['--version']).error) {
      t.skip('yamllint is not installed (CI installs it from Debian)');
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-init-yamllint-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const files = generated.map(([name, text], i) => {
      const file = path.join(dir, `${i}-${name.split(' ')[0]}`);
      writeFileSync(file, text);
      return file;
    });
    const config = fileURLToPath(new URL('../../.yamllint.yaml', import.meta.url));
    const result = spawnSync('yamllint', ['-f', 'parsable', '-c', config, ...files], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout);
  });
});
