import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeClustersCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { OUTPUTS } from '@berth/infra';
import { deployEnvironment } from '../src/deploy/deploy-flow.js';
import { destroyEnvironment } from '../src/deploy/destroy-flow.js';
import { rollbackEnvironment } from '../src/deploy/rollback-flow.js';
import { CLUSTER, FakeDeployer, fakeContext, givenServiceStackOutputs, mockAws } from './fixtures/aws.js';
import { ONE_WEB_SERVICE } from './scenarios/configs.js';
import { inOrder, modelWorld } from './scenarios/model-context.js';
import { caught } from './support/caught.js';

// `berth rollback` and `berth destroy` beyond their happy paths, in-process against the AWS model:
// an explicit --to, an image berth never recorded, the default --timeout, a failed redeploy; destroy of
// an environment that was never (or only partly) deployed, and a deletion that outlasts the --timeout.

const SHA_A = '3f9c2ab41d07';
const SHA_B = '8e1d44c0a9b2';
const SHA_C = 'c0ffee123456';
const TEN_MINUTES = 10 * 60_000;
const PARAM_KEY = 'eu-west-1|/berth/test/image-digest';
const TEST_SERVICE = 'Berth-Test-eu-west-1-Service';
const TEST_STACKS = ['Network', 'Data', 'Service', 'Monitoring'].map((c) => `Berth-Test-eu-west-1-${c}`);

/** test released A, B and C in that order (each recorded). */
async function releasedThree() {
  const w = modelWorld({ config: ONE_WEB_SERVICE });
  const digests: string[] = [];
  for (const sha of [SHA_A, SHA_B, SHA_C]) {
    w.docker.sha = sha;
    digests.push(
      (await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES })).digest,
    );
  }
  const [a, b, c] = digests as [string, string, string];
  return { w, a, b, c };
}

describe('berth rollback: paths', () => {
  it('--to goes to exactly that release, says from where, and records it as a rollback', async () => {
    const { w, a, c } = await releasedThree();

    const result = await rollbackEnvironment(w.ctx, { env: 'test', to: a, timeoutMs: TEN_MINUTES });

    assert.deepEqual(result, { env: 'test', from: c, to: a });
    assert.equal(w.model.runningImage('test'), a);
    assert.ok(w.progress.lines.includes(`rolling test back from ${c} to ${a}`), w.progress.lines.join('\n'));
    const last = w.model.parameters.get(PARAM_KEY)!.at(-1)!;
    assert.equal(last.Value, a);
    // The record says which command wrote it, so the next rollback skips it (image-digest.ts).
    assert.equal(last.Description, 'Image digest deployed to test by berth rollback');
  });

  it('refuses a --to that is not a digest before any AWS call', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    const error = await caught(
      rollbackEnvironment(w.ctx, { env: 'test', to: SHA_A, timeoutMs: TEN_MINUTES }),
    );
    assert.equal(
      error.message,
      `--image-digest "${SHA_A}" is not a digest: expected sha256: followed by 64 hex characters`,
    );
    assert.deepEqual(w.model.calls, []);
  });

  it('goes back to the newest release when the running image was never recorded (not pinned by digest)', async () => {
    // GIVEN A, B and C released, then someone pointed the service at a task definition pulling a tag
    const { w, c } = await releasedThree();
    const service = w.model.service('test')!;
    w.model.taskDefinitions.set(service.taskDefinition, { image: `${w.model.repositoryUri()}:latest` });

    const result = await rollbackEnvironment(w.ctx, { env: 'test', timeoutMs: TEN_MINUTES });

    assert.deepEqual(result, { env: 'test', from: undefined, to: c });
    assert.ok(
      w.progress.lines.includes(`rolling test back from an unknown image to ${c}`),
      w.progress.lines.join('\n'),
    );
  });

  it("defaults its --timeout to the plan's rollback estimate and resumes with the same --to", async () => {
    const { w, b } = await releasedThree();
    w.deployer.hangOn = TEST_SERVICE;

    const error = await caught(rollbackEnvironment(w.ctx, { env: 'test' }));

    // By hand: 1 synth x 20 s + 1 change set x 45 s (no ECS service in the model's templates) = 1.08 -> 2 min;
    // x 1.5 = 3 -> 5 min.
    assert.equal(
      error.message,
      `${TEST_SERVICE} did not finish within the --timeout (5m00s); ` +
        `once CloudFormation is done, run \`berth rollback test --to ${b}\` again`,
    );
    assert.match(error.detail ?? '', /^Berth-Test-eu-west-1-Service: update cancelled; /);
    assert.deepEqual(w.synthesized, ['test']);
  });

  it('a failed redeploy of the Service stack records nothing and comes with the diagnosis', async () => {
    const { w, a, b, c } = await releasedThree();
    w.deployer.failNext = { stack: TEST_SERVICE, reason: 'Rate exceeded' };

    const error = await caught(rollbackEnvironment(w.ctx, { env: 'test', timeoutMs: TEN_MINUTES }));

    assert.match(
      error.message,
      new RegExp(
        `^rollback of test in eu-west-1 to ${b} failed: The stack named ${TEST_SERVICE} failed to deploy: .*Rate exceeded; nothing was recorded$`,
      ),
    );
    assert.match(error.detail ?? '', /^Service events \(newest first\):/);
    assert.deepEqual(w.model.parameterValues('eu-west-1', '/berth/test/image-digest'), [a, b, c]);
  });
  it('says to deploy first when the environment has no stacks to roll back', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    const error = await caught(rollbackEnvironment(w.ctx, { env: 'test', timeoutMs: TEN_MINUTES }));
    assert.equal(
      error.message,
      'output ClusterName not found in the test stacks in eu-west-1: deploy the environment first (berth deploy <env>)',
    );
  });
});

describe('berth destroy: paths', () => {
  it('destroys an environment that was never deployed without touching ECS or its instances', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });

    const destroyed = await destroyEnvironment(w.ctx, {
      env: 'test',
      yesDestroyProd: false,
      timeoutMs: TEN_MINUTES,
    });

    assert.deepEqual(destroyed, [...TEST_STACKS].reverse());
    assert.deepEqual(
      w.model.calls.filter((c) => c.startsWith('ECS.') || c.startsWith('AutoScaling.')),
      [],
    );
  });

  it('stops at the --timeout while a stack is still being deleted, with the wait command', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.docker.sha = SHA_A;
    await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES });
    const log: string[] = [];
    const deployer = new FakeDeployer(log);
    deployer.destroy = async (stacks) => {
      log.push(...stacks.map((s) => `destroy ${s}`));
      if (stacks.includes(TEST_SERVICE)) return new Promise<never>(() => undefined);
    };
    w.ctx = { ...w.ctx, deployer: async () => deployer };
    const started = w.clock.now();

    const error = await caught(
      destroyEnvironment(w.ctx, { env: 'test', yesDestroyProd: false, timeoutMs: TEN_MINUTES }),
    );

    assert.equal(
      error.message,
      `${TEST_SERVICE} was still being deleted at the --timeout; CloudFormation continues: wait with ` +
        `\`aws cloudformation wait stack-delete-complete --region eu-west-1 --stack-name ${TEST_SERVICE}\`, ` +
        'then run `berth destroy test` again',
    );
    assert.deepEqual(log, ['destroy Berth-Test-eu-west-1-Monitoring', `destroy ${TEST_SERVICE}`]);
    assert.equal(w.clock.now() - started, TEN_MINUTES, 'the deadline is the start plus --timeout');
    assert.ok(
      inOrder(w.progress.lines, ['destroying Berth-Test-eu-west-1-Monitoring', `destroying ${TEST_SERVICE}`]),
    );
  });

  it('releases the instances of a cluster whose service was never created, without scaling a service', async () => {
    // GIVEN the Service stack published its cluster but no service (outputs of a partial create)
    const { clients, stubs } = mockAws();
    givenServiceStackOutputs(stubs, { [OUTPUTS.clusterName]: CLUSTER });
    stubs.ecs
      .on(DescribeClustersCommand, { clusters: [CLUSTER] })
      .resolves({ clusters: [{ clusterName: CLUSTER, capacityProviders: [] }] });
    const ctx = fakeContext(clients, { config: ONE_WEB_SERVICE });

    const destroyed = await destroyEnvironment(ctx, {
      env: 'test',
      yesDestroyProd: false,
      timeoutMs: TEN_MINUTES,
    });

    assert.deepEqual(destroyed, [...TEST_STACKS].reverse());
    assert.equal(stubs.ecs.commandCalls(DescribeClustersCommand).length, 1, 'the cluster was looked at');
    assert.equal(stubs.ecs.commandCalls(UpdateServiceCommand).length, 0, 'no service to scale');
  });

  it('stops before the prod database and lists every step to delete it, after what it destroyed', async () => {
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.docker.sha = SHA_A;
    await deployEnvironment(w.ctx, { env: 'prod', skipBuild: false, timeoutMs: TEN_MINUTES });

    const error = await caught(
      destroyEnvironment(w.ctx, { env: 'prod', yesDestroyProd: true, timeoutMs: TEN_MINUTES }),
    );

    assert.equal(
      error.message,
      'stopped before Berth-Prod-eu-west-1-Data: the prod database has deletion protection, so its data is never deleted by accident',
    );
    const step = (n: number, stack: string) =>
      `  ${n}. aws cloudformation update-termination-protection --region eu-west-1 --no-enable-termination-protection --stack-name ${stack} && ` +
      `aws cloudformation delete-stack --region eu-west-1 --stack-name ${stack} && ` +
      `aws cloudformation wait stack-delete-complete --region eu-west-1 --stack-name ${stack}`;
    assert.equal(
      error.detail,
      [
        'Destroyed so far: Berth-Prod-eu-west-1-Monitoring, Berth-Prod-eu-west-1-Service.',
        'To delete the database too (a final snapshot is kept), lift both protections, then delete the stacks:',
        '  1. aws rds modify-db-instance --region eu-west-1 --db-instance-identifier <id from the Berth-Prod-eu-west-1-Data stack> --no-deletion-protection --apply-immediately',
        step(2, 'Berth-Prod-eu-west-1-Data'),
        step(3, 'Berth-Prod-eu-west-1-Network'),
      ].join('\n'),
    );
    assert.equal(w.model.stackStatus('Berth-Prod-eu-west-1-Data'), 'CREATE_COMPLETE');
    assert.equal(w.model.stackStatus('Berth-Prod-eu-west-1-Service'), undefined);
  });
});
