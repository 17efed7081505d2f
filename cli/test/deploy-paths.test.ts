import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DeployPreflight } from '../src/context.js';
import { deployEnvironment } from '../src/deploy/deploy-flow.js';
import { ONE_WEB_SERVICE } from './scenarios/configs.js';
import { inOrder, modelWorld } from './scenarios/model-context.js';
import { caught } from './support/caught.js';

// `berth deploy`'s paths beyond the happy one, in-process against the AWS model (cli/test/scenarios):
// which image it ships for each flag combination, what it tells the user on the way, and what it says
// when a stack fails or the deadline passes. Expected values are literals (names, accounts, digests
// from the model's registry), never read back from the flow's own constants.

const SHA_A = '3f9c2ab41d07';
const SHA_B = '8e1d44c0a9b2';
const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/web';
const TEST_STACKS = ['Network', 'Data', 'Service', 'Monitoring'].map((c) => `Berth-Test-eu-west-1-${c}`);
const TEST_DIGEST_PARAM = '/berth/test/image-digest';
const TEN_MINUTES = 10 * 60_000;

/** GIVEN test deployed from commit A, its digest recorded. */
async function testRunningA() {
  const w = modelWorld({ config: ONE_WEB_SERVICE });
  w.docker.sha = SHA_A;
  await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES });
  return w;
}

/** GIVEN test runs A (recorded), and commit B's image is pushed under its tag but not deployed. */
async function bPushedOverA() {
  const w = await testRunningA();
  const b = w.model.digestFor('b');
  w.model.images.set(SHA_B, b);
  return { w, b };
}

describe('berth deploy: what it ships and says', () => {
  it('narrates a first build-and-deploy, then reuses the pushed tag on the next deploy of the same commit', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.docker.sha = SHA_A;

    const first = await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES });

    const a = w.model.images.get(SHA_A)!;
    const service = w.model.service('test')!;
    const url = w.model.stacks.get('Berth-Test-eu-west-1-Service')!.outputs.ServiceUrl!;
    assert.deepEqual(first, { env: 'test', digest: a, regions: [{ region: 'eu-west-1', url }] });
    assert.ok(
      inOrder(w.progress.lines, [
        'checking AWS credentials',
        'deploying test as arn:aws:sts::123456789012:assumed-role/berth-admin/dev',
        `looking for this commit's image in ${REPO}`,
        `built for x86_64 and pushed ${REPO}:${SHA_A} as ${a}`,
        `deploying ${TEST_STACKS.join(', ')}`,
        `waiting for web (${service.name}) to reach a steady state`,
        `steady after 0s; smoke-testing ${url}`,
        `recorded ${a} as the test image`,
      ]),
      w.progress.lines.join('\n'),
    );

    // WHEN the same commit is deployed again
    w.progress.lines.length = 0;
    await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES });

    // THEN the tag is found, not rebuilt (ECR tags are immutable)
    assert.equal(w.docker.builds, 1);
    assert.ok(
      w.progress.lines.includes(`${REPO}:${SHA_A} already exists as ${a}: not rebuilding`),
      w.progress.lines.join('\n'),
    );
  });

  it('refuses --image-tag together with --image-digest before any AWS call', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    const error = await caught(
      deployEnvironment(w.ctx, {
        env: 'test',
        skipBuild: false,
        timeoutMs: TEN_MINUTES,
        imageTag: SHA_A,
        imageDigest: w.model.digestFor('a'),
      }),
    );
    assert.equal(error.message, 'pass either --image-tag or --image-digest, not both');
    assert.deepEqual(w.model.calls, []);
  });

  it('--skip-build with --image-tag deploys the tag, not the recorded digest', async () => {
    // GIVEN test runs A (recorded), and B is pushed under its tag
    const { w, b } = await bPushedOverA();
    const callsBefore = w.model.calls.length;

    // WHEN deployed with --skip-build --image-tag B
    const result = await deployEnvironment(w.ctx, {
      env: 'test',
      skipBuild: true,
      imageTag: SHA_B,
      timeoutMs: TEN_MINUTES,
    });

    // THEN B runs and is recorded; the record was never read, and nothing was built
    assert.equal(result.digest, b);
    assert.equal(w.model.runningImage('test'), b);
    assert.deepEqual(w.model.parameterValues('eu-west-1', TEST_DIGEST_PARAM).at(-1), b);
    assert.ok(!w.model.calls.slice(callsBefore).includes(`SSM.GetParameter ${TEST_DIGEST_PARAM}`));
    assert.ok(w.progress.lines.includes(`tag ${SHA_B} is ${b}`), w.progress.lines.join('\n'));
    assert.equal(w.docker.builds, 1);
  });

  it('--skip-build with --image-digest deploys that digest without reading the record', async () => {
    const { w, b } = await bPushedOverA();
    const callsBefore = w.model.calls.length;

    const result = await deployEnvironment(w.ctx, {
      env: 'test',
      skipBuild: true,
      imageDigest: b,
      timeoutMs: TEN_MINUTES,
    });

    assert.equal(result.digest, b);
    assert.equal(w.model.runningImage('test'), b);
    assert.ok(!w.model.calls.slice(callsBefore).includes(`SSM.GetParameter ${TEST_DIGEST_PARAM}`));
    assert.ok(!w.model.calls.slice(callsBefore).includes('ECR.DescribeImages'), 'no tag lookup');
  });

  it('--skip-build alone keeps the recorded digest and says so', async () => {
    const w = await testRunningA();
    const a = w.model.images.get(SHA_A)!;
    w.docker.sha = SHA_B;

    const result = await deployEnvironment(w.ctx, { env: 'test', skipBuild: true, timeoutMs: TEN_MINUTES });

    assert.equal(result.digest, a);
    assert.ok(w.progress.lines.includes(`infrastructure-only deploy: keeping ${a}`));
    assert.equal(w.docker.builds, 1, 'B is not built');
  });

  it('refuses to deploy test while Berth-Global is only a change set (REVIEW_IN_PROGRESS)', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.model.stacks.get('Berth-Global')!.status = 'REVIEW_IN_PROGRESS';

    const error = await caught(
      deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES }),
    );

    assert.equal(
      error.message,
      'Berth-Global (the image registry and CI roles) is not deployed in aws://123456789012/eu-west-1: ' +
        'deploy it first with `berth deploy prod --global-only`',
    );
    assert.deepEqual(w.deployer.deployed, []);
  });

  it('hands the preflight the stacks still to create (REVIEW_IN_PROGRESS counts) and the accepted changes', async () => {
    const seen: Parameters<DeployPreflight>[0][] = [];
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.ctx = { ...w.ctx, preflight: async (input) => void seen.push(input) };
    w.docker.sha = SHA_A;
    await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES });
    // A later first create of Monitoring stopped after its change set was created.
    w.model.stacks.get('Berth-Test-eu-west-1-Monitoring')!.status = 'REVIEW_IN_PROGRESS';

    await deployEnvironment(w.ctx, {
      env: 'test',
      skipBuild: true,
      timeoutMs: TEN_MINUTES,
      allowChange: ['stateful-delete:Berth-Test-eu-west-1-Data/Database'],
    });

    assert.deepEqual(
      seen.map(({ env, firstCreate, allowChange, targets }) => ({
        env,
        firstCreate,
        allowChange,
        regions: targets.map((t) => t.region),
      })),
      [
        { env: 'test', firstCreate: TEST_STACKS, allowChange: [], regions: ['eu-west-1'] },
        {
          env: 'test',
          firstCreate: ['Berth-Test-eu-west-1-Monitoring'],
          allowChange: ['stateful-delete:Berth-Test-eu-west-1-Data/Database'],
          regions: ['eu-west-1'],
        },
      ],
    );
  });

  it('prod deploys Berth-Global first, records its template under prod, then the regional stacks', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE, globalDeployed: false });
    w.docker.sha = SHA_A;

    await deployEnvironment(w.ctx, { env: 'prod', skipBuild: false, timeoutMs: TEN_MINUTES });

    assert.deepEqual(
      w.deployer.deployed.map((d) => ({ stacks: d.stacks, image: d.image })),
      [
        { stacks: ['Berth-Global'], image: undefined },
        {
          stacks: ['Network', 'Data', 'Service', 'Monitoring'].map((c) => `Berth-Prod-eu-west-1-${c}`),
          image: w.model.images.get(SHA_A),
        },
      ],
    );
    assert.ok(w.progress.lines.includes('deploying Berth-Global'), w.progress.lines.join('\n'));
    assert.ok(existsSync(join(w.repoRoot, '.berth/deployed/prod/Berth-Global.template.json')));
  });

  it('stops at the deadline while Berth-Global updates, cancels it and says how to resume', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.deployer.hangOn = 'Berth-Global';
    const started = w.clock.now();

    const error = await caught(
      deployEnvironment(w.ctx, { env: 'prod', skipBuild: false, timeoutMs: TEN_MINUTES }),
    );

    assert.equal(
      error.message,
      'Berth-Global did not finish within the --timeout (10m00s); ' +
        'once CloudFormation is done, run `berth deploy prod --timeout 20m` again',
    );
    assert.equal(
      error.detail,
      'Berth-Global: update cancelled; CloudFormation is rolling it back to its previous state ' +
        '(`aws cloudformation wait stack-rollback-complete --region eu-west-1 --stack-name Berth-Global`)',
    );
    assert.equal(w.clock.now() - started, TEN_MINUTES, 'the deadline is the start plus --timeout');
    assert.equal(w.model.stackStatus('Berth-Global'), 'UPDATE_ROLLBACK_IN_PROGRESS');
  });

  it('a failed first create names the stack and the reason, with no diagnosis (no service yet)', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.deployer.failNext = { stack: 'Berth-Test-eu-west-1-Network', reason: 'Rate exceeded' };

    const error = await caught(
      deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES }),
    );

    assert.equal(
      error.message,
      'deploy of test in eu-west-1 failed: The stack named Berth-Test-eu-west-1-Network failed to deploy: ' +
        'ROLLBACK_COMPLETE: Rate exceeded. CloudFormation rolls a failed stack back to its previous state.',
    );
    assert.equal(error.detail, undefined);
    assert.deepEqual(w.model.parameterValues('eu-west-1', TEST_DIGEST_PARAM), []);
  });

  it('a failed Service update comes with the diagnosis of the running service', async () => {
    const w = await testRunningA();
    const a = w.model.images.get(SHA_A)!;
    w.docker.sha = SHA_B;
    w.deployer.failNext = { stack: 'Berth-Test-eu-west-1-Service', reason: 'Rate exceeded' };

    const error = await caught(
      deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES }),
    );

    assert.match(
      error.message,
      /^deploy of test in eu-west-1 failed: .*Rate exceeded\. CloudFormation rolls/,
    );
    // The model's service has no events, stopped tasks or unhealthy targets: each section says so.
    assert.equal(
      error.detail,
      [
        'Service events (newest first):',
        '  (none)',
        'Stopped tasks:',
        '  (none)',
        'Target health:',
        '  (no unhealthy targets)',
      ].join('\n'),
    );
    assert.deepEqual(w.model.parameterValues('eu-west-1', TEST_DIGEST_PARAM), [a], 'B never recorded');
  });

  it("defaults prod's first --timeout to the plan's estimate including Berth-Global, which it creates too", async () => {
    // GIVEN a fresh account: prod creates Berth-Global and its four stacks
    const w = modelWorld({ config: ONE_WEB_SERVICE, globalDeployed: false });
    const prod = (c: string) => `Berth-Prod-eu-west-1-${c}`;
    w.deployer.app.set(prod('Network'), { Resources: { Nat: { Type: 'AWS::EC2::NatGateway' } } });
    w.deployer.app.set(prod('Data'), {
      Resources: { Database: { Type: 'AWS::RDS::DBInstance', Properties: { MultiAZ: true } } },
    });
    w.deployer.app.set(prod('Service'), {
      Resources: { Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer' } },
    });
    w.deployer.hangOn = prod('Network');

    const error = await caught(deployEnvironment(w.ctx, { env: 'prod', skipBuild: false }));

    // THEN by hand: 2 synths x 20 s + 5 stacks x 45 s change set + NAT 3 + Multi-AZ RDS 20 + ALB 3 min
    // = 30.42 -> 31 min; x 1.5 = 46.5 -> 50 min (without Berth-Global's 45 s: 30 min -> 45 min)
    assert.match(error.message, /did not finish within the --timeout \(50m00s\)/);
    // A create cannot be cancelled: the line names the wait for it (the later stacks do not exist yet).
    assert.equal(
      error.detail,
      'Berth-Prod-eu-west-1-Network: CREATE_IN_PROGRESS cannot be cancelled and continues in CloudFormation ' +
        '(`aws cloudformation wait stack-create-complete --region eu-west-1 --stack-name Berth-Prod-eu-west-1-Network`)',
    );
    assert.ok(
      w.progress.lines.includes("--timeout 50m00s (berth plan's estimate; pass --timeout to change it)"),
      w.progress.lines.join('\n'),
    );
    assert.deepEqual(w.synthesized, ['prod']);
  });

  it('checks Berth-Global too before deploying, and stops when it needs attention', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.model.stacks.get('Berth-Global')!.status = 'UPDATE_ROLLBACK_FAILED';

    const error = await caught(
      deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES }),
    );

    assert.equal(error.message, 'stacks need attention before deploying:');
    assert.match(error.detail ?? '', /Berth-Global is UPDATE_ROLLBACK_FAILED: /);
    assert.deepEqual(w.deployer.deployed, []);
  });

  it("keeps the production rule's live weights on a blue/green redeploy, and says so", async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.docker.sha = SHA_A;
    await deployEnvironment(w.ctx, { env: 'prod', skipBuild: false, timeoutMs: TEN_MINUTES });
    w.docker.sha = SHA_B;

    await deployEnvironment(w.ctx, { env: 'prod', skipBuild: false, timeoutMs: TEN_MINUTES });

    // After the first create ECS serves everything from the group the stack attached first (blue).
    assert.ok(
      w.progress.lines.includes('web: production rule weights now 100/0 (kept)'),
      w.progress.lines.join('\n'),
    );
    assert.deepEqual(w.deployer.deployed.at(-1)?.weights, { web: '100/0' });
  });
});
