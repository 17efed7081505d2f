import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AwsModel } from './scenarios/aws-model.js';
import { modelWorld } from './scenarios/model-context.js';
import { runBerth } from './scenarios/run-berth.js';

// The release step of `berth deploy` (issue #13): the real command, through `main`, against the AWS model,
// with a Service stack that has a release task (ModelDeployer.withReleaseTask) and one that has none.

const REGION = 'eu-west-1';
const SHA_A = '3f9c2ab41d07';
const SHA_B = '8e1d44c0a9b2';
const SHA_C = 'c0ffee123456';
const SERVICE_STACK = 'Berth-Test-eu-west-1-Service';
const DIGEST_PARAM = '/berth/test/image-digest';

function world({ releaseTask }: { releaseTask: boolean }) {
  const w = modelWorld();
  w.deployer.withReleaseTask = releaseTask;
  const berth = (...args: string[]) => runBerth(w.ctx, ...args);

  async function deploy(sha: string) {
    w.docker.sha = sha;
    return berth('deploy', 'test');
  }

  return { ...w, berth, deploy };
}

/** What must not move when a release fails: the service's revision, its deployments and every task definition. */
function serviceSnapshot(model: AwsModel) {
  const service = model.service('test')!;
  return {
    taskDefinition: service.taskDefinition,
    deployments: structuredClone(service.deployments),
    tasks: service.tasks.map((t) => t.arn),
    serviceRevisions: [...model.taskDefinitions].filter(([, td]) => !td.definition).map(([arn]) => arn),
    stackOutputs: { ...model.stacks.get(SERVICE_STACK)!.outputs },
  };
}

describe('release command: before the rollout', () => {
  it('succeeds: runs with the new image in the private subnets, exits 0, then the stacks roll out', async () => {
    // GIVEN test deployed once (a first create has no release task yet: the stack creates it)
    const w = world({ releaseTask: true });
    assert.equal((await w.deploy(SHA_A)).code, 0);
    assert.equal(w.model.runTasks.length, 0, 'no release task exists before the first create');

    // WHEN the next commit is deployed
    const callsBefore = w.model.calls.length;
    const result = await w.deploy(SHA_B);

    // THEN the release task ran with B's image before any stack was deployed, and the deploy went on
    assert.equal(result.code, 0, result.stderr);
    const digestB = w.model.images.get(SHA_B)!;
    assert.equal(w.model.runTasks.length, 1);
    const [task] = w.model.runTasks;
    const revision = w.model.taskDefinitions.get(task!.taskDefinition)!;
    assert.equal(revision.image, `${w.model.repositoryUri()}@${digestB}`);
    assert.equal(revision.definition?.family, 'BerthTestServiceReleaseTaskDefinition');
    assert.deepEqual(revision.definition?.containerDefinitions?.[0]?.command, [
      'node',
      'dist/migrate-command.js',
    ]);
    assert.deepEqual(task!.input.networkConfiguration, {
      awsvpcConfiguration: {
        subnets: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
        securityGroups: ['sg-0release0000000001'],
        assignPublicIp: 'DISABLED',
      },
    });
    assert.equal(
      task!.input.capacityProviderStrategy?.[0]?.capacityProvider?.endsWith('-CapacityProvider'),
      true,
    );
    const calls = w.model.calls.slice(callsBefore);
    const order = ['ECS.RegisterTaskDefinition', 'ECS.RunTask', 'ECS.DeregisterTaskDefinition'].map((c) =>
      calls.indexOf(c),
    );
    const firstDeploy = calls.findIndex((c) => c.startsWith('CDK.deploy'));
    assert.ok(
      order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1]!)),
      calls.join('\n'),
    );
    assert.ok(order[2]! < firstDeploy, 'the release finished before any stack was deployed');
    assert.equal(revision.inactive, true, 'the revision the CLI registered is deregistered afterwards');
    assert.equal(w.model.runningImage('test'), digestB);
    assert.deepEqual(w.model.parameterValues(REGION, DIGEST_PARAM), [w.model.images.get(SHA_A), digestB]);
  });

  it('a release command that fails stops the deploy before any task is replaced, and shows its logs', async () => {
    // GIVEN test running B, and a commit C whose migration fails
    const w = world({ releaseTask: true });
    assert.equal((await w.deploy(SHA_A)).code, 0);
    assert.equal((await w.deploy(SHA_B)).code, 0);
    const before = serviceSnapshot(w.model);
    const deploysBefore = w.deployer.deployed.length;
    w.docker.behaviour = 'fails-release';

    // WHEN C is deployed
    const result = await w.deploy(SHA_C);

    // THEN it fails with the container's exit code and its last log lines, exit 1
    assert.equal(result.code, 1);
    const [message, ...detail] = result.stderr.trimEnd().split('\n');
    assert.equal(
      message,
      'berth: the release command failed (exit code 1); the deploy stopped before any task was replaced, the running release is unchanged',
    );
    const taskId = w.model.runTasks.at(-1)!.arn.split('/').at(-1);
    assert.deepEqual(detail, [
      `last 2 log lines of the release task ${taskId}:`,
      '  {"level":30,"msg":"migrations: connecting"}',
      '  {"level":50,"msg":"release failed: database migration 0004-orders-index failed: column \\"placed_at\\" does not exist"}',
    ]);
    // AND nothing was deployed: the service, its deployments and task definitions are as they were
    assert.equal(w.deployer.deployed.length, deploysBefore, 'no stack deploy started');
    assert.deepEqual(serviceSnapshot(w.model), before);
    assert.equal(w.model.runningImage('test'), w.model.images.get(SHA_B));
    assert.deepEqual(w.model.parameterValues(REGION, DIGEST_PARAM), [
      w.model.images.get(SHA_A),
      w.model.images.get(SHA_B),
    ]);
    assert.equal(w.model.taskDefinitions.get(w.model.runTasks.at(-1)!.taskDefinition)?.inactive, true);
  });

  it('a release task that cannot be placed stops the deploy the same way, naming ECS’s reason', async () => {
    const w = world({ releaseTask: true });
    assert.equal((await w.deploy(SHA_A)).code, 0);
    const before = serviceSnapshot(w.model);
    const deploysBefore = w.deployer.deployed.length;
    // No free network interface on any instance (ECS API Reference, "RunTask": failures; "API failure reasons").
    w.model.runTaskFailure = { reason: 'RESOURCE:ENI' };

    const result = await w.deploy(SHA_B);

    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'berth: the release task could not start: RESOURCE:ENI; the deploy stopped before any task was replaced, the running release is unchanged\n',
    );
    assert.equal(w.deployer.deployed.length, deploysBefore);
    assert.deepEqual(serviceSnapshot(w.model), before);
  });

  it('a release still running at the --timeout is stopped, and the deploy stops before any task is replaced', async () => {
    const w = world({ releaseTask: true });
    assert.equal((await w.deploy(SHA_A)).code, 0);
    const before = serviceSnapshot(w.model);
    const deploysBefore = w.deployer.deployed.length;
    w.model.releaseDurationMs = 3_600_000;

    w.docker.sha = SHA_B;
    const result = await w.berth('deploy', 'test', '--timeout', '2m');

    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^berth: the release command was still running \(RUNNING\) at the --timeout: stopped it; the deploy stopped before any task was replaced/,
    );
    const task = w.model.runTasks.at(-1)!;
    assert.equal(task.stopCode, 'UserInitiated');
    assert.equal(task.stoppedReason, 'berth deploy: --timeout reached');
    assert.equal(w.deployer.deployed.length, deploysBefore);
    assert.deepEqual(serviceSnapshot(w.model), before);
  });

  it('without a release task (today’s stacks) a deploy makes no release call at all', async () => {
    const w = world({ releaseTask: false });
    assert.equal((await w.deploy(SHA_A)).code, 0);
    assert.equal((await w.deploy(SHA_B)).code, 0);
    const releaseCalls = w.model.calls.filter((c) =>
      /^ECS\.(RegisterTaskDefinition|RunTask|StopTask|DeregisterTaskDefinition)$/.test(c),
    );
    assert.deepEqual(releaseCalls, []);
    assert.equal(w.model.runTasks.length, 0);
  });
});
