import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LoadedConfig } from '@berth/infra';
import { changeSafetyPreflight } from '../src/commands/shared.js';
import type { CommandContext, DeployPreflight } from '../src/context.js';
import { CliError } from '../src/errors.js';
import { RecordingProgress } from '../src/ui/progress.js';
import { CART, GLOBAL_STACK_NAME } from './fixtures/cart-config.js';
import { ONE_WEB_SERVICE } from './scenarios/configs.js';
import { modelWorld } from './scenarios/model-context.js';
import { runBerth } from './scenarios/run-berth.js';

// Lifecycle scenarios: the real commands (through `main`, as a user types them) run in sequence
// against one model of AWS state, so each command sees what the previous one left behind.

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const SHA_A = '3f9c2ab41d07';
const SHA_B = '8e1d44c0a9b2';
const SHA_C = 'c0ffee123456';
const TEST_DIGEST_PARAM = '/berth/test/image-digest';
const PROD_DIGEST_PARAM = '/berth/prod/image-digest';
const TEST_SERVICE = 'Berth-Test-eu-west-1-Service';

function world({
  bootstrapped = true,
  globalDeployed = true,
  preflight,
  changeSafety = false,
  config = CART,
}: {
  /** The app the account holds: the cart's, or one whose service names a test states (./scenarios/configs.ts). */
  config?: LoadedConfig;
  /** The real deploy preflight (`berth plan`'s change safety) over the model and the deployer's app. */
  changeSafety?: boolean;
  bootstrapped?: boolean;
  /** Berth-Global exists (prod's deploy or an administrator created it). */
  globalDeployed?: boolean;
  preflight?: DeployPreflight;
} = {}) {
  const w = modelWorld({ bootstrapped, globalDeployed, config });
  const gate = changeSafetyPreflight({
    repoRoot: w.repoRoot,
    globalStackName: GLOBAL_STACK_NAME,
    cfnFor: (region) => w.model.clientsFor(region).cfn,
    synthesize: w.ctx.synthesize,
    progress: w.progress,
  });
  const ctx: CommandContext = {
    ...w.ctx,
    ...(changeSafety ? { preflight: gate } : preflight ? { preflight } : {}),
  };

  /** `berth <args>`: exit code, stdout and stderr as the user would see them. */
  const berth = (...args: string[]) => runBerth(ctx, ...args);

  /** Deploys the current commit and expects success. */
  async function release(env: 'test' | 'prod', sha: string) {
    w.docker.sha = sha;
    const result = await berth('deploy', env);
    assert.equal(result.code, 0, result.stderr);
    return w.model.images.get(sha)!;
  }

  return { ...w, berth, release };
}

describe('lifecycle: first deploy in a fresh account', () => {
  it("names the env's exact bootstrap commands, then Berth-Global's deploy, then deploys", async () => {
    // GIVEN an account CDK never bootstrapped, without Berth-Global
    const w = world({ bootstrapped: false, globalDeployed: false });

    // WHEN the user deploys test
    const first = await w.berth('deploy', 'test');

    // THEN one line, then the commands to type (write test's files, its execution policy and qualifier), exit 1
    assert.equal(first.code, 1);
    assert.equal(
      first.stderr,
      `berth: CDK is not bootstrapped for test in aws://${ACCOUNT}/${REGION} (qualifier berthtest): ` +
        'run these from the repository root with administrator credentials for that account, then deploy again\n' +
        'npx berth bootstrap test\n' +
        'aws iam create-policy --policy-name berth-test-cfn-execution --policy-document file://.berth/bootstrap/test/execution-policy.json\n' +
        `npx aws-cdk@2 bootstrap aws://${ACCOUNT}/${REGION} --qualifier berthtest --toolkit-stack-name CDKToolkit-berthtest ` +
        '--template .berth/bootstrap/test/bootstrap-template.yaml ' +
        `--cloudformation-execution-policies arn:aws:iam::${ACCOUNT}:policy/berth-test-cfn-execution\n`,
    );
    assert.equal(w.model.stacks.size, 0);

    // WHEN test is bootstrapped and deployed again
    w.model.bootstrap(REGION, 'test');
    const second = await w.berth('deploy', 'test');

    // THEN it does not create Berth-Global (prod's qualifier): it says in one line how to
    assert.equal(second.code, 1);
    assert.equal(
      second.stderr,
      `berth: Berth-Global (the image registry and CI roles) is not deployed in aws://${ACCOUNT}/${REGION}: ` +
        'deploy it first with `berth deploy prod --global-only`\n',
    );
    assert.equal(w.model.stacks.size, 0);

    // WHEN prod is bootstrapped and deployed (creating Berth-Global), then test by test's CI role
    w.model.bootstrap(REGION, 'prod');
    await w.release('prod', SHA_A);
    assert.equal(w.model.stackStatus('Berth-Global'), 'CREATE_COMPLETE');
    w.deployer.assumableQualifier = 'berthtest';
    const deployedBefore = w.deployer.deployed.length;
    const third = await w.berth('deploy', 'test');

    // THEN test deploys only its own stacks, from the image already in ECR, smoke-tested and recorded
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /^http:\/\/berth-test-\d+\.eu-west-1\.elb\.amazonaws\.com\n$/);
    assert.deepEqual(
      w.deployer.deployed.slice(deployedBefore).map((d) => d.stacks),
      [['Network', 'Data', 'Service', 'Monitoring'].map((c) => `Berth-Test-eu-west-1-${c}`)],
    );
    const pushed = w.model.images.get(SHA_A);
    assert.ok(pushed, 'the commit tag is in ECR');
    assert.deepEqual(w.model.parameterValues(REGION, TEST_DIGEST_PARAM), [pushed]);
    assert.equal(
      w.model.runningImage('test'),
      pushed,
      'the recorded digest is the one the task definition pulls',
    );
    const login = w.docker.commands.findIndex((c) =>
      c.startsWith('docker login --username AWS --password-stdin'),
    );
    const build = w.docker.commands.findIndex((c) => c.startsWith('docker buildx build'));
    assert.ok(login !== -1 && login < build, w.docker.commands.join('\n'));
    assert.match(w.docker.commands[build]!, /--platform linux\/amd64 --provenance=false --sbom=false /);
  });

  it('berth deploy prod --global-only creates Berth-Global alone; then test deploys', async () => {
    // GIVEN a bootstrapped account without Berth-Global
    const w = world({ globalDeployed: false });

    // WHEN an administrator deploys the account-wide stack alone
    const global = await w.berth('deploy', 'prod', '--global-only');

    // THEN Berth-Global exists, through prod's bootstrap, and nothing else: no image, no prod stack
    assert.equal(global.code, 0, global.stderr);
    assert.deepEqual(
      w.deployer.deployed.map((d) => d.stacks),
      [['Berth-Global']],
    );
    assert.deepEqual([...w.model.stacks.keys()], ['Berth-Global']);
    assert.equal(w.docker.builds, 0);
    // Its outputs, one `key<TAB>value` a line: what the GitHub repository variables take.
    assert.equal(global.stdout, `RepositoryUri\t${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/berth/service\n`);

    // AND test, deployed by test's CI role, finds it
    w.deployer.assumableQualifier = 'berthtest';
    w.docker.sha = SHA_A;
    const test = await w.berth('deploy', 'test');
    assert.equal(test.code, 0, test.stderr);
    assert.equal(w.model.stackStatus('Berth-Prod-eu-west-1-Service'), undefined);
  });

  it('--global-only refuses test (its CI role cannot assume prod’s roles) and image flags, before any AWS call', async () => {
    const w = world({ globalDeployed: false });
    const test = await w.berth('deploy', 'test', '--global-only');
    assert.equal(test.code, 1);
    assert.equal(
      test.stderr,
      'berth: --global-only: Berth-Global deploys with prod (its bootstrap roles); run `berth deploy prod --global-only`\n',
    );
    const tagged = await w.berth('deploy', 'prod', '--global-only', '--image-tag', 'v1');
    assert.equal(tagged.code, 1);
    assert.equal(
      tagged.stderr,
      'berth: --global-only deploys no image and no environment stack: drop --image-tag\n',
    );
    assert.deepEqual(w.model.calls, []);
  });

  it("test's CI role could not deploy Berth-Global: the model refuses prod's roles to it", async () => {
    // A guard on the model itself: were the deploy flow to deploy Global for test, this is what AWS says.
    const w = world();
    w.deployer.assumableQualifier = 'berthtest';
    await assert.rejects(
      w.deployer.deploy(['Berth-Global'], {}),
      /not authorized to perform: sts:AssumeRole on resource: .*role\/cdk-berthprod-deploy-role-/,
    );
  });

  it('keeps stdout to the JSON result with --json', async () => {
    const w = world();
    const result = await w.berth('deploy', 'test', '--json');
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout) as { env: string; digest: string };
    assert.equal(parsed.env, 'test');
    assert.equal(parsed.digest, w.model.images.get(SHA_A));
  });
});

describe('lifecycle: re-running a failed deploy of the same commit', () => {
  it('finds the commit tag in ECR and deploys its digest without rebuilding (tags are immutable)', async () => {
    // GIVEN test runs A, and the deploy of B failed in CloudFormation after B was pushed
    const w = world();
    await w.release('test', SHA_A);
    w.docker.sha = SHA_B;
    w.deployer.failNext = { stack: TEST_SERVICE, reason: 'Rate exceeded' };
    const failed = await w.berth('deploy', 'test');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^berth: deploy of test in eu-west-1 failed: .*Rate exceeded/);
    assert.equal(w.docker.builds, 2);

    // WHEN the same commit is deployed again
    const rerun = await w.berth('deploy', 'test');

    // THEN it is not rebuilt (a rebuild's push would be refused) and B's digest is what runs
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(w.docker.builds, 2, 'no second build of B');
    const b = w.model.images.get(SHA_B)!;
    assert.equal(w.model.runningImage('test'), b);
    assert.deepEqual(w.model.parameterValues(REGION, TEST_DIGEST_PARAM).at(-1), b);
  });
});

describe('lifecycle: CI builds with berth image', () => {
  it('builds once for the cluster architecture, and a re-run of the job prints the same digest without building', async () => {
    // GIVEN test runs A, and CI's build job for commit B
    const w = world();
    await w.release('test', SHA_A);
    w.docker.sha = SHA_B;

    // WHEN the build job runs, and is re-run (same commit)
    const first = await w.berth('image', 'test', '--json');
    const again = await w.berth('image', 'test', '--json');

    // THEN one single-platform build, one digest, and it is the image ECR holds for B's tag
    assert.equal(first.code, 0, first.stderr);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(w.docker.builds, 2, 'A once, B once');
    const b = w.model.images.get(SHA_B)!;
    assert.deepEqual(JSON.parse(first.stdout), { digest: b, images: { web: b } });
    assert.deepEqual(JSON.parse(again.stdout), { digest: b, images: { web: b } });
    assert.ok(
      w.docker.commands.some((c) => c.includes('--platform linux/amd64') && c.includes('--provenance=false')),
      w.docker.commands.join('\n'),
    );
  });
});

describe('lifecycle: blue/green', () => {
  it('waits on the live target group ECS reports, deploy after deploy, as the groups swap', async () => {
    // GIVEN prod (blue/green) created with A
    const w = world();
    const a = await w.release('prod', SHA_A);
    const outputGroup = w.model.stacks.get('Berth-Prod-eu-west-1-Service')!.outputs.TargetGroupArn;
    const liveAfterA = w.model.service('prod')!.live;

    // WHEN B and then C are deployed
    const b = await w.release('prod', SHA_B);
    const liveAfterB = w.model.service('prod')!.live;
    // (status, between deploys, reports the live group's targets, not the drained one the output names)
    w.clock.time += 60_000;
    const status = await w.berth('status', 'prod', '--json');
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as { digest: string; services: { targets: unknown }[] };
    assert.equal(parsed.digest, b);
    assert.deepEqual(parsed.services[0]?.targets, { healthy: 2, total: 2, problems: [] });
    const c = await w.release('prod', SHA_C);

    // THEN each deploy settled and was recorded, while the live group alternated
    assert.notEqual(liveAfterB, liveAfterA);
    assert.notEqual(liveAfterB, outputGroup, 'the stack output names the group that is no longer live');
    assert.equal(w.model.service('prod')!.live, liveAfterA);
    assert.deepEqual(w.model.parameterValues(REGION, PROD_DIGEST_PARAM), [a, b, c]);
  });
});

describe('lifecycle: live production weights', () => {
  it("renders each deploy's template with the weights ECS left on the production rule", async () => {
    // GIVEN prod (blue/green) with one web service, `web`: created with A, then B deployed (ECS moved all
    // traffic to green)
    const w = world({ config: ONE_WEB_SERVICE });
    await w.release('prod', SHA_A);
    await w.release('prod', SHA_B);

    // WHEN C is deployed, then rolled back
    await w.release('prod', SHA_C);
    const rollback = await w.berth('rollback', 'prod');
    assert.equal(rollback.code, 0, rollback.stderr);

    // THEN the first create passed none (no rule yet), each later synth the rule's weights then, blue first, by
    // web service: B saw 100/0, C saw 0/100 (B's swap), the rollback 100/0 (C swapped back)
    const serviceDeploys = w.deployer.deployed.filter((d) =>
      d.stacks.includes('Berth-Prod-eu-west-1-Service'),
    );
    assert.deepEqual(
      serviceDeploys.map((d) => d.weights),
      [undefined, { web: '100/0' }, { web: '0/100' }, { web: '100/0' }],
    );
  });
});

describe('lifecycle: rollback', () => {
  it('after a failed smoke test goes back to the last good release, not the one before it', async () => {
    // GIVEN A and B released, then C whose API fails the smoke test (ECS itself is healthy)
    const w = world();
    const a = await w.release('test', SHA_A);
    const b = await w.release('test', SHA_B);
    w.docker.sha = SHA_C;
    w.docker.behaviour = 'breaks-api';
    const broken = await w.berth('deploy', 'test');
    const c = w.model.images.get(SHA_C)!;
    assert.equal(broken.code, 1);
    assert.match(
      broken.stderr,
      new RegExp(
        `^berth: smoke test of \\w+: GET .*/readyz returned 503, expected 200; ${c} is running in test but was not recorded: run \`berth rollback test\``,
      ),
    );
    assert.deepEqual(w.model.parameterValues(REGION, TEST_DIGEST_PARAM), [a, b], 'C never recorded');
    assert.equal(w.model.runningImage('test'), c);

    // WHEN the user rolls back
    const rollback = await w.berth('rollback', 'test');

    // THEN B (the last good release) runs again and is recorded
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.equal(rollback.stdout, `test now runs ${b}\n`);
    assert.equal(w.model.runningImage('test'), b);
    assert.equal(w.model.parameterValues(REGION, TEST_DIGEST_PARAM).at(-1), b);
  });

  it('keeps walking back on repeated rollbacks, and stops with one line at the oldest release', async () => {
    // GIVEN A, B, C released
    const w = world();
    const a = await w.release('test', SHA_A);
    const b = await w.release('test', SHA_B);
    await w.release('test', SHA_C);

    // WHEN rolling back twice, then a third time
    const first = await w.berth('rollback', 'test');
    const second = await w.berth('rollback', 'test');
    const third = await w.berth('rollback', 'test');

    // THEN C → B → A, and the third has nothing older to go to
    assert.equal(first.stdout, `test now runs ${b}\n`);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, `test now runs ${a}\n`);
    assert.equal(w.model.runningImage('test'), a);
    assert.equal(third.code, 1);
    assert.equal(
      third.stderr,
      `berth: no release before ${a} recorded for test in ${TEST_DIGEST_PARAM}: pass --to <sha256:…> to choose one\n`,
    );
  });

  it('records nothing when the rolled-back service does not settle before the --timeout', async () => {
    // GIVEN A and B released to `web` (test is blue/green with a 2-minute bake)
    const w = world({ config: ONE_WEB_SERVICE });
    const a = await w.release('test', SHA_A);
    const b = await w.release('test', SHA_B);

    // WHEN the rollback may take only 1 minute
    const result = await w.berth('rollback', 'test', '--timeout', '1m');

    // THEN it fails without recording A: a deployment still baking is not a settled rollout
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `^berth: rollback of test in eu-west-1 to ${a} did not settle \\(web: timeout\\); nothing was recorded`,
      ),
    );
    assert.deepEqual(w.model.parameterValues(REGION, TEST_DIGEST_PARAM), [a, b]);
  });
});

describe('lifecycle: --timeout', () => {
  it('cancels the running stack update, says how to resume, and returns at once', async () => {
    // GIVEN test runs A, and the Service stack update for B hangs in CloudFormation
    const w = world();
    await w.release('test', SHA_A);
    w.docker.sha = SHA_B;
    w.deployer.hangOn = TEST_SERVICE;
    const started = w.clock.now();
    const wallClock = Date.now();

    // WHEN the deploy's 10 minutes run out
    const result = await w.berth('deploy', 'test', '--timeout', '10m');

    // THEN the update is cancelled (CloudFormation rolls it back) and the user is told what to run
    assert.equal(result.code, 1);
    const [headline, ...detail] = result.stderr.trimEnd().split('\n');
    assert.equal(
      headline,
      'berth: Berth-Test-eu-west-1-Network, Berth-Test-eu-west-1-Data, Berth-Test-eu-west-1-Service, ' +
        'Berth-Test-eu-west-1-Monitoring did not finish within the --timeout (10m00s); ' +
        'once CloudFormation is done, run `berth deploy test --timeout 20m` again',
    );
    assert.deepEqual(detail, [
      `${TEST_SERVICE}: update cancelled; CloudFormation is rolling it back to its previous state ` +
        `(\`aws cloudformation wait stack-rollback-complete --region eu-west-1 --stack-name ${TEST_SERVICE}\`)`,
    ]);
    assert.equal(w.model.stackStatus(TEST_SERVICE), 'UPDATE_ROLLBACK_IN_PROGRESS');
    assert.ok(w.clock.now() - started <= 10 * 60_000, 'no time past the deadline');
    assert.ok(Date.now() - wallClock < 5_000, 'returned promptly');
  });

  it("defaults to berth plan's estimate for the stacks it deploys: first create, then update", async () => {
    // GIVEN test's app: NAT gateways, a single-AZ database, a load balancer (no ECS service template)
    const w = world();
    w.deployer.app.set('Berth-Test-eu-west-1-Network', {
      Resources: { NatA: { Type: 'AWS::EC2::NatGateway' }, NatB: { Type: 'AWS::EC2::NatGateway' } },
    });
    w.deployer.app.set('Berth-Test-eu-west-1-Data', {
      Resources: { Database: { Type: 'AWS::RDS::DBInstance', Properties: { MultiAZ: false } } },
    });
    w.deployer.app.set(TEST_SERVICE, {
      Resources: { Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer' } },
    });

    // WHEN the first create hangs on the Data stack, without --timeout
    w.deployer.hangOn = 'Berth-Test-eu-west-1-Data';
    const created = await w.berth('deploy', 'test');

    // THEN it gave up after the first-create estimate, by hand: 2 synths × 20 s + 4 stacks × 45 s change
    // set + NAT 3 + RDS 12 + ALB 3 min = 21.67 → 22 min; × 1.5 = 33 → 35 min
    assert.equal(created.code, 1);
    assert.match(created.stderr, /did not finish within the --timeout \(35m00s\)/);

    // WHEN, once created, an update hangs on the Service stack
    w.model.stacks.get('Berth-Test-eu-west-1-Data')!.status = 'CREATE_COMPLETE';
    await w.release('test', SHA_A);
    w.docker.sha = SHA_B;
    w.deployer.hangOn = TEST_SERVICE;
    const updated = await w.berth('deploy', 'test');

    // THEN the update estimate: 2 × 20 s + 4 × 45 s = 3.67 → 4 min; × 1.5 = 6 → 10 min
    assert.equal(updated.code, 1);
    assert.match(updated.stderr, /did not finish within the --timeout \(10m00s\)/);
  });

  it('leaves no timer running once a timed-out deploy has returned', async () => {
    const { deployEnvironment } = await import('../src/deploy/deploy-flow.js');
    const { systemClock } = await import('../src/aws/wait-for-steady-state.js');
    const w = world();
    await w.release('test', SHA_A);
    w.deployer.hangOn = 'Berth-Test-eu-west-1-Network';
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();

    await assert.rejects(
      deployEnvironment(
        {
          config: CART,
          clients: (region) => w.model.clientsFor(region),
          deployer: async () => w.deployer,
          run: w.docker.run,
          progress: new RecordingProgress(),
          clock: systemClock,
          fetch: w.model.fetch,
          stdout: { write: () => true },
          repoRoot: '/repo',
          synthesize: async () => [],
        },
        { env: 'test', skipBuild: true, timeoutMs: 50 },
      ),
      /Berth-Test-eu-west-1-Network, .* did not finish within the --timeout/,
    );

    assert.equal(timers(), before);
  });
});

describe('lifecycle: preflight hook', () => {
  it("runs the caller's check after berth's own and before any stack changes, with the stacks to create", async () => {
    const seen: { env: string; firstCreate: readonly string[] }[] = [];
    const w = world({
      preflight: async ({ env, firstCreate }) => {
        seen.push({ env, firstCreate });
        throw new CliError('change safety: Berth-Test-eu-west-1-Data would replace the database');
      },
    });

    const result = await w.berth('deploy', 'test');

    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'berth: change safety: Berth-Test-eu-west-1-Data would replace the database\n',
    );
    assert.deepEqual(seen, [
      {
        env: 'test',
        firstCreate: ['Network', 'Data', 'Service', 'Monitoring'].map((c) => `Berth-Test-eu-west-1-${c}`),
      },
    ]);
    assert.deepEqual(w.deployer.deployed, [], 'nothing deployed');
  });
});

describe('lifecycle: change safety', () => {
  const DATA = 'Berth-Test-eu-west-1-Data';
  const FINDING = `stateful-delete:${DATA}/Database`;
  const withDatabase = {
    Resources: { Database: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres' } } },
  };
  const recorded = (repoRoot: string) =>
    JSON.parse(readFileSync(join(repoRoot, `.berth/deployed/test/${DATA}.template.json`), 'utf8')).template;

  it('refuses a deploy that deletes the database in one line naming the finding, and deploys it with --allow-change', async () => {
    // GIVEN test released with a database, its templates recorded
    const w = world({ changeSafety: true });
    w.deployer.app.set(DATA, withDatabase);
    await w.release('test', SHA_A);
    assert.deepEqual(recorded(w.repoRoot), withDatabase);

    // WHEN the app no longer has the database and test is deployed
    w.deployer.app.set(DATA, { Resources: {} });
    w.docker.sha = SHA_B;
    const deploysBefore = w.deployer.deployed.length;
    const refused = await w.berth('deploy', 'test');

    // THEN nothing is deployed, and the first line names the finding and the flag that accepts it
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr.split('\n')[0],
      'berth: refusing to deploy: 1 unsafe change(s) against the deployed stacks (berth plan shows them); ' +
        `fix them, or accept each with --allow-change ${FINDING}`,
    );
    assert.equal(w.deployer.deployed.length, deploysBefore);
    assert.deepEqual(w.model.stacks.get(DATA)!.template, withDatabase);
    assert.deepEqual(new Set(w.synthesized), new Set(['test']));

    // WHEN the user accepts exactly that finding
    const accepted = await w.berth('deploy', 'test', '--allow-change', FINDING);

    // THEN the change is applied and recorded, and the acceptance is reported
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.deepEqual(w.model.stacks.get(DATA)!.template, { Resources: {} });
    assert.deepEqual(recorded(w.repoRoot), { Resources: {} });
    assert.ok(
      w.progress.lines.includes(`accepted by --allow-change: ${FINDING}`),
      w.progress.lines.join('\n'),
    );
  });
});

describe('lifecycle: interrupted first create', () => {
  it('deploys over a stack left in REVIEW_IN_PROGRESS', async () => {
    // GIVEN a first create that stopped after CDK created its change set
    const w = world();
    w.model.stacks.set('Berth-Test-eu-west-1-Network', {
      status: 'REVIEW_IN_PROGRESS',
      outputs: {},
      terminationProtection: false,
    });

    const result = await w.berth('deploy', 'test');

    assert.equal(result.code, 0, result.stderr);
    assert.equal(w.model.stackStatus('Berth-Test-eu-west-1-Network'), 'CREATE_COMPLETE');
  });
});

describe('lifecycle: destroy', () => {
  it('destroys test, then deploys it again from the image already in ECR', async () => {
    const w = world();
    const a = await w.release('test', SHA_A);

    const destroyed = await w.berth('destroy', 'test');
    assert.equal(destroyed.code, 0, destroyed.stderr);
    assert.equal(w.model.stackStatus(TEST_SERVICE), undefined);
    assert.equal(w.model.service('test'), undefined);

    const again = await w.berth('deploy', 'test');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(w.docker.builds, 1, 'the existing tag is reused');
    assert.equal(w.model.runningImage('test'), a);
  });

  it('stops before prod data with follow-up commands that work on termination-protected stacks', async () => {
    const w = world();
    await w.release('prod', SHA_A);

    const result = await w.berth('destroy', 'prod', '--yes-destroy-prod');

    assert.equal(result.code, 1);
    const lines = result.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, /^berth: stopped before Berth-Prod-eu-west-1-Data: /);
    for (const stack of ['Berth-Prod-eu-west-1-Data', 'Berth-Prod-eu-west-1-Network']) {
      assert.ok(
        lines.some((l) =>
          l.includes(
            `aws cloudformation update-termination-protection --region eu-west-1 --no-enable-termination-protection --stack-name ${stack} && ` +
              `aws cloudformation delete-stack --region eu-west-1 --stack-name ${stack}`,
          ),
        ),
        `a working delete for ${stack} in:\n${result.stderr}`,
      );
    }
    assert.ok(!result.stderr.includes('cdk destroy'), 'cdk destroy fails on termination protection');
    // The protected stacks are still there; the model refuses to delete them while protected.
    assert.equal(w.model.stackStatus('Berth-Prod-eu-west-1-Data'), 'CREATE_COMPLETE');
  });
});
