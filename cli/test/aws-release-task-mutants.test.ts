/**
 * The release task (cli/src/aws/release-task.ts) call by call, for what the scenario suite (release-scenarios,
 * over the AWS model) does not pin: every request's whole input, each way a stopped task explains itself, the
 * poll and deadline arithmetic, and the log read's failures. Stubs answer only the exact input they expect, so a
 * request that drifts gets no answer and the test fails. Expected texts are literals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { releaseTaskFromOutputs, runReleaseTask } from '../src/aws/release-task.js';
import { CliError } from '../src/errors.js';
import { RecordingProgress } from '../src/ui/progress.js';
import { FakeClock, mockAws } from './fixtures/aws.js';

const CLUSTER = 'Berth-Rel-cluster-77';
const CURRENT = 'arn:aws:ecs:eu-west-1:444455556666:task-definition/BerthRelRelease:7';
const REVISION = 'arn:aws:ecs:eu-west-1:444455556666:task-definition/BerthRelRelease:8';
const TASK_ID = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const TASK_ARN = `arn:aws:ecs:eu-west-1:444455556666:task/${CLUSTER}/${TASK_ID}`;
const IMAGE = '444455556666.dkr.ecr.eu-west-1.amazonaws.com/rel/web@sha256:'.concat('5'.repeat(64));
const OLD_IMAGE = '444455556666.dkr.ecr.eu-west-1.amazonaws.com/rel/web@sha256:'.concat('4'.repeat(64));
const LOG_GROUP = 'Berth-Rel-ReleaseLogs-9Z';

const REF = {
  cluster: CLUSTER,
  taskDefinitionArn: CURRENT,
  capacityProvider: 'Berth-Rel-CapacityProvider',
  subnets: ['subnet-0000000000000000a', 'subnet-0000000000000000b'],
  securityGroup: 'sg-0000000000000release',
  logGroupName: LOG_GROUP,
};

/** The fields the Service stack's release task definition carries; each value distinct so a swap shows. */
const CURRENT_DEFINITION = {
  taskDefinitionArn: CURRENT,
  family: 'BerthRelRelease',
  revision: 7,
  status: 'ACTIVE',
  taskRoleArn: 'arn:aws:iam::444455556666:role/rel-task',
  executionRoleArn: 'arn:aws:iam::444455556666:role/rel-exec',
  networkMode: 'awsvpc',
  containerDefinitions: [
    { name: 'sidecar', image: 'public.ecr.aws/xray/aws-xray-daemon:3.3.14', essential: false },
    { name: 'release', image: OLD_IMAGE, command: ['node', 'dist/migrate-command.js'], essential: true },
  ],
  volumes: [{ name: 'scratch' }],
  placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }],
  requiresCompatibilities: ['EC2'],
  cpu: '256',
  memory: '384',
  pidMode: 'task',
  ipcMode: 'none',
  runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
} as const;

const TAGS = [{ key: 'berth:env', value: 'rel' }];

/** RegisterTaskDefinition's request as release-task.ts must send it: the same settings, the release image swapped. */
const EXPECTED_REGISTER: RegisterTaskDefinitionCommandInput = {
  family: 'BerthRelRelease',
  taskRoleArn: 'arn:aws:iam::444455556666:role/rel-task',
  executionRoleArn: 'arn:aws:iam::444455556666:role/rel-exec',
  networkMode: 'awsvpc',
  containerDefinitions: [
    { name: 'sidecar', image: 'public.ecr.aws/xray/aws-xray-daemon:3.3.14', essential: false },
    { name: 'release', image: IMAGE, command: ['node', 'dist/migrate-command.js'], essential: true },
  ],
  volumes: [{ name: 'scratch' }],
  placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }],
  requiresCompatibilities: ['EC2'],
  cpu: '256',
  memory: '384',
  pidMode: 'task',
  ipcMode: 'none',
  runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
};

const EXPECTED_RUN: RunTaskCommandInput = {
  cluster: CLUSTER,
  taskDefinition: REVISION,
  count: 1,
  capacityProviderStrategy: [{ capacityProvider: 'Berth-Rel-CapacityProvider', weight: 1 }],
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: ['subnet-0000000000000000a', 'subnet-0000000000000000b'],
      securityGroups: ['sg-0000000000000release'],
      assignPublicIp: 'DISABLED',
    },
  },
  startedBy: 'berth-release',
  propagateTags: 'TASK_DEFINITION',
};

const START = Date.parse('2026-12-01T01:00:00Z');

function stopped(container: Record<string, unknown> | undefined, task: Partial<Task> = {}): Task {
  return {
    taskArn: TASK_ARN,
    lastStatus: 'STOPPED',
    containers: [{ name: 'sidecar', exitCode: 0 }, ...(container ? [{ name: 'release', ...container }] : [])],
    ...task,
  } as Task;
}

/** Stubs for a release that is described, registered and started as expected; `tasks` are DescribeTasks' answers in turn. */
function givenRelease(tasks: Task[], { tags = TAGS as readonly { key: string; value: string }[] } = {}) {
  const aws = mockAws();
  aws.stubs.ecs
    .on(DescribeTaskDefinitionCommand, { taskDefinition: CURRENT, include: ['TAGS'] }, true)
    .resolves({ taskDefinition: CURRENT_DEFINITION as never, tags: [...tags] });
  aws.stubs.ecs
    .on(
      RegisterTaskDefinitionCommand,
      tags.length > 0 ? { ...EXPECTED_REGISTER, tags: [...tags] } : EXPECTED_REGISTER,
      true,
    )
    .resolves({ taskDefinition: { taskDefinitionArn: REVISION } });
  aws.stubs.ecs.on(RunTaskCommand, EXPECTED_RUN, true).resolves({ tasks: [{ taskArn: TASK_ARN }] });
  const describe = aws.stubs.ecs.on(DescribeTasksCommand, { cluster: CLUSTER, tasks: [TASK_ARN] }, true);
  for (const task of tasks) describe.resolvesOnce({ tasks: [task] });
  aws.stubs.ecs
    .on(DeregisterTaskDefinitionCommand, { taskDefinition: REVISION }, true)
    .resolves({ taskDefinition: { taskDefinitionArn: REVISION, status: 'INACTIVE' } });
  return aws;
}

function runWith(aws: ReturnType<typeof mockAws>, { deadline = START + 3_600_000 } = {}) {
  const clock = new FakeClock(START);
  const progress = new RecordingProgress();
  const done = runReleaseTask({ ecs: aws.clients.ecs, logs: aws.clients.logs }, REF, {
    image: IMAGE,
    deadline,
    clock,
    progress,
  });
  return { clock, progress, done };
}

/** The CliError a failed release throws, or a failed assertion if it resolved or threw something else. */
async function failure(done: Promise<void>): Promise<CliError> {
  try {
    await done;
  } catch (error) {
    assert.ok(error instanceof CliError, `a CliError, not ${String(error)}`);
    return error;
  }
  assert.fail('the release resolved');
}

function givenLogs(aws: ReturnType<typeof mockAws>, messages: string[]) {
  aws.stubs.logs
    .on(
      GetLogEventsCommand,
      {
        logGroupName: LOG_GROUP,
        logStreamName: `release/release/${TASK_ID}`,
        limit: 30,
        startFromHead: false,
      },
      true,
    )
    .resolves({ events: messages.map((message, i) => ({ timestamp: START + i, message })) });
}

const calls = (aws: ReturnType<typeof mockAws>) =>
  aws.stubs.ecs.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);

describe('releaseTaskFromOutputs', () => {
  const OUTPUTS = {
    ReleaseTaskDefinitionArn: CURRENT,
    ClusterName: CLUSTER,
    ReleaseCapacityProviderName: 'Berth-Rel-CapacityProvider',
    ReleaseSubnetIds: 'subnet-0000000000000000a,subnet-0000000000000000b',
    ReleaseSecurityGroupId: 'sg-0000000000000release',
    ReleaseLogGroupName: LOG_GROUP,
  };

  it('reads each output under its own key, the subnets split at commas', () => {
    assert.deepEqual(releaseTaskFromOutputs(OUTPUTS, 'Berth-Rel-Service'), REF);
  });

  it('is undefined without a release task definition, whatever else the stack outputs', () => {
    const { ReleaseTaskDefinitionArn: _, ...rest } = OUTPUTS;
    assert.equal(releaseTaskFromOutputs(rest, 'Berth-Rel-Service'), undefined);
    assert.equal(releaseTaskFromOutputs({}, 'Berth-Rel-Service'), undefined);
  });

  for (const key of [
    'ClusterName',
    'ReleaseCapacityProviderName',
    'ReleaseSubnetIds',
    'ReleaseSecurityGroupId',
    'ReleaseLogGroupName',
  ] as const) {
    it(`refuses a release task whose ${key} output is missing or empty, naming it and the stack`, () => {
      const message = `output ${key} not found in Berth-Rel-Service, though it has a release task: redeploy its infrastructure`;
      const { [key]: _, ...without } = OUTPUTS;
      assert.throws(() => releaseTaskFromOutputs(without, 'Berth-Rel-Service'), {
        name: 'CliError',
        message,
      });
      assert.throws(() => releaseTaskFromOutputs({ ...OUTPUTS, [key]: '' }, 'Berth-Rel-Service'), {
        name: 'CliError',
        message,
      });
    });
  }
});

describe('runReleaseTask: requests', () => {
  it('registers a copy of the definition with only the release image replaced, runs it, polls every 5 s, deregisters', async () => {
    const aws = givenRelease([
      { taskArn: TASK_ARN, lastStatus: 'PROVISIONING' } as Task,
      { taskArn: TASK_ARN, lastStatus: 'RUNNING' } as Task,
      stopped({ exitCode: 0 }),
    ]);
    const { clock, progress, done } = runWith(aws);

    await done;

    assert.deepEqual(calls(aws), [
      'DescribeTaskDefinitionCommand',
      'RegisterTaskDefinitionCommand',
      'RunTaskCommand',
      'DescribeTasksCommand',
      'DescribeTasksCommand',
      'DescribeTasksCommand',
      'DeregisterTaskDefinitionCommand',
    ]);
    assert.deepEqual(clock.sleeps, [5_000, 5_000]);
    assert.deepEqual(progress.lines, [
      'running the release command (BerthRelRelease:8) before the rollout',
      'release command exited 0 after 10s',
    ]);
  });

  it('sends no tags when the definition has none (RegisterTaskDefinition refuses an empty list)', async () => {
    const aws = givenRelease([stopped({ exitCode: 0 })], { tags: [] });
    await runWith(aws).done;
    const register = aws.stubs.ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    assert.equal('tags' in register, false);
  });

  it('refuses a definition without a family or without the release container, before registering anything', async () => {
    for (const definition of [
      { ...CURRENT_DEFINITION, family: undefined },
      { ...CURRENT_DEFINITION, containerDefinitions: [CURRENT_DEFINITION.containerDefinitions[0]] },
      { ...CURRENT_DEFINITION, containerDefinitions: undefined },
    ]) {
      const aws = mockAws();
      aws.stubs.ecs
        .on(DescribeTaskDefinitionCommand, { taskDefinition: CURRENT, include: ['TAGS'] }, true)
        .resolves({ taskDefinition: definition as never });
      const error = await failure(runWith(aws).done);
      assert.equal(
        error.message,
        `task definition ${CURRENT} has no container "release": redeploy the infrastructure`,
      );
      assert.deepEqual(calls(aws), ['DescribeTaskDefinitionCommand']);
    }
  });

  it('fails when ECS registers nothing, and runs no task', async () => {
    const aws = mockAws();
    aws.stubs.ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: CURRENT, include: ['TAGS'] }, true)
      .resolves({ taskDefinition: CURRENT_DEFINITION as never, tags: TAGS });
    aws.stubs.ecs
      .on(RegisterTaskDefinitionCommand)
      .resolves({ taskDefinition: { family: 'BerthRelRelease' } });
    const error = await failure(runWith(aws).done);
    assert.equal(error.message, 'ECS registered no release task definition');
    assert.deepEqual(calls(aws), ['DescribeTaskDefinitionCommand', 'RegisterTaskDefinitionCommand']);
  });

  it('deregisters the revision even when the release fails, and a failed deregistration changes nothing', async () => {
    const aws = givenRelease([stopped({ exitCode: 3 })]);
    aws.stubs.ecs
      .on(DeregisterTaskDefinitionCommand, { taskDefinition: REVISION }, true)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    givenLogs(aws, []);
    const error = await failure(runWith(aws).done);
    assert.equal(
      error.message,
      'the release command failed (exit code 3); the deploy stopped before any task was replaced, the running release is unchanged',
    );
    assert.equal(calls(aws).at(-1), 'DeregisterTaskDefinitionCommand');
  });

  it('succeeds with a deregistration that fails too', async () => {
    const aws = givenRelease([stopped({ exitCode: 0 })]);
    aws.stubs.ecs
      .on(DeregisterTaskDefinitionCommand, { taskDefinition: REVISION }, true)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await runWith(aws).done;
    assert.equal(calls(aws).at(-1), 'DeregisterTaskDefinitionCommand');
  });
});

describe('runReleaseTask: a task that does not start', () => {
  // RunTask reports placement failures in `failures`, not as an error (ECS API Reference, "RunTask", Response: failures).
  const cases: [string, unknown, string][] = [
    [
      'each failure with its detail, joined',
      {
        tasks: [],
        failures: [
          { reason: 'RESOURCE:MEMORY', detail: 'no instance has 384 MiB free' },
          { reason: 'RESOURCE:ENI' },
        ],
      },
      'RESOURCE:MEMORY (no instance has 384 MiB free); RESOURCE:ENI',
    ],
    ['a failure without a reason', { failures: [{ arn: 'x' }] }, 'unknown'],
    ['neither a task nor a failure', {}, 'ECS returned no task'],
  ];
  for (const [what, answer, reasons] of cases) {
    it(`names ${what}`, async () => {
      const aws = givenRelease([]);
      aws.stubs.ecs.on(RunTaskCommand, EXPECTED_RUN, true).resolves(answer as never);
      const error = await failure(runWith(aws).done);
      assert.equal(
        error.message,
        `the release task could not start: ${reasons}; the deploy stopped before any task was replaced, the running release is unchanged`,
      );
      assert.equal(aws.stubs.ecs.commandCalls(DescribeTasksCommand).length, 0);
      assert.equal(calls(aws).at(-1), 'DeregisterTaskDefinitionCommand');
    });
  }
});

describe('runReleaseTask: why a stopped task failed', () => {
  const reasonCases: [string, Record<string, unknown> | undefined, Partial<Task>, string][] = [
    ['its exit code', { exitCode: 137 }, { stopCode: 'EssentialContainerExited' }, 'exit code 137'],
    [
      'the stop code and reason when the container has no exit code',
      { reason: 'CannotPullContainerError: pull access denied' },
      { stopCode: 'TaskFailedToStart', stoppedReason: 'Task failed to start' },
      'TaskFailedToStart: Task failed to start',
    ],
    [
      "the container's reason when the task gives none",
      { reason: 'CannotPullContainerError: pull access denied' },
      {},
      'stopped: CannotPullContainerError: pull access denied',
    ],
    ['that no reason was given', {}, {}, 'stopped: no reason given'],
    ['that no reason was given, without a release container', undefined, {}, 'stopped: no reason given'],
  ];
  for (const [what, container, task, why] of reasonCases) {
    it(`says ${what}`, async () => {
      const aws = givenRelease([stopped(container, task)]);
      givenLogs(aws, ['{"msg":"boom"}  ']);
      const error = await failure(runWith(aws).done);
      assert.equal(
        error.message,
        `the release command failed (${why}); the deploy stopped before any task was replaced, the running release is unchanged`,
      );
      assert.equal(error.detail, `last 1 log lines of the release task ${TASK_ID}:\n  {"msg":"boom"}`);
    });
  }

  it("judges the release container only: another container's exit 0 is no success", async () => {
    const aws = givenRelease([
      { taskArn: TASK_ARN, lastStatus: 'STOPPED', containers: [{ name: 'sidecar', exitCode: 0 }] } as Task,
    ]);
    givenLogs(aws, []);
    const error = await failure(runWith(aws).done);
    assert.match(error.message, /^the release command failed \(stopped: no reason given\)/);
  });
});

describe("runReleaseTask: the release task's log", () => {
  it('shows each line indented, trailing space trimmed, an event without a message as an empty line', async () => {
    const aws = givenRelease([stopped({ exitCode: 1 })]);
    aws.stubs.logs
      .on(GetLogEventsCommand, {
        logGroupName: LOG_GROUP,
        logStreamName: `release/release/${TASK_ID}`,
        limit: 30,
        startFromHead: false,
      })
      .resolves({ events: [{ message: 'first\n' }, {}, { message: 'third' }] });
    const error = await failure(runWith(aws).done);
    assert.equal(error.detail, `last 3 log lines of the release task ${TASK_ID}:\n  first\n  \n  third`);
  });

  it('says the container never started when the stream does not exist (CloudWatch Logs "GetLogEvents": ResourceNotFoundException)', async () => {
    const aws = givenRelease([stopped({ exitCode: 1 })]);
    aws.stubs.logs.on(GetLogEventsCommand).rejects(
      Object.assign(new Error('The specified log stream does not exist.'), {
        name: 'ResourceNotFoundException',
      }),
    );
    const error = await failure(runWith(aws).done);
    assert.equal(error.detail, `the release task ${TASK_ID} wrote no log (the container never started)`);
  });

  it('says why the log could not be read otherwise', async () => {
    const aws = givenRelease([stopped({ exitCode: 1 })]);
    aws.stubs.logs
      .on(GetLogEventsCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const error = await failure(runWith(aws).done);
    assert.equal(error.detail, "(could not read the release task's log: User is not authorized)");
  });

  it('an events list that is absent is zero lines', async () => {
    const aws = givenRelease([stopped({ exitCode: 1 })]);
    aws.stubs.logs.on(GetLogEventsCommand).resolves({});
    const error = await failure(runWith(aws).done);
    assert.equal(error.detail, `last 0 log lines of the release task ${TASK_ID}:`);
  });
});

describe('runReleaseTask: the deadline', () => {
  it('polls while a poll still fits before the deadline, then stops the task with the reason', async () => {
    // Deadline exactly one poll after the start: the first poll may wait (now + 5 s is not past it), the second may not.
    const aws = givenRelease([
      { taskArn: TASK_ARN, lastStatus: 'PENDING' } as Task,
      { taskArn: TASK_ARN, lastStatus: 'RUNNING' } as Task,
    ]);
    aws.stubs.ecs
      .on(
        StopTaskCommand,
        { cluster: CLUSTER, task: TASK_ARN, reason: 'berth deploy: --timeout reached' },
        true,
      )
      .resolves({ task: { taskArn: TASK_ARN, desiredStatus: 'STOPPED' } });
    const { clock, done } = runWith(aws, { deadline: START + 5_000 });
    const error = await failure(done);
    assert.equal(
      error.message,
      'the release command was still running (RUNNING) at the --timeout: stopped it; the deploy stopped before any task was replaced, the running release is unchanged',
    );
    assert.deepEqual(clock.sleeps, [5_000]);
    assert.equal(aws.stubs.ecs.commandCalls(StopTaskCommand).length, 1);
    assert.equal(calls(aws).at(-1), 'DeregisterTaskDefinitionCommand');
  });

  it('names the status as unknown when DescribeTasks no longer returns the task', async () => {
    const aws = givenRelease([]);
    aws.stubs.ecs
      .on(DescribeTasksCommand, { cluster: CLUSTER, tasks: [TASK_ARN] }, true)
      .resolves({ tasks: [] });
    aws.stubs.ecs
      .on(
        StopTaskCommand,
        { cluster: CLUSTER, task: TASK_ARN, reason: 'berth deploy: --timeout reached' },
        true,
      )
      .resolves({});
    const error = await failure(runWith(aws, { deadline: START + 4_999 }).done);
    assert.match(
      error.message,
      /^the release command was still running \(unknown\) at the --timeout: stopped it;/,
    );
  });
});
