/**
 * Fields AWS leaves out of an answer. The SDK types mark nearly every response field optional, and AWS omits
 * empty lists and unset values from its JSON answers, so each reader must treat "absent" as "none" rather than
 * fail on it. Each case here gives a reader an answer without one field (or an item without one) and expects the
 * reader's documented result; a reader that dereferenced the field would throw instead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { GetParameterCommand, GetParameterHistoryCommand } from '@aws-sdk/client-ssm';
import { diagnoseService } from '../src/aws/diagnose.js';
import { findExecTask } from '../src/aws/exec.js';
import { findImageDigest, readDeployedDigest, releaseHistory } from '../src/aws/image-digest.js';
import { mockAws } from './fixtures/aws.js';

const CLUSTER = 'Berth-Absent-cluster-31';
const SERVICE = 'Berth-Absent-web-62';
const taskArn = (id: string) => `arn:aws:ecs:eu-west-1:777788889999:task/${CLUSTER}/${id}`;
const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 1, minute));
const digestOf = (c: string) => `sha256:${c.repeat(64)}`;

/** The ECS service as DescribeServices gives it: active, exec on, with `events`. */
function givenService(stubs: ReturnType<typeof mockAws>['stubs'], events: unknown[] = []) {
  stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] }, true).resolves({
    services: [
      { serviceName: SERVICE, status: 'ACTIVE', enableExecuteCommand: true, events: events as never },
    ],
  });
}

// A variable, not a literal: the request carries the service's container for the code that names it.
const EXEC_REQUEST = {
  env: 'staging',
  cluster: CLUSTER,
  service: SERVICE,
  command: '/bin/sh',
  container: 'web',
};
const DIAGNOSE = { cluster: CLUSTER, service: SERVICE, container: 'web', events: 10 };

describe('ECS answers without a list', () => {
  it('exec: ListTasks without taskArns is no running task, and no DescribeTasks call', async () => {
    const { clients, stubs } = mockAws();
    givenService(stubs);
    stubs.ecs
      .on(ListTasksCommand, { cluster: CLUSTER, serviceName: SERVICE, desiredStatus: 'RUNNING' }, true)
      .resolves({});
    await assert.rejects(findExecTask(clients.ecs, EXEC_REQUEST), {
      name: 'CliError',
      message: `no running task in service ${SERVICE}: check \`berth status staging\``,
    });
    assert.equal(stubs.ecs.commandCalls(DescribeTasksCommand).length, 0);
  });

  it('exec --task: DescribeTasks without tasks is a task not found', async () => {
    const { clients, stubs } = mockAws();
    givenService(stubs);
    stubs.ecs.on(DescribeTasksCommand, { cluster: CLUSTER, tasks: ['5e5e5e5e'] }, true).resolves({});
    await assert.rejects(findExecTask(clients.ecs, { ...EXEC_REQUEST, task: '5e5e5e5e' }), {
      name: 'CliError',
      message: `task 5e5e5e5e not found in cluster ${CLUSTER}: omit --task to pick one`,
    });
  });

  it('exec --task: a task without lastStatus is "unknown", not RUNNING', async () => {
    const { clients, stubs } = mockAws();
    givenService(stubs);
    stubs.ecs
      .on(DescribeTasksCommand, { cluster: CLUSTER, tasks: ['6f6f6f6f'] }, true)
      .resolves({ tasks: [{ taskArn: taskArn('6f6f6f6f') }] });
    await assert.rejects(findExecTask(clients.ecs, { ...EXEC_REQUEST, task: '6f6f6f6f' }), {
      name: 'CliError',
      message: 'task 6f6f6f6f is unknown, not RUNNING',
    });
  });
});

describe('items without a time sort last, in the order ECS gave them', () => {
  it('diagnose: events without createdAt, wherever they are in the answer', async () => {
    const { clients, stubs } = mockAws();
    givenService(stubs, [
      { id: 'u1', message: 'undated one' },
      { id: 'e3', createdAt: at(3), message: 'third minute' },
      { id: 'u2', message: 'undated two' },
      { id: 'e9', createdAt: at(9), message: 'ninth minute' },
      { id: 'e5', createdAt: at(5), message: 'fifth minute' },
      { id: 'u3', message: 'undated three' },
    ]);
    stubs.ecs.on(ListTasksCommand).resolves({});
    assert.deepEqual((await diagnoseService(clients, DIAGNOSE)).events, [
      '2026-12-01T01:09:00.000Z ninth minute',
      '2026-12-01T01:05:00.000Z fifth minute',
      '2026-12-01T01:03:00.000Z third minute',
      'undated one',
      'undated two',
      'undated three',
    ]);
  });

  it('diagnose: stopped tasks without stoppedAt, wherever they are in the answer', async () => {
    const { clients, stubs } = mockAws();
    givenService(stubs);
    const ids = ['a0', 'b4', 'c0', 'd8', 'e0'];
    stubs.ecs
      .on(
        ListTasksCommand,
        { cluster: CLUSTER, serviceName: SERVICE, desiredStatus: 'STOPPED', maxResults: 5 },
        true,
      )
      .resolves({ taskArns: ids.map(taskArn) });
    stubs.ecs.on(DescribeTasksCommand, { cluster: CLUSTER, tasks: ids.map(taskArn) }, true).resolves({
      tasks: [
        { taskArn: taskArn('a0') },
        { taskArn: taskArn('b4'), stoppedAt: at(4) },
        { taskArn: taskArn('c0') },
        { taskArn: taskArn('d8'), stoppedAt: at(8) },
        { taskArn: taskArn('e0') },
      ],
    });
    const { stoppedTasks } = await diagnoseService(clients, { ...DIAGNOSE, tasks: 5 });
    assert.deepEqual(
      stoppedTasks.map((t) => t.taskId),
      ['d8', 'b4', 'a0', 'c0', 'e0'],
    );
  });

  it('release history: a version without LastModifiedDate counts as the oldest', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm
      .on(
        GetParameterHistoryCommand,
        { Name: '/absent/test/image-digest', NextToken: undefined, MaxResults: 50 },
        true,
      )
      .resolves({
        Parameters: [
          { Value: digestOf('b'), Description: 'Image digest deployed to test by berth deploy' },
          {
            Value: digestOf('a'),
            Description: 'Image digest deployed to test by berth deploy',
            LastModifiedDate: at(2),
          },
          { Value: digestOf('c'), Description: 'Image digest deployed to test by berth deploy' },
        ],
      });
    assert.deepEqual(
      await releaseHistory(clients.ssm, { env: 'test', parameter: '/absent/test/image-digest' }),
      [digestOf('a'), digestOf('b'), digestOf('c')],
    );
  });
});

describe('answers without the one object asked for', () => {
  it('ECR: DescribeImages without imageDetails is no digest', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecr
      .on(DescribeImagesCommand, { repositoryName: 'absent/web', imageIds: [{ imageTag: 'v4' }] }, true)
      .resolves({});
    assert.equal(await findImageDigest(clients.ecr, 'absent/web', 'v4'), undefined);
  });

  it('SSM: GetParameter without Parameter is no recorded digest', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm.on(GetParameterCommand, { Name: '/absent/prod/image-digest' }, true).resolves({});
    assert.equal(
      await readDeployedDigest(clients.ssm, { env: 'prod', parameter: '/absent/prod/image-digest' }),
      undefined,
    );
  });
});
