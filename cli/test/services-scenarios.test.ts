import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AwsModel } from './scenarios/aws-model.js';
import { TWO_SERVICES } from './scenarios/configs.js';
import { inOrder, modelWorld } from './scenarios/model-context.js';
import { runBerth } from './scenarios/run-berth.js';

// An environment with two services of one image (issue #13 item 2): the real commands, through `main`, against
// the AWS model holding app `shop` (cli/test/scenarios/configs/two-services.berth.config.ts): web service `api`,
// which has the release command, and worker `jobs`, 3 tasks in test. Expected values are literals.

const REGION = 'eu-west-1';
const SHA_A = '3f9c2ab41d07';
const SHA_B = '8e1d44c0a9b2';
const SHA_C = 'c0ffee123456';
const SERVICE_STACK = 'Shop-Test-eu-west-1-Service';
const STACKS = ['Network', 'Data', 'Service', 'Monitoring'].map((c) => `Shop-Test-eu-west-1-${c}`);
const DIGEST_PARAM = '/shop/test/image-digest';
const CIRCUIT_BREAKER =
  `The stack named ${SERVICE_STACK} failed to deploy: UPDATE_ROLLBACK_COMPLETE: Resource handler returned message: ` +
  `"Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'."`;

/** The account holding shop, with release tasks in its Service stacks, and `berth <args>` run in it. */
function world() {
  const w = modelWorld({ config: TWO_SERVICES });
  w.deployer.withReleaseTask = true;
  const berth = (...args: string[]) => runBerth(w.ctx, ...args);

  async function deploy(sha: string) {
    w.docker.sha = sha;
    w.progress.lines.length = 0;
    return berth('deploy', 'test', '--timeout', '30m');
  }

  return { ...w, berth, deploy };
}

/** What each service runs: the digest of its container's image, and the container's name. */
function running(model: AwsModel) {
  return Object.fromEntries(
    model.servicesOf('test').map((s) => {
      const revision = model.taskDefinitions.get(s.taskDefinition)!;
      return [s.configName, { digest: revision.image.split('@')[1], container: revision.container }];
    }),
  );
}

/** What must not move when a deploy stops early: each service's revision, deployments and tasks. */
function snapshot(model: AwsModel) {
  return model.servicesOf('test').map((s) => ({
    name: s.configName,
    taskDefinition: s.taskDefinition,
    deployments: structuredClone(s.deployments),
    tasks: s.tasks.map((t) => t.arn),
    desiredCount: s.desiredCount,
  }));
}

describe('two services, one image: deploy, re-deploy, rollback, destroy', () => {
  it('rolls both out and waits for each, keeps the web service’s weights, rolls both back, empties both', async () => {
    const w = world();

    // WHEN A is deployed to a fresh test
    const first = await w.deploy(SHA_A);

    // THEN both services run A, each in the container named after it, the worker with its 3 tasks
    assert.equal(first.code, 0, first.stderr);
    const a = w.model.images.get(SHA_A)!;
    assert.deepEqual(running(w.model), {
      api: { digest: a, container: 'api' },
      jobs: { digest: a, container: 'jobs' },
    });
    const api = w.model.service('test', 'api')!;
    const jobs = w.model.service('test', 'jobs')!;
    assert.equal(jobs.desiredCount, 3);
    assert.equal(jobs.live, undefined, 'a worker has no target group');
    // AND the deploy waited for each service, naming it, the worker without targets
    assert.ok(
      inOrder(w.progress.lines, [
        `deploying ${STACKS.join(', ')}`,
        `waiting for api (${api.name}) to reach a steady state`,
        'api: rollout COMPLETED, tasks 1/1 running (0 pending), targets 1/1 healthy',
        `waiting for jobs (${jobs.name}) to reach a steady state`,
        'jobs: rollout COMPLETED, tasks 3/3 running (0 pending)',
      ]),
      w.progress.lines.join('\n'),
    );
    assert.equal(first.stdout, `${w.model.stacks.get(SERVICE_STACK)!.outputs.ServiceUrl}\n`);
    assert.deepEqual(w.model.parameterValues(REGION, DIGEST_PARAM), [a]);

    // WHEN B is deployed
    const second = await w.deploy(SHA_B);

    // THEN api's release command ran with B before the stacks, the template kept api's rule weights (blue
    // serving after the first create), and both services run B once each settled (api after its bake)
    assert.equal(second.code, 0, second.stderr);
    const b = w.model.images.get(SHA_B)!;
    const release = w.model.runTasks.at(-1)!;
    const releaseRevision = w.model.taskDefinitions.get(release.taskDefinition)!;
    assert.equal(releaseRevision.image, `${w.model.repositoryUri()}@${b}`);
    assert.deepEqual(releaseRevision.definition?.containerDefinitions?.[0]?.command, [
      './bin/migrate',
      '--apply',
    ]);
    assert.deepEqual(w.deployer.deployed.at(-1)?.weights, { api: '100/0' });
    assert.ok(
      inOrder(w.progress.lines, [
        'api: production rule weights now 100/0 (kept)',
        `api: running the release command (${releaseRevision.definition?.family}:${releaseRevision.definition?.revision}) before the rollout`,
        'api: release command exited 0 after 20s',
        `deploying ${STACKS.join(', ')}`,
        `waiting for api (${api.name}) to reach a steady state`,
        'api: rollout IN_PROGRESS, tasks 1/1 running (0 pending), targets 1/1 healthy',
        'api: rollout COMPLETED, tasks 1/1 running (0 pending), targets 1/1 healthy',
        `waiting for jobs (${jobs.name}) to reach a steady state`,
        'jobs: rollout COMPLETED, tasks 3/3 running (0 pending)',
      ]),
      w.progress.lines.join('\n'),
    );
    assert.deepEqual(running(w.model), {
      api: { digest: b, container: 'api' },
      jobs: { digest: b, container: 'jobs' },
    });
    assert.deepEqual(w.model.parameterValues(REGION, DIGEST_PARAM), [a, b]);

    // WHEN test is rolled back
    w.progress.lines.length = 0;
    const rollback = await w.berth('rollback', 'test', '--timeout', '30m');

    // THEN both services run A again, with api's rule weights as B left them, and A is recorded
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.deepEqual(running(w.model), {
      api: { digest: a, container: 'api' },
      jobs: { digest: a, container: 'jobs' },
    });
    assert.deepEqual(w.deployer.deployed.at(-1), {
      stacks: [SERVICE_STACK],
      image: a,
      weights: { api: '0/100' },
    });
    assert.ok(
      inOrder(w.progress.lines, [
        `waiting for api (${api.name}) to reach a steady state`,
        'api: rollout COMPLETED, tasks 1/1 running (0 pending), targets 1/1 healthy',
        `waiting for jobs (${jobs.name}) to reach a steady state`,
        'jobs: rollout COMPLETED, tasks 3/3 running (0 pending)',
      ]),
      w.progress.lines.join('\n'),
    );
    assert.deepEqual(w.model.parameterValues(REGION, DIGEST_PARAM), [a, b, a]);

    // WHEN test is destroyed
    w.progress.lines.length = 0;
    const destroy = await w.berth('destroy', 'test');

    // THEN both services were scaled to zero before their stack went, and every test stack is gone
    assert.equal(destroy.code, 0, destroy.stderr);
    assert.deepEqual(w.model.deletedServices, [
      { name: 'api', desiredCount: 0 },
      { name: 'jobs', desiredCount: 0 },
    ]);
    assert.ok(
      inOrder(w.progress.lines, [
        `scaling api (${api.name}) to 0: 0 running, 0 pending`,
        `scaling jobs (${jobs.name}) to 0: 0 running, 0 pending`,
        `destroying ${SERVICE_STACK}`,
      ]),
      w.progress.lines.join('\n'),
    );
    assert.deepEqual(
      STACKS.map((s) => w.model.stackStatus(s)),
      [undefined, undefined, undefined, undefined],
    );
  });
});

describe('two services: the worker’s circuit breaker trips', () => {
  it('fails the deploy naming the worker and its stopped tasks’ reasons; both services keep the release before', async () => {
    // GIVEN test runs B (deployed over A), and commit C whose worker exits at start
    const w = world();
    assert.equal((await w.deploy(SHA_A)).code, 0);
    assert.equal((await w.deploy(SHA_B)).code, 0);
    const b = w.model.images.get(SHA_B)!;
    const jobs = w.model.service('test', 'jobs')!;
    w.docker.behaviour = 'worker-crashes';

    // WHEN C is deployed
    const result = await w.deploy(SHA_C);

    // THEN it fails in one line naming jobs, exit 1
    assert.equal(result.code, 1);
    const [headline, ...detail] = result.stderr.trimEnd().split('\n');
    assert.equal(
      headline,
      `berth: deploy of test in eu-west-1 failed in service jobs: ${CIRCUIT_BREAKER}. ` +
        'CloudFormation rolls a failed stack back to its previous state.',
    );
    // AND the detail lists the worker's three crashed tasks (the circuit breaker's threshold), each with its
    // reason and exit code, newest first, the last lines the newest logged, then the worker's diagnosis: never
    // api's
    const failed = jobs.stopped.filter((t) => t.stopCode === 'EssentialContainerExited').reverse();
    assert.equal(failed.length, 3);
    const taskId = (arn: string) => arn.split('/').at(-1)!;
    const revision = failed[0]!.taskDefinition.split('/').at(-1)!;
    assert.match(revision, /^ShopTestJobs:\d+$/);
    assert.deepEqual(detail.slice(0, 6), [
      `jobs failed: 3 of its tasks stopped on their own (${jobs.name}):`,
      ...failed.map(
        (t) => `  ${taskId(t.arn)} (${revision}): Essential container in task exited; jobs exit 1`,
      ),
      `  last 1 log lines of ${taskId(failed[0]!.arn)}:`,
      '    {"level":60,"msg":"config: CART_EXPIRY_HOURS must be a whole number of hours, got \\"three days\\""}',
    ]);
    assert.equal(detail[6], `jobs (${jobs.name}):`);
    assert.ok(!result.stderr.includes('api failed'), result.stderr);
    assert.ok(!result.stderr.includes('api ('), 'only the failed service is diagnosed');
    // AND nothing moved: both services run B, C was never recorded
    assert.deepEqual(running(w.model), {
      api: { digest: b, container: 'api' },
      jobs: { digest: b, container: 'jobs' },
    });
    assert.deepEqual(w.model.parameterValues(REGION, DIGEST_PARAM), [w.model.images.get(SHA_A), b]);
  });
});

describe('two services: the release command fails', () => {
  it('stops the deploy before any task of either service is replaced, with the release’s logs', async () => {
    // GIVEN test runs A, and commit B whose migration fails
    const w = world();
    assert.equal((await w.deploy(SHA_A)).code, 0);
    const a = w.model.images.get(SHA_A)!;
    const before = snapshot(w.model);
    const deploysBefore = w.deployer.deployed.length;
    w.docker.behaviour = 'fails-release';

    // WHEN B is deployed
    const result = await w.deploy(SHA_B);

    // THEN the release's failure and its last log lines, exit 1
    assert.equal(result.code, 1);
    const [headline, ...detail] = result.stderr.trimEnd().split('\n');
    assert.equal(
      headline,
      'berth: the release command failed (exit code 1); the deploy stopped before any task was replaced, the running release is unchanged',
    );
    assert.deepEqual(detail.slice(1), [
      '  {"level":30,"msg":"migrations: connecting"}',
      '  {"level":50,"msg":"release failed: database migration 0004-orders-index failed: column \\"placed_at\\" does not exist"}',
    ]);
    // AND no stack was deployed: api and jobs are exactly as they were, on A, and B was never recorded
    assert.equal(w.deployer.deployed.length, deploysBefore);
    assert.deepEqual(snapshot(w.model), before);
    assert.deepEqual(
      before.map((s) => s.name),
      ['api', 'jobs'],
    );
    assert.deepEqual(running(w.model), {
      api: { digest: a, container: 'api' },
      jobs: { digest: a, container: 'jobs' },
    });
    assert.deepEqual(w.model.parameterValues(REGION, DIGEST_PARAM), [a]);
  });
});
