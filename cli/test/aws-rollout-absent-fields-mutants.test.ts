/**
 * Answers with fields AWS may leave out, for the readers a deploy's rollout and failure report use
 * (failed-tasks.ts, production-weights.ts, service-state.ts, wait-for-steady-state.ts): the SDK types mark
 * them optional (ECS API Reference, "Task", "Deployment", "Service"; ELBv2 API Reference, "Rule", "Action",
 * "ForwardActionConfig"), so each must be read as absent, not crash. Also the `since` boundary of
 * tasksThatFailed ("created at or after"). Written for the session-5 mutation run's survivors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { tasksThatFailed } from '../src/aws/failed-tasks.js';
import { readProductionWeights } from '../src/aws/production-weights.js';
import { describeService } from '../src/aws/service-state.js';
import { waitForSteadyState } from '../src/aws/wait-for-steady-state.js';
import { RecordingProgress } from '../src/ui/progress.js';
import { CLUSTER, deployment, FakeClock, mockAws, SERVICE, service, TASK_DEF } from './fixtures/aws.js';

const REF = { cluster: CLUSTER, service: SERVICE };
const SINCE = Date.parse('2026-11-21T10:00:00Z');
const at = (seconds: number) => new Date(SINCE + seconds * 1000);
const taskArn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/${id}`;

function stoppedTasks(tasks: Task[]) {
  const { clients, stubs } = mockAws();
  stubs.ecs
    .on(ListTasksCommand, { desiredStatus: 'STOPPED' })
    .resolves({ taskArns: tasks.map((_, i) => taskArn(`t${i}`)) });
  stubs.ecs.on(DescribeTasksCommand).resolves({ tasks });
  return { clients, stubs };
}

describe('tasksThatFailed with fields ECS left out', () => {
  it('asks nothing more when ListTasks answers without taskArns', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({});

    assert.deepStrictEqual(await tasksThatFailed(clients.ecs, REF, SINCE), []);
    assert.equal(stubs.ecs.commandCalls(DescribeTasksCommand).length, 0);
  });

  it('counts a task created exactly when the command began', async () => {
    const { clients } = stoppedTasks([
      {
        taskArn: taskArn('on-the-dot'),
        taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/BerthTestWeb:4',
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'ResourceInitializationError: unable to pull secrets',
        createdAt: at(0),
        stoppedAt: at(3),
        containers: [{ name: 'web', exitCode: 1 }],
      },
    ]);

    assert.deepStrictEqual(
      (await tasksThatFailed(clients.ecs, REF, SINCE)).map((t) => t.taskId),
      ['on-the-dot'],
    );
  });

  it('names what is missing with placeholders, and sorts an undated stop last', async () => {
    const { clients } = stoppedTasks([
      {
        taskArn: taskArn('dated-early'),
        stopCode: 'EssentialContainerExited',
        createdAt: at(1),
        stoppedAt: at(10),
        containers: [{}],
      },
      // no taskArn, taskDefinitionArn, stoppedReason, stoppedAt or containers
      { stopCode: 'EssentialContainerExited', createdAt: at(2) },
      {
        taskArn: taskArn('dated-late'),
        stopCode: 'TaskFailedToStart',
        createdAt: at(3),
        stoppedAt: at(20),
        containers: [{ name: 'web', reason: 'CannotPullContainerError' }],
      },
    ]);

    assert.deepStrictEqual(await tasksThatFailed(clients.ecs, REF, SINCE), [
      {
        taskId: 'dated-late',
        revision: '?',
        stoppedReason: 'no reason given',
        containers: ['web exit none (CannotPullContainerError)'],
      },
      { taskId: 'dated-early', revision: '?', stoppedReason: 'no reason given', containers: ['? exit none'] },
      { taskId: '?', revision: '?', stoppedReason: 'no reason given', containers: [] },
    ]);
  });
});

describe('readProductionWeights with a rule answer missing parts', () => {
  const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener-rule/app/shop/1a/2b/3c';
  const BLUE = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/shop-blue/4d';
  const STACK = 'Shop-Prod-eu-west-1-Service';
  const message =
    `the production rule ${RULE} of api in ${STACK} does not forward to ${BLUE} and one other group: ` +
    'it was changed outside CloudFormation; restore it (or redeploy from the console) before deploying';

  for (const [what, answer] of [
    ['no Rules', {}],
    ['an empty Rules list', { Rules: [] }],
    ['a rule without Actions', { Rules: [{}] }],
    ['no forward action', { Rules: [{ Actions: [{ Type: 'fixed-response' }] }] }],
    ['a forward action without ForwardConfig', { Rules: [{ Actions: [{ Type: 'forward' }] }] }],
    [
      'a ForwardConfig without TargetGroups',
      { Rules: [{ Actions: [{ Type: 'forward', ForwardConfig: {} }] }] },
    ],
  ] as const) {
    it(`refuses ${what} as a rule changed outside CloudFormation`, async () => {
      const { clients, stubs } = mockAws();
      stubs.elbv2.on(DescribeRulesCommand, { RuleArns: [RULE] }, true).resolves(answer as never);

      await assert.rejects(
        readProductionWeights(
          clients.elbv2,
          { name: 'api', productionRuleArn: RULE, targetGroupArn: BLUE },
          STACK,
        ),
        { name: 'CliError', message },
      );
    });
  }
});

describe('describeService with an answer missing its services list', () => {
  it('says the service is not found and to deploy first', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] }, true).resolves({});

    await assert.rejects(describeService(clients.ecs, REF), {
      name: 'CliError',
      message: `ECS service ${SERVICE} not found in cluster ${CLUSTER}: deploy the environment first`,
    });
  });
});

describe('waitForSteadyState with deployments missing', () => {
  async function waitThrough(states: { services: object[] }[], deadlineMs: number) {
    const { clients, stubs } = mockAws();
    let stub = stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] });
    for (const state of states.slice(0, -1)) stub = stub.resolvesOnce(state);
    stub.resolves(states.at(-1)!);
    const clock = new FakeClock();
    return waitForSteadyState(
      clients,
      { ...REF, deadline: clock.now() + deadlineMs },
      new RecordingProgress(),
      clock,
    );
  }

  it('waits, then times out, on a service answered without deployments', async () => {
    const bare = { services: [{ serviceName: SERVICE, status: 'ACTIVE', loadBalancers: [] }] };

    assert.deepStrictEqual(await waitThrough([bare], 12_000), {
      outcome: 'timeout',
      taskDefinition: '',
      lastState: 'no primary deployment',
    });
  });

  it('calls it a rollback when our deployment is gone and the primary runs another revision', async () => {
    const ours = deployment({ taskDefinition: TASK_DEF(31), rolloutState: 'IN_PROGRESS' });
    const back = deployment({ taskDefinition: TASK_DEF(30), rolloutState: 'IN_PROGRESS' });

    assert.deepStrictEqual(
      await waitThrough(
        [service([ours], { loadBalancers: [] }), service([back], { loadBalancers: [] })],
        600_000,
      ),
      {
        outcome: 'failed',
        taskDefinition: TASK_DEF(31),
        reason: 'the deployment failed',
        rolledBackTo: TASK_DEF(30),
      },
    );
  });
});
