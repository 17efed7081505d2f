/**
 * `berth deploy prod --global-only` (cli/src/deploy/global-deploy.ts), in-process against the AWS model
 * (cli/test/scenarios) so the mutation run sees what it reaches: the checks it makes before deploying, what it
 * hands the change-safety preflight, the deployer it asks for, the default --timeout (create or update) and the
 * resume command when that runs out. Expected values are literals: app `berth` (ONE_WEB_SERVICE), account
 * 123456789012, eu-west-1; the timeouts are worked out by hand from berth plan's published figures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnvName } from '@berth/infra';
import type { DeployPreflight } from '../src/context.js';
import { deployGlobalOnly } from '../src/deploy/global-deploy.js';
import { CliError } from '../src/errors.js';
import { ONE_WEB_SERVICE } from './scenarios/configs.js';
import { modelWorld } from './scenarios/model-context.js';

const GLOBAL = 'Berth-Global';
const REPOSITORY_URI = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/web';
const MINUTE = 60_000;

async function caught(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof CliError, `expected a CliError, got ${String(error)}`);
  return error;
}

/**
 * The model's account, with every preflight input and deployer request recorded. Berth-Global's template
 * holds a single-AZ RDS instance so that its first-create estimate differs from its update estimate
 * (stack-time.ts: a create waits for slow resources, an update only for its change set):
 *   create: 2 synths × 20 s + 45 s change set + RDS 12 min = 13.42 → 14 min; × 1.5 = 21 → 25 min
 *   update: 2 synths × 20 s + 1 change set × 45 s           =  1.42 →  2 min; × 1.5 =  3 →  5 min
 */
function world({ globalDeployed }: { globalDeployed: boolean }) {
  const w = modelWorld({ config: ONE_WEB_SERVICE, globalDeployed });
  w.deployer.app.set(GLOBAL, {
    Resources: { Slow: { Type: 'AWS::RDS::DBInstance', Properties: { MultiAZ: false } } },
  });
  const preflights: Parameters<DeployPreflight>[0][] = [];
  const requested: EnvName[][] = [];
  const made = w.ctx.deployer;
  w.ctx = {
    ...w.ctx,
    preflight: async (input) => {
      preflights.push(input);
    },
    deployer: (environments) => {
      requested.push([...environments]);
      return made(environments);
    },
  };
  return { ...w, preflights, requested };
}

describe('berth deploy prod --global-only', () => {
  it('creates Berth-Global alone through a deployer for prod, after a preflight that names it a first create', async () => {
    const w = world({ globalDeployed: false });

    const result = await deployGlobalOnly(w.ctx, { env: 'prod', timeoutMs: 30 * MINUTE });

    assert.deepEqual(result, { stackName: GLOBAL, outputs: { RepositoryUri: REPOSITORY_URI } });
    assert.deepStrictEqual(w.preflights, [
      { env: 'prod', targets: [], firstCreate: [GLOBAL], allowChange: [] },
    ]);
    assert.deepStrictEqual(w.requested, [['prod']]);
    assert.deepEqual(
      w.deployer.deployed.map((d) => d.stacks),
      [[GLOBAL]],
    );
    assert.deepEqual(w.progress.lines, ['checking AWS credentials', `deploying ${GLOBAL}`]);
    assert.equal(w.model.stackStatus(GLOBAL), 'CREATE_COMPLETE');
    assert.deepEqual(w.synthesized, [], 'with --timeout given, nothing is synthesized for an estimate');
  });

  it('hands the accepted change ids to the preflight, and an existing Berth-Global is no first create', async () => {
    const w = world({ globalDeployed: true });

    await deployGlobalOnly(w.ctx, {
      env: 'prod',
      timeoutMs: 30 * MINUTE,
      allowChange: ['replace:Berth-Global/Registry'],
    });

    assert.deepStrictEqual(w.preflights, [
      { env: 'prod', targets: [], firstCreate: [], allowChange: ['replace:Berth-Global/Registry'] },
    ]);
    assert.equal(w.model.stackStatus(GLOBAL), 'UPDATE_COMPLETE');
  });

  it('an interrupted first create (REVIEW_IN_PROGRESS) is still a first create', async () => {
    const w = world({ globalDeployed: true });
    w.model.stacks.get(GLOBAL)!.status = 'REVIEW_IN_PROGRESS';

    await deployGlobalOnly(w.ctx, { env: 'prod', timeoutMs: 30 * MINUTE });

    assert.deepStrictEqual(
      w.preflights.map((p) => p.firstCreate),
      [[GLOBAL]],
    );
  });

  it('refuses a Berth-Global that needs attention, deploying nothing', async () => {
    const w = world({ globalDeployed: true });
    w.model.stacks.get(GLOBAL)!.status = 'UPDATE_ROLLBACK_FAILED';

    const error = await caught(deployGlobalOnly(w.ctx, { env: 'prod', timeoutMs: 30 * MINUTE }));

    assert.equal(error.message, 'stacks need attention before deploying:');
    assert.match(error.detail ?? '', /^Berth-Global is UPDATE_ROLLBACK_FAILED: /);
    assert.deepEqual(w.deployer.deployed, []);
    assert.deepEqual(w.preflights, []);
  });
});

describe('berth deploy prod --global-only: the --timeout', () => {
  it("a first create defaults to the plan's create estimate (25 min), stops there and says how to resume (twice that)", async () => {
    const w = world({ globalDeployed: false });
    w.deployer.hangOn = GLOBAL;
    const started = w.clock.now();

    const error = await caught(deployGlobalOnly(w.ctx, { env: 'prod' }));

    assert.equal(
      error.message,
      'Berth-Global did not finish within the --timeout (25m00s); ' +
        'once CloudFormation is done, run `berth deploy prod --global-only --timeout 50m` again',
    );
    // A create cannot be cancelled: the line names the wait for it, read from the stack in eu-west-1.
    assert.equal(
      error.detail,
      'Berth-Global: CREATE_IN_PROGRESS cannot be cancelled and continues in CloudFormation ' +
        '(`aws cloudformation wait stack-create-complete --region eu-west-1 --stack-name Berth-Global`)',
    );
    assert.equal(w.clock.now() - started, 25 * MINUTE, 'the deadline is the start plus the estimate');
    assert.deepEqual(w.synthesized, ['prod']);
  });

  it("an update defaults to the plan's update estimate (5 min), and is cancelled when it runs out", async () => {
    const w = world({ globalDeployed: true });
    w.deployer.hangOn = GLOBAL;
    const started = w.clock.now();

    const error = await caught(deployGlobalOnly(w.ctx, { env: 'prod' }));

    assert.equal(
      error.message,
      'Berth-Global did not finish within the --timeout (5m00s); ' +
        'once CloudFormation is done, run `berth deploy prod --global-only --timeout 10m` again',
    );
    assert.equal(
      error.detail,
      'Berth-Global: update cancelled; CloudFormation is rolling it back to its previous state ' +
        '(`aws cloudformation wait stack-rollback-complete --region eu-west-1 --stack-name Berth-Global`)',
    );
    assert.equal(w.clock.now() - started, 5 * MINUTE);
  });

  it('a --timeout given is kept as it is (7 min: resume with 14), and no estimate is made', async () => {
    const w = world({ globalDeployed: false });
    w.deployer.hangOn = GLOBAL;
    const started = w.clock.now();

    const error = await caught(deployGlobalOnly(w.ctx, { env: 'prod', timeoutMs: 7 * MINUTE }));

    assert.equal(
      error.message,
      'Berth-Global did not finish within the --timeout (7m00s); ' +
        'once CloudFormation is done, run `berth deploy prod --global-only --timeout 14m` again',
    );
    assert.equal(w.clock.now() - started, 7 * MINUTE);
    assert.deepEqual(w.synthesized, []);
  });

  it('rounds the resume --timeout up to whole minutes (2 × 90 s = 3 min; 2 × 100 s → 4 min)', async () => {
    for (const [seconds, resume] of [
      [90, '3m'],
      [100, '4m'],
    ] as const) {
      const w = world({ globalDeployed: true });
      w.deployer.hangOn = GLOBAL;

      const error = await caught(deployGlobalOnly(w.ctx, { env: 'prod', timeoutMs: seconds * 1000 }));

      assert.ok(
        error.message.endsWith(`run \`berth deploy prod --global-only --timeout ${resume}\` again`),
        error.message,
      );
    }
  });
});
