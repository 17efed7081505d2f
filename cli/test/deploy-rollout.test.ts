import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand, ListTasksCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { deployEnvironment } from '../src/deploy/deploy-flow.js';
import {
  CLUSTER,
  deployment,
  digest,
  givenDeployedStacks,
  mockAws,
  SERVICE,
  service,
  TARGET_GROUP_ARN,
  TASK_DEF,
  target,
  URL_TEST,
} from './fixtures/aws.js';
import { webContext } from './fixtures/web-context.js';
import { caught } from './support/caught.js';

// `berth deploy` after CloudFormation: the ECS rollout that does not settle in time, settles late, or
// fails without the circuit breaker's rollback (then berth picks the revision to go back to itself).
// Every stub answers only the service, cluster and target group of the test stacks' outputs.

const GOOD = digest('a');
const request = { env: 'test', skipBuild: false, imageDigest: GOOD };
const SERVICE_REF = { cluster: CLUSTER, services: [SERVICE] };

function givenTargets(stubs: ReturnType<typeof mockAws>['stubs'], ...states: string[]): void {
  stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP_ARN }).resolves({
    TargetHealthDescriptions: states.map((s, i) => target(`i-0${i}`, 32768 + i, s)),
  });
}

describe('berth deploy: the ECS rollout', () => {
  it('gives up at the --timeout when the rollout never settles, names the last state and records nothing', async () => {
    // GIVEN a rollout stuck with one of two tasks running
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    stubs.ecs
      .on(DescribeServicesCommand, SERVICE_REF)
      .resolves(
        service([deployment({ taskDefinition: TASK_DEF(9), rolloutState: 'IN_PROGRESS', runningCount: 1 })]),
      );
    givenTargets(stubs, 'healthy', 'initial');
    stubs.ecs
      .on(ListTasksCommand, { cluster: CLUSTER, serviceName: SERVICE, desiredStatus: 'STOPPED' })
      .resolves({ taskArns: [] });
    const ctx = webContext(clients);
    const started = ctx.clock.now();

    // WHEN deployed with a 1-minute --timeout
    const error = await caught(deployEnvironment(ctx, { ...request, timeoutMs: 60_000 }));

    // THEN it stops within that minute (one deadline for the whole command), saying where the rollout was
    assert.equal(
      error.message,
      `web (${SERVICE}) did not reach a steady state before the --timeout ` +
        '(last: rollout IN_PROGRESS, tasks 1/2 running (0 pending), targets 1/2 healthy)',
    );
    assert.match(error.detail ?? '', /^Service events \(newest first\):\n {2}\(none\)\nStopped tasks:/);
    const waited = ctx.clock.now() - started;
    assert.ok(waited <= 60_000 && waited >= 50_000, `waited ${waited} ms of a 60 s --timeout`);
    assert.equal(stubs.ssm.commandCalls(PutParameterCommand).length, 0);
  });

  it('waits out a rollout that settles after two polls, and says how long it took', async () => {
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    const settling = deployment({
      taskDefinition: TASK_DEF(9),
      rolloutState: 'IN_PROGRESS',
      runningCount: 1,
    });
    stubs.ecs
      .on(DescribeServicesCommand, SERVICE_REF)
      .resolvesOnce(service([settling])) // which revision is ours
      .resolvesOnce(service([settling]))
      .resolvesOnce(service([settling]))
      .resolves(service([deployment({ taskDefinition: TASK_DEF(9) })]));
    givenTargets(stubs, 'healthy', 'healthy');
    stubs.ssm.on(PutParameterCommand, { Name: '/berth/test/image-digest', Value: GOOD }).resolves({});
    const ctx = webContext(clients);

    const result = await deployEnvironment(ctx, { ...request, timeoutMs: 30 * 60_000 });

    assert.equal(result.digest, GOOD);
    // Two 5 s polls (wait-for-steady-state's interval) went by on the fake clock.
    assert.ok(
      ctx.progress.lines.includes(`steady after 10s; smoke-testing ${URL_TEST}`),
      ctx.progress.lines.join('\n'),
    );
    assert.equal(stubs.ssm.commandCalls(PutParameterCommand).length, 1);
  });

  it('rolls back to the ACTIVE revision that is not the failed one, skipping draining and revision-less ones', async () => {
    // GIVEN a failed rollout of 9 with no circuit-breaker rollback; ECS still lists older deployments
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    stubs.ecs.on(DescribeServicesCommand, SERVICE_REF).resolves(
      service([
        deployment({
          status: 'PRIMARY',
          taskDefinition: TASK_DEF(9),
          rolloutState: 'FAILED',
          rolloutStateReason: 'alarm Berth-Test-5xx in ALARM',
        }),
        deployment({ id: 'ecs-svc/draining', status: 'DRAINING', taskDefinition: TASK_DEF(6) }),
        deployment({ id: 'ecs-svc/no-td', status: 'ACTIVE', taskDefinition: undefined }),
        deployment({ id: 'ecs-svc/same', status: 'ACTIVE', taskDefinition: TASK_DEF(9) }),
        deployment({ id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: TASK_DEF(7) }),
      ]),
    );
    givenTargets(stubs, 'healthy');
    stubs.ecs
      .on(UpdateServiceCommand, { cluster: CLUSTER, service: SERVICE, taskDefinition: TASK_DEF(7) })
      .resolves({});
    const ctx = webContext(clients);

    const error = await caught(deployEnvironment(ctx, { ...request, timeoutMs: 30 * 60_000 }));

    assert.equal(
      error.message,
      `deployment of ${GOOD} to test failed (alarm Berth-Test-5xx in ALARM); rolled back to ${TASK_DEF(7)}`,
    );
    assert.deepEqual(
      stubs.ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.taskDefinition),
      [TASK_DEF(7)],
    );
    assert.equal(stubs.ssm.commandCalls(PutParameterCommand).length, 0);
  });

  it('says there is no earlier revision when the failed one is all ECS has', async () => {
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    stubs.ecs.on(DescribeServicesCommand, SERVICE_REF).resolves(
      service([
        deployment({
          status: 'PRIMARY',
          taskDefinition: TASK_DEF(1),
          rolloutState: 'FAILED',
          rolloutStateReason: 'tasks failed to start',
        }),
      ]),
    );
    givenTargets(stubs);
    const ctx = webContext(clients);

    const error = await caught(deployEnvironment(ctx, { ...request, timeoutMs: 30 * 60_000 }));

    assert.equal(
      error.message,
      `deployment of ${GOOD} to test failed (tasks failed to start); there is no earlier revision to roll back to`,
    );
    assert.equal(stubs.ecs.commandCalls(UpdateServiceCommand).length, 0);
  });

  it('still fails with its own message when the diagnosis cannot be collected', async () => {
    // GIVEN the Service stack fails, and the credentials may not read ECS
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    stubs.ecs.onAnyCommand().rejects(
      Object.assign(
        new Error(
          'User: arn:aws:sts::123456789012:assumed-role/berth-deploy/ci is not authorized to read ECS',
        ),
        {
          name: 'AccessDeniedException',
        },
      ),
    );
    const ctx = webContext(clients);
    ctx.deployerFake.failOn = 'Berth-Test-eu-west-1-Service';

    const error = await caught(deployEnvironment(ctx, { ...request, timeoutMs: 30 * 60_000 }));

    assert.match(
      error.message,
      /^deploy of test in eu-west-1 failed: The stack named Berth-Test-eu-west-1-Service/,
    );
    assert.equal(
      error.detail,
      '(could not collect a diagnosis: User: arn:aws:sts::123456789012:assumed-role/berth-deploy/ci is not authorized to read ECS)',
    );
  });

  it('a deploy that hangs where nothing can be cancelled explains nothing more than the resume command', async () => {
    // GIVEN every stack is settled in CloudFormation, but the toolkit never returns
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    const ctx = webContext(clients, {
      deployer: async () => ({
        deploy: () => new Promise<never>(() => undefined),
        destroy: async () => undefined,
      }),
    });

    const error = await caught(deployEnvironment(ctx, { ...request, timeoutMs: 5 * 60_000 }));

    assert.match(
      error.message,
      /did not finish within the --timeout \(5m00s\); .*`berth deploy test --timeout 10m`/,
    );
    assert.equal(error.detail, undefined);
  });

  it('records no deployed templates when the toolkit applied none, and names the missing outputs', async () => {
    // GIVEN stacks that deploy but publish no outputs (the Service stack of another app version)
    const { clients, stubs } = mockAws();
    stubs.cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({
      Stacks: [
        { StackName: input.StackName, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [] },
      ],
    }));
    const repoRoot = mkdtempSync(join(tmpdir(), 'berth-norecord-'));
    const ctx = webContext(clients, { repoRoot });

    const error = await caught(deployEnvironment(ctx, { ...request, timeoutMs: 30 * 60_000 }));

    assert.equal(
      error.message,
      'output ClusterName not found in the test stacks in eu-west-1: deploy the environment first (berth deploy <env>)',
    );
    assert.deepEqual(readdirSync(repoRoot), [], 'nothing recorded for an empty apply');
  });
});
