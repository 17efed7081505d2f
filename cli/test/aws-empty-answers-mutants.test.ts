/**
 * Answers that come back without the object asked for: DescribeStacks without `Stacks`, and in the release task
 * (cli/src/aws/release-task.ts) DescribeTaskDefinition without `taskDefinition`, RegisterTaskDefinition without
 * one, DescribeTasks without `tasks`, a stopped task without `containers`. The SDK types make each of them
 * optional; the code must then give its one-line answer, not a TypeError. Stubs answer only the exact input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { runReleaseTask } from '../src/aws/release-task.js';
import { describeStack } from '../src/aws/stack-outputs.js';
import { RecordingProgress } from '../src/ui/progress.js';
import { FakeClock, mockAws } from './fixtures/aws.js';

const CLUSTER = 'Berth-Empty-cluster-5';
const CURRENT = 'arn:aws:ecs:eu-west-1:555566667777:task-definition/BerthEmptyRelease:3';
const REVISION = 'arn:aws:ecs:eu-west-1:555566667777:task-definition/BerthEmptyRelease:4';
const TASK_ID = 'e1e2e3e4e5e6e7e8e9e0e1e2e3e4e5e6';
const TASK_ARN = `arn:aws:ecs:eu-west-1:555566667777:task/${CLUSTER}/${TASK_ID}`;
const IMAGE = `555566667777.dkr.ecr.eu-west-1.amazonaws.com/empty/web@sha256:${'6'.repeat(64)}`;
const REF = {
  cluster: CLUSTER,
  taskDefinitionArn: CURRENT,
  capacityProvider: 'Berth-Empty-CapacityProvider',
  subnets: ['subnet-0000000000000000e'],
  securityGroup: 'sg-00000000000000empty',
  logGroupName: 'Berth-Empty-ReleaseLogs',
};
const START = Date.parse('2026-12-01T02:00:00Z');

type Aws = ReturnType<typeof mockAws>;

function run(aws: Aws, deadline = START + 600_000) {
  return runReleaseTask({ ecs: aws.clients.ecs, logs: aws.clients.logs }, REF, {
    image: IMAGE,
    deadline,
    clock: new FakeClock(START),
    progress: new RecordingProgress(),
  });
}

/** A release task definition that is found, registered and started; `afterRun` sets what DescribeTasks answers. */
function givenStarted(aws: Aws) {
  aws.stubs.ecs
    .on(DescribeTaskDefinitionCommand, { taskDefinition: CURRENT, include: ['TAGS'] }, true)
    .resolves({
      taskDefinition: {
        family: 'BerthEmptyRelease',
        containerDefinitions: [{ name: 'release', image: 'old' }],
      },
    });
  aws.stubs.ecs
    .on(RegisterTaskDefinitionCommand)
    .resolves({ taskDefinition: { taskDefinitionArn: REVISION } });
  aws.stubs.ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
  aws.stubs.ecs.on(DeregisterTaskDefinitionCommand, { taskDefinition: REVISION }, true).resolves({});
}

describe('answers without the object asked for', () => {
  it('DescribeStacks without Stacks: no such stack', async () => {
    const { clients, stubs } = mockAws();
    stubs.cfn.on(DescribeStacksCommand, { StackName: 'Berth-Empty-Data' }, true).resolves({});
    assert.equal(await describeStack(clients.cfn, 'Berth-Empty-Data'), undefined);
  });

  it('release: DescribeTaskDefinition without taskDefinition is a definition without the release container', async () => {
    const aws = mockAws();
    aws.stubs.ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: CURRENT, include: ['TAGS'] }, true)
      .resolves({});
    await assert.rejects(run(aws), {
      name: 'CliError',
      message: `task definition ${CURRENT} has no container "release": redeploy the infrastructure`,
    });
  });

  it('release: RegisterTaskDefinition without taskDefinition registered nothing', async () => {
    const aws = mockAws();
    givenStarted(aws);
    aws.stubs.ecs.on(RegisterTaskDefinitionCommand).resolves({});
    await assert.rejects(run(aws), {
      name: 'CliError',
      message: 'ECS registered no release task definition',
    });
    assert.equal(aws.stubs.ecs.commandCalls(RunTaskCommand).length, 0);
  });

  it('release: DescribeTasks without tasks is a task of unknown status, stopped at the deadline', async () => {
    const aws = mockAws();
    givenStarted(aws);
    aws.stubs.ecs.on(DescribeTasksCommand, { cluster: CLUSTER, tasks: [TASK_ARN] }, true).resolves({});
    aws.stubs.ecs
      .on(
        StopTaskCommand,
        { cluster: CLUSTER, task: TASK_ARN, reason: 'berth deploy: --timeout reached' },
        true,
      )
      .resolves({});
    await assert.rejects(run(aws, START + 1_000), {
      name: 'CliError',
      message: /^the release command was still running \(unknown\) at the --timeout: stopped it;/,
    });
    assert.equal(aws.stubs.ecs.commandCalls(StopTaskCommand).length, 1);
  });

  it('release: a stopped task without containers failed, with its stop code and reason', async () => {
    const aws = mockAws();
    givenStarted(aws);
    aws.stubs.ecs.on(DescribeTasksCommand, { cluster: CLUSTER, tasks: [TASK_ARN] }, true).resolves({
      tasks: [
        {
          taskArn: TASK_ARN,
          lastStatus: 'STOPPED',
          stopCode: 'TaskFailedToStart',
          stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
        },
      ],
    });
    aws.stubs.logs.on(GetLogEventsCommand).resolves({ events: [] });
    await assert.rejects(run(aws), {
      name: 'CliError',
      message:
        'the release command failed (TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried 5 time(s)); ' +
        'the deploy stopped before any task was replaced, the running release is unchanged',
    });
  });
});
