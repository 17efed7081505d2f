import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { deployEnvironment } from '../src/deploy/deploy-flow.js';
import { CliError } from '../src/errors.js';
import { deployment, digest, fakeContext, mockAws, service, target } from './fixtures/aws.js';
import { TWO_SERVICES } from './scenarios/configs.js';

// `berth deploy` of app `shop` (web service `api`, worker `jobs`: scenarios/configs/two-services.berth.config.ts)
// when CloudFormation is done but a service's ECS deployment fails afterwards: every AWS answer is stubbed, so
// the wait, its order and the message can be pinned down call by call.

const ACCOUNT = '210987654321';
const REGION = 'eu-west-1';
const CLUSTER = 'Shop-Test-eu-west-1-Service-Cluster-1a2b3c';
const API = 'Shop-Test-eu-west-1-Service-ApiService-4d5e6f';
const JOBS = 'Shop-Test-eu-west-1-Service-JobsService-7a8b9c';
const API_GROUP = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/Shop-Api/0123456789abcdef`;
const JOBS_LOGS = 'Shop-Test-eu-west-1-Service-JobsLogs-2C3D';
const URL = 'http://shop-test-alb-654321.eu-west-1.elb.amazonaws.com';
const revision = (family: string, n: number) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${n}`;
const GOOD = digest('b');
const CRASHED = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/0f1e2d3c4b5a69788796a5b4c3d2e1f0`;

function givenShopStacks(stubs: ReturnType<typeof mockAws>['stubs']): void {
  stubs.sts.on(GetCallerIdentityCommand).resolves({
    Account: ACCOUNT,
    Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/shop-deploy/ci`,
  });
  stubs.ssm
    .on(GetParameterCommand, { Name: '/cdk-bootstrap/shoptest/version' })
    .resolves({ Parameter: { Name: '/cdk-bootstrap/shoptest/version', Value: '27' } });
  const outputs: Record<string, Record<string, string>> = {
    'Shop-Global': { RepositoryUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop/api` },
    'Shop-Test-eu-west-1-Service': {
      ServiceUrl: URL,
      ClusterName: CLUSTER,
      ApiServiceName: API,
      ApiTargetGroupArn: API_GROUP,
      ApiLogGroupName: 'Shop-Test-eu-west-1-Service-ApiLogs-1A2B',
      ApiUrl: URL,
      JobsServiceName: JOBS,
      JobsLogGroupName: JOBS_LOGS,
    },
  };
  stubs.cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({
    Stacks: [
      {
        StackName: input.StackName,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-11-01T10:00:00Z'),
        Outputs: Object.entries(outputs[input.StackName] ?? {}).map(([OutputKey, OutputValue]) => ({
          OutputKey,
          OutputValue,
        })),
      },
    ],
  }));
}

describe('berth deploy of two services: one fails after CloudFormation is done', () => {
  it('waits for api then jobs, and names jobs, what the circuit breaker did and how to put api back', async () => {
    const { clients, stubs } = mockAws();
    givenShopStacks(stubs);
    // api settles on revision 12 with its target healthy
    stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [API] }).resolves(
      service(
        [deployment({ taskDefinition: revision('ShopTestApi', 12), desiredCount: 1, runningCount: 1 })],
        {
          serviceName: API,
          loadBalancers: [{ targetGroupArn: API_GROUP, containerName: 'api', containerPort: 8080 }],
        },
      ),
    );
    stubs.elbv2
      .on(DescribeTargetHealthCommand, { TargetGroupArn: API_GROUP })
      .resolves({ TargetHealthDescriptions: [target('i-0a1', 32768, 'healthy')] });
    // jobs starts revision 5, whose tasks crash; the circuit breaker goes back to revision 4
    const failing = deployment({
      id: 'ecs-svc/5',
      taskDefinition: revision('ShopTestJobs', 5),
      rolloutState: 'IN_PROGRESS',
      desiredCount: 3,
      runningCount: 0,
    });
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [JOBS] })
      .resolvesOnce(service([failing], { serviceName: JOBS, loadBalancers: [] }))
      .resolves(
        service(
          [
            deployment({ id: 'ecs-svc/4', taskDefinition: revision('ShopTestJobs', 4), desiredCount: 3 }),
            {
              ...failing,
              status: 'ACTIVE',
              rolloutState: 'FAILED',
              rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
            },
          ],
          { serviceName: JOBS, loadBalancers: [] },
        ),
      );
    // jobs' crashed task, created after the deploy began; api has none
    const ctx = fakeContext(clients, { config: TWO_SERVICES });
    stubs.ecs.on(ListTasksCommand, { serviceName: API, desiredStatus: 'STOPPED' }).resolves({ taskArns: [] });
    stubs.ecs
      .on(ListTasksCommand, { serviceName: JOBS, desiredStatus: 'STOPPED' })
      .resolves({ taskArns: [CRASHED] });
    stubs.ecs.on(DescribeTasksCommand, { tasks: [CRASHED] }).resolves({
      tasks: [
        {
          taskArn: CRASHED,
          taskDefinitionArn: revision('ShopTestJobs', 5),
          lastStatus: 'STOPPED',
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
          createdAt: new Date(ctx.clock.now() + 5_000),
          stoppedAt: new Date(ctx.clock.now() + 9_000),
          containers: [{ name: 'jobs', exitCode: 78 }],
        },
      ],
    });
    // Other streams do not exist (CloudWatch Logs API Reference, "GetLogEvents": ResourceNotFoundException).
    stubs.logs.on(GetLogEventsCommand).rejects(
      Object.assign(new Error('The specified log stream does not exist.'), {
        name: 'ResourceNotFoundException',
      }),
    );
    stubs.logs
      .on(GetLogEventsCommand, {
        logGroupName: JOBS_LOGS,
        logStreamName: 'jobs/jobs/0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      })
      .resolves({ events: [{ timestamp: 1, message: 'jobs: QUEUE_URL is not set\n' }] });

    const error = await deployEnvironment(ctx, {
      env: 'test',
      skipBuild: false,
      imageDigest: GOOD,
      timeoutMs: 30 * 60_000,
    }).catch((e: unknown) => e);

    assert.ok(error instanceof CliError, String(error));
    assert.equal(
      error.message,
      `deployment of ${GOOD} to test failed in jobs (ECS deployment circuit breaker: tasks failed to start.); ` +
        `the deployment circuit breaker rolled back to ${revision('ShopTestJobs', 4)}; ` +
        'api may run the new image: `berth rollback test` puts every service back on the last recorded release',
    );
    assert.deepEqual(error.detail?.split('\n').slice(0, 4), [
      `jobs failed: 1 of its tasks stopped on their own (${JOBS}):`,
      '  0f1e2d3c4b5a69788796a5b4c3d2e1f0 (ShopTestJobs:5): Essential container in task exited; jobs exit 78',
      '  last 1 log lines of 0f1e2d3c4b5a69788796a5b4c3d2e1f0:',
      '    jobs: QUEUE_URL is not set',
    ]);
    assert.deepEqual(
      ctx.progress.lines.filter((l) => l.startsWith('waiting for')),
      [
        `waiting for api (${API}) to reach a steady state`,
        `waiting for jobs (${JOBS}) to reach a steady state`,
      ],
    );
    assert.ok(
      ctx.progress.lines.includes(
        'api: rollout COMPLETED, tasks 1/1 running (0 pending), targets 1/1 healthy',
      ),
      ctx.progress.lines.join('\n'),
    );
    assert.equal(stubs.ecs.commandCalls(UpdateServiceCommand).length, 0, 'ECS already rolled jobs back');
    assert.equal(stubs.ssm.commandCalls(PutParameterCommand).length, 0, 'a failed digest is never recorded');
  });
});
