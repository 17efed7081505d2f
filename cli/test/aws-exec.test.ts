/**
 * ECS Exec task choice and session (cli/src/aws/exec.ts) at the unit level: which task is picked, the one-line
 * refusals, and the session-manager-plugin arguments. The plugin's argument order and its Target format
 * `ecs:<cluster>_<task id>_<runtime id>` follow the AWS CLI (aws-cli, awscli/customizations/ecs/executecommand.py);
 * managed agent fields follow the ECS API Reference ("ManagedAgent": name ExecuteCommandAgent, lastStatus).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ExecuteCommandCommand,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { findExecTask, startExecSession } from '../src/aws/exec.js';
import { CLUSTER, deployment, mockAws, REGION, SERVICE, service } from './fixtures/aws.js';

const taskArn = (id: string) => `arn:aws:ecs:${REGION}:111122223333:task/${CLUSTER}/${id}`;
const REQUEST = { env: 'prod', cluster: CLUSTER, service: SERVICE, container: 'web', command: '/bin/sh' };

function task(id: string, overrides: Partial<Task> = {}, agentStatus: string | null = 'RUNNING'): Task {
  return {
    taskArn: taskArn(id),
    lastStatus: 'RUNNING',
    enableExecuteCommand: true,
    containers: [
      {
        name: 'xray',
        runtimeId: `${id}-xray`,
        managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }],
      },
      {
        name: 'web',
        runtimeId: `${id}-0123456789`,
        managedAgents:
          agentStatus === null
            ? []
            : [
                { name: 'OtherAgent', lastStatus: 'RUNNING' },
                { name: 'ExecuteCommandAgent', lastStatus: agentStatus },
              ],
      },
    ],
    ...overrides,
  } as Task;
}

function givenService(stubs: ReturnType<typeof mockAws>['stubs'], enableExecuteCommand: boolean | undefined) {
  stubs.ecs
    .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
    .resolves(service([deployment()], enableExecuteCommand === undefined ? {} : { enableExecuteCommand }));
}

function givenRunning(stubs: ReturnType<typeof mockAws>['stubs'], tasks: Task[]) {
  stubs.ecs
    .on(ListTasksCommand, { cluster: CLUSTER, serviceName: SERVICE, desiredStatus: 'RUNNING' }, true)
    .resolves({ taskArns: tasks.map((t) => t.taskArn!) });
  stubs.ecs
    .on(DescribeTasksCommand, { cluster: CLUSTER, tasks: tasks.map((t) => t.taskArn!) }, true)
    .resolves({ tasks });
}

describe('findExecTask', () => {
  it('refuses when exec is off for the service, naming the setting and the deploy', async () => {
    for (const setting of [false, undefined]) {
      const { clients, stubs } = mockAws();
      givenService(stubs, setting);
      await assert.rejects(findExecTask(clients.ecs, REQUEST), {
        name: 'CliError',
        message:
          'exec is off in prod: set environments.prod.exec.enabled: true in berth.config.ts, then `berth deploy prod`',
      });
      assert.equal(stubs.ecs.commandCalls(ListTasksCommand).length, 0);
    }
  });

  it('picks the first running task that can take a session, skipping those that cannot', async () => {
    const { clients, stubs } = mockAws();
    givenService(stubs, true);
    givenRunning(stubs, [
      task('aaaa0001', { lastStatus: 'PENDING' }),
      task('aaaa0002', { enableExecuteCommand: false }),
      task('aaaa0003', {}, 'STOPPED'),
      task('aaaa0004'),
      task('aaaa0005'),
    ]);

    assert.equal((await findExecTask(clients.ecs, REQUEST)).taskArn, taskArn('aaaa0004'));
  });

  it('no running task: says to check status', async () => {
    const { clients, stubs } = mockAws();
    givenService(stubs, true);
    stubs.ecs.on(ListTasksCommand, { desiredStatus: 'RUNNING' }).resolves({ taskArns: [] });

    await assert.rejects(findExecTask(clients.ecs, REQUEST), {
      message: `no running task in service ${SERVICE}: check \`berth status prod\``,
    });
    // An empty DescribeTasks would be an InvalidParameterException: it is not called.
    assert.equal(stubs.ecs.commandCalls(DescribeTasksCommand).length, 0);
  });

  it("none usable: says why the first one is not, each reason in the user's words", async () => {
    const cases: [Task, string][] = [
      [task('bbbb0001', { lastStatus: 'PROVISIONING' }), 'task bbbb0001 is PROVISIONING, not RUNNING'],
      [task('bbbb0002', { lastStatus: undefined }), 'task bbbb0002 is unknown, not RUNNING'],
      [
        task('bbbb0003', { enableExecuteCommand: false }),
        `task bbbb0003 started before exec was turned on: replace the tasks with \`aws ecs update-service --cluster ${CLUSTER} --service ${SERVICE} --force-new-deployment\``,
      ],
      [
        task('bbbb0004', {}, 'PENDING'),
        'the exec agent of task bbbb0004 is PENDING, not RUNNING: check the task role and its network path to ssmmessages (docs/runbook-exec.md)',
      ],
      [
        task('bbbb0006', { containers: [{ name: 'service', managedAgents: [] }] }),
        'task bbbb0006 has no container web: it runs an older task definition; deploy the environment (berth deploy prod) so every task runs the current one',
      ],
      [
        task('bbbb0005', {}, null),
        'the exec agent of task bbbb0005 is absent, not RUNNING: check the task role and its network path to ssmmessages (docs/runbook-exec.md)',
      ],
    ];
    for (const [first, message] of cases) {
      const { clients, stubs } = mockAws();
      givenService(stubs, true);
      givenRunning(stubs, [first, task('cccc0009', { lastStatus: 'STOPPING' })]);
      await assert.rejects(findExecTask(clients.ecs, REQUEST), { name: 'CliError', message });
    }
  });

  it('--task: describes exactly that task and checks it the same way', async () => {
    const { clients, stubs } = mockAws();
    givenService(stubs, true);
    stubs.ecs
      .on(DescribeTasksCommand, { cluster: CLUSTER, tasks: ['dddd0001'] }, true)
      .resolves({ tasks: [task('dddd0001')] });
    stubs.ecs
      .on(DescribeTasksCommand, { cluster: CLUSTER, tasks: ['dddd0002'] }, true)
      .resolves({ tasks: [task('dddd0002', { lastStatus: 'STOPPED' })] });
    stubs.ecs
      .on(DescribeTasksCommand, { cluster: CLUSTER, tasks: ['dddd0404'] }, true)
      .resolves({ tasks: [] });

    assert.equal(
      (await findExecTask(clients.ecs, { ...REQUEST, task: 'dddd0001' })).taskArn,
      taskArn('dddd0001'),
    );
    await assert.rejects(findExecTask(clients.ecs, { ...REQUEST, task: 'dddd0002' }), {
      message: 'task dddd0002 is STOPPED, not RUNNING',
    });
    await assert.rejects(findExecTask(clients.ecs, { ...REQUEST, task: 'dddd0404' }), {
      message: `task dddd0404 not found in cluster ${CLUSTER}: omit --task to pick one`,
    });
    assert.equal(stubs.ecs.commandCalls(ListTasksCommand).length, 0);
  });
});

describe('startExecSession', () => {
  const session = {
    sessionId: 'ecs-execute-command-0a1b2c',
    streamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/x',
    tokenValue: 'token',
  };

  it('opens an interactive session in the web container and builds the plugin arguments', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(
        ExecuteCommandCommand,
        {
          cluster: CLUSTER,
          task: taskArn('eeee0001'),
          container: 'web',
          command: 'ls -la',
          interactive: true,
        },
        true,
      )
      .resolves({ session, clusterArn: `arn:aws:ecs:${REGION}:111122223333:cluster/berth-prod-cluster` });

    const invocation = await startExecSession(
      clients.ecs,
      { ...REQUEST, command: 'ls -la', region: 'eu-central-1', profile: 'prod-admin' },
      task('eeee0001'),
    );

    assert.deepEqual(invocation, {
      taskArn: taskArn('eeee0001'),
      args: [
        JSON.stringify(session),
        'eu-central-1',
        'StartSession',
        'prod-admin',
        JSON.stringify({ Target: 'ecs:berth-prod-cluster_eeee0001_eeee0001-0123456789' }),
        'https://ecs.eu-central-1.amazonaws.com',
      ],
    });
  });

  it('without a cluster ARN in the answer, uses the requested cluster; without a profile, an empty one', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(ExecuteCommandCommand, { task: taskArn('eeee0002') }).resolves({ session });

    const invocation = await startExecSession(clients.ecs, { ...REQUEST, region: REGION }, task('eeee0002'));

    assert.equal(invocation.args[3], '');
    assert.equal(
      invocation.args[4],
      JSON.stringify({ Target: `ecs:${CLUSTER}_eeee0002_eeee0002-0123456789` }),
    );
  });

  it("opens the session in the requested service's container, with that container's runtime id", async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(ExecuteCommandCommand, { task: taskArn('ffff0001'), container: 'worker' })
      .resolves({ session });
    const workerTask = task('ffff0001', {
      containers: [
        { name: 'otel-collector', runtimeId: 'ffff0001-otel' },
        { name: 'worker', runtimeId: 'ffff0001-worker-42' },
      ],
    });

    const invocation = await startExecSession(
      clients.ecs,
      { ...REQUEST, container: 'worker', region: REGION },
      workerTask,
    );

    assert.equal(
      invocation.args[4],
      JSON.stringify({ Target: `ecs:${CLUSTER}_ffff0001_ffff0001-worker-42` }),
    );
  });

  it('no session in the answer: says to try again', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(ExecuteCommandCommand).resolves({});

    await assert.rejects(startExecSession(clients.ecs, { ...REQUEST, region: REGION }, task('eeee0003')), {
      name: 'CliError',
      message: 'ECS returned no session for task eeee0003: try again',
    });
  });
});
