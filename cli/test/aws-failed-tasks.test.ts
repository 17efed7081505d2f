import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeTasksCommand, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { tasksThatFailed } from '../src/aws/failed-tasks.js';
import { CLUSTER, mockAws, SERVICE } from './fixtures/aws.js';

// Which tasks broke a deploy: stop codes from the ECS Developer Guide, "Amazon ECS stopped tasks error codes".

const SINCE = Date.parse('2026-11-21T10:00:00Z');
const at = (seconds: number) => new Date(SINCE + seconds * 1000);
const arn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/${id}`;
const REVISION = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/ShopTestJobs:7';

function stopped(id: string, overrides: Partial<Task>): Task {
  return {
    taskArn: arn(id),
    taskDefinitionArn: REVISION,
    lastStatus: 'STOPPED',
    createdAt: at(10),
    stoppedAt: at(20),
    ...overrides,
  };
}

describe('tasksThatFailed', () => {
  it("keeps the service's tasks created since the deploy began that stopped on their own, newest first", async () => {
    const { clients, stubs } = mockAws();
    const tasks = [
      stopped('exited', {
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        stoppedAt: at(30),
        containers: [{ name: 'jobs', exitCode: 1 }],
      }),
      stopped('never-started', {
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
        stoppedAt: at(40),
        containers: [{ name: 'jobs', reason: 'CannotPullContainerError' }],
      }),
      // Replaced by the deployment itself: not a failure.
      stopped('replaced', {
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/123)',
        containers: [{ name: 'jobs', exitCode: 0 }],
      }),
      // Crashed before this deploy began: an earlier deploy's.
      stopped('earlier', {
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        createdAt: at(-1),
        containers: [{ name: 'jobs', exitCode: 137 }],
      }),
    ];
    stubs.ecs
      .on(
        ListTasksCommand,
        { cluster: CLUSTER, serviceName: SERVICE, desiredStatus: 'STOPPED', maxResults: 100 },
        true,
      )
      .resolves({ taskArns: tasks.map((t) => t.taskArn!) });
    stubs.ecs
      .on(DescribeTasksCommand, { cluster: CLUSTER, tasks: tasks.map((t) => t.taskArn!) }, true)
      .resolves({ tasks });

    const failed = await tasksThatFailed(clients.ecs, { cluster: CLUSTER, service: SERVICE }, SINCE);

    assert.deepEqual(failed, [
      {
        taskId: 'never-started',
        revision: 'ShopTestJobs:7',
        stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
        containers: ['jobs exit none (CannotPullContainerError)'],
      },
      {
        taskId: 'exited',
        revision: 'ShopTestJobs:7',
        stoppedReason: 'Essential container in task exited',
        containers: ['jobs exit 1'],
      },
    ]);
  });

  it('reads every page of stopped tasks, and describes them 100 at a time', async () => {
    const { clients, stubs } = mockAws();
    const ids = Array.from({ length: 150 }, (_, i) => `t${i}`);
    stubs.ecs
      .on(ListTasksCommand, { desiredStatus: 'STOPPED' })
      .resolvesOnce({ taskArns: ids.slice(0, 100).map(arn), nextToken: 'page-2' })
      .resolves({ taskArns: ids.slice(100).map(arn) });
    stubs.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((taskArn) =>
        stopped(taskArn.split('/').at(-1)!, {
          stopCode: taskArn.endsWith('/t149') ? 'EssentialContainerExited' : 'ServiceSchedulerInitiated',
          stoppedReason: 'Essential container in task exited',
          containers: [{ name: 'jobs', exitCode: 2 }],
        }),
      ),
    }));

    const failed = await tasksThatFailed(clients.ecs, { cluster: CLUSTER, service: SERVICE }, SINCE);

    assert.deepEqual(
      failed.map((t) => t.taskId),
      ['t149'],
    );
    assert.equal(stubs.ecs.commandCalls(ListTasksCommand)[1]?.args[0].input.nextToken, 'page-2');
    assert.deepEqual(
      stubs.ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input.tasks?.length),
      [100, 50],
    );
  });

  it('asks nothing more when the service has no stopped task', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(ListTasksCommand).resolves({ taskArns: [] });

    assert.deepEqual(await tasksThatFailed(clients.ecs, { cluster: CLUSTER, service: SERVICE }, SINCE), []);
    assert.equal(stubs.ecs.commandCalls(DescribeTasksCommand).length, 0);
  });
});
