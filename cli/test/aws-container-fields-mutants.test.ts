/**
 * Container fields AWS leaves out: a container of a described task without `managedAgents` (ECS API Reference,
 * "Container": managedAgents is optional; the exec agent is listed only for tasks started with exec on), and a
 * DescribeTaskDefinition answer without its task definition or its container definitions. The readers treat
 * them as "no agent" and "no digest"; a reader that dereferenced them would throw instead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
} from '@aws-sdk/client-ecs';
import { findExecTask } from '../src/aws/exec.js';
import { runningDigest } from '../src/aws/image-digest.js';
import { mockAws } from './fixtures/aws.js';

const CLUSTER = 'Berth-Fields-cluster-47';
const SERVICE = 'Berth-Fields-web-83';
const TASK_DEFINITION = 'arn:aws:ecs:eu-west-1:222233334444:task-definition/BerthFieldsWeb:12';

function givenService(stubs: ReturnType<typeof mockAws>['stubs']) {
  stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] }, true).resolves({
    services: [
      { serviceName: SERVICE, status: 'ACTIVE', enableExecuteCommand: true, taskDefinition: TASK_DEFINITION },
    ],
  });
}

// Variables, not literals: the requests carry the service's container name for the code that reads it.
const EXEC_REQUEST = {
  env: 'staging',
  cluster: CLUSTER,
  service: SERVICE,
  command: '/bin/sh',
  container: 'web',
  task: '9c9c9c9c',
};
const SERVICE_REF = { cluster: CLUSTER, service: SERVICE, name: 'web' };

describe('a container without managedAgents', () => {
  it('exec: the agent is absent, not RUNNING, with what to check', async () => {
    const { clients, stubs } = mockAws();
    givenService(stubs);
    stubs.ecs.on(DescribeTasksCommand, { cluster: CLUSTER, tasks: ['9c9c9c9c'] }, true).resolves({
      tasks: [
        {
          taskArn: `arn:aws:ecs:eu-west-1:222233334444:task/${CLUSTER}/9c9c9c9c`,
          lastStatus: 'RUNNING',
          enableExecuteCommand: true,
          containers: [{ name: 'web', runtimeId: '9c9c9c9c-0000000001' }],
        },
      ],
    });
    await assert.rejects(findExecTask(clients.ecs, EXEC_REQUEST), {
      name: 'CliError',
      message:
        'the exec agent of task 9c9c9c9c is absent, not RUNNING: check the task role and its network path to ssmmessages (docs/runbook-exec.md)',
    });
  });
});

describe('DescribeTaskDefinition without the definition or its containers', () => {
  for (const [what, answer] of [
    ['no taskDefinition', {}],
    [
      'no containerDefinitions',
      { taskDefinition: { taskDefinitionArn: TASK_DEFINITION, family: 'BerthFieldsWeb' } },
    ],
  ] as const) {
    it(`${what}: the service runs no known digest`, async () => {
      const { clients, stubs } = mockAws();
      givenService(stubs);
      stubs.ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TASK_DEFINITION }, true).resolves(answer);
      assert.equal(await runningDigest(clients.ecs, SERVICE_REF), undefined);
    });
  }
});
