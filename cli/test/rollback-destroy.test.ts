import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DescribeAutoScalingGroupsCommand,
  SetInstanceProtectionCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  UpdateCapacityProviderCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterHistoryCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { IMAGE_CONTEXT_KEY } from '@berth/infra';
import { destroyEnvironment } from '../src/deploy/destroy-flow.js';
import { rollbackEnvironment } from '../src/deploy/rollback-flow.js';
import { CliError } from '../src/errors.js';
import {
  CLUSTER,
  deployment,
  digest,
  FakeDeployer,
  givenDeployedStacks,
  mockAws,
  REGION,
  SERVICE,
  service,
  TARGET_GROUP_ARN,
  TASK_DEF,
  target,
} from './fixtures/aws.js';
import { PARAMETERS, stackName } from './fixtures/cart-config.js';
import { webContext } from './fixtures/web-context.js';

const history = (...values: string[]) => ({
  Parameters: values.map((Value, i) => ({
    Name: PARAMETERS.imageDigest('test'),
    Value,
    Version: i + 1,
    LastModifiedDate: new Date(Date.UTC(2026, 10, 1 + i)),
  })),
});

/** The service runs TASK_DEF(8), whose web container pulls `digest`. */
function givenRunning(stubs: ReturnType<typeof mockAws>['stubs'], running: string): void {
  stubs.ecs
    .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
    .resolves(service([deployment()], { taskDefinition: TASK_DEF(8) }));
  stubs.ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TASK_DEF(8) }).resolves({
    taskDefinition: {
      containerDefinitions: [
        { name: 'web', image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/service@${running}` },
      ],
    },
  });
}

describe('berth rollback', () => {
  it('redeploys the Service stack with the digest that ran before the current one, waits, and records it', async () => {
    // GIVEN a history (oldest first) A, B, B (a redeploy), C — C is current
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    stubs.ssm
      .on(GetParameterHistoryCommand)
      .resolvesOnce({ ...history(digest('a'), digest('b')), NextToken: 'page2' })
      .resolves({
        Parameters: history(digest('a'), digest('b'), digest('b'), digest('c')).Parameters.slice(2),
      });
    givenRunning(stubs, digest('c'));
    stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP_ARN }).resolves({
      TargetHealthDescriptions: [target('i-1', 32768, 'healthy'), target('i-2', 32769, 'healthy')],
    });
    const ctx = webContext(clients);

    const result = await rollbackEnvironment(ctx, { env: 'test', timeoutMs: 600_000 });

    assert.deepEqual(result, { env: 'test', from: digest('c'), to: digest('b') });
    assert.deepEqual(ctx.deployerFake.calls, [
      {
        action: 'deploy',
        stacks: [stackName('test', REGION, 'Service')],
        context: { [IMAGE_CONTEXT_KEY]: digest('b') },
      },
    ]);
    assert.equal(stubs.ssm.commandCalls(PutParameterCommand)[0]?.args[0].input.Value, digest('b'));
  });

  it('says there is nothing to roll back to when only one image was ever deployed', async () => {
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    givenRunning(stubs, digest('a'));
    stubs.ssm
      .on(GetParameterHistoryCommand, { Name: PARAMETERS.imageDigest('test') })
      .resolves(history(digest('a'), digest('a')));
    await assert.rejects(rollbackEnvironment(webContext(clients), { env: 'test', timeoutMs: 60_000 }), {
      message: `no release before ${digest('a')} recorded for test in /berth/test/image-digest: pass --to <sha256:…> to choose one`,
    });
  });
});

describe('berth destroy', () => {
  function givenRunningCluster(stubs: ReturnType<typeof mockAws>['stubs'], log: string[]) {
    givenDeployedStacks(stubs);
    stubs.ecs.on(UpdateServiceCommand).callsFake((input) => {
      log.push(`scale service to ${input.desiredCount}`);
      return {};
    });
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolvesOnce(service([deployment({ desiredCount: 0, runningCount: 2 })]))
      .resolves(service([deployment({ desiredCount: 0, runningCount: 0 })]));
    stubs.ecs.on(DescribeClustersCommand).resolves({
      clusters: [{ clusterName: CLUSTER, capacityProviders: ['Berth-Test-CapacityProvider'] }],
    });
    stubs.ecs.on(DescribeCapacityProvidersCommand).resolves({
      capacityProviders: [
        {
          name: 'Berth-Test-CapacityProvider',
          autoScalingGroupProvider: {
            autoScalingGroupArn:
              'arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/Berth-Test-Asg',
            managedTerminationProtection: 'ENABLED',
          },
        },
      ],
    });
    stubs.ecs.on(UpdateCapacityProviderCommand).callsFake(() => {
      log.push('disable termination protection');
      return {};
    });
    stubs.autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'Berth-Test-Asg',
          MinSize: 1,
          MaxSize: 3,
          DesiredCapacity: 1,
          DefaultCooldown: 300,
          AvailabilityZones: ['eu-west-1a'],
          HealthCheckType: 'EC2',
          CreatedTime: new Date(),
          Instances: [
            {
              InstanceId: 'i-0abc',
              ProtectedFromScaleIn: true,
              AvailabilityZone: 'eu-west-1a',
              LifecycleState: 'InService',
              HealthStatus: 'Healthy',
            },
          ],
        },
      ],
    });
    stubs.autoscaling.on(SetInstanceProtectionCommand).callsFake(() => {
      log.push('unprotect instances');
      return {};
    });
    stubs.autoscaling.on(UpdateAutoScalingGroupCommand).callsFake((input) => {
      log.push(`asg min ${input.MinSize} desired ${input.DesiredCapacity}`);
      return {};
    });
  }

  it('scales to zero and releases the instances before deleting stacks in reverse order', async () => {
    const { clients, stubs } = mockAws();
    const log: string[] = [];
    givenRunningCluster(stubs, log);
    const deployer = new FakeDeployer(log);
    const ctx = webContext(clients, { deployer: async () => deployer });

    const destroyed = await destroyEnvironment(ctx, {
      env: 'test',
      yesDestroyProd: false,
      timeoutMs: 3_600_000,
    });

    const stacks = ['Monitoring', 'Service', 'Data', 'Network'].map((c) =>
      stackName('test', REGION, c as 'Data'),
    );
    assert.deepEqual(destroyed, stacks);
    assert.deepEqual(log, [
      'scale service to 0',
      'disable termination protection',
      'unprotect instances',
      'asg min 0 desired 0',
      ...stacks.map((s) => `destroy ${s}`),
    ]);
    assert.ok(
      ctx.progress.lines.includes(
        'scaling web (Berth-Test-eu-west-1-Service-WebServiceC2F3A1B0-def456) to 0: 2 running, 0 pending',
      ),
    );
  });

  it('refuses prod without --yes-destroy-prod before any AWS call', async () => {
    const { clients, stubs } = mockAws();
    await assert.rejects(
      destroyEnvironment(webContext(clients), { env: 'prod', yesDestroyProd: false, timeoutMs: 1 }),
      {
        message: 'refusing to destroy prod: pass --yes-destroy-prod if you really mean it',
      },
    );
    assert.equal(stubs.sts.calls().length, 0);
  });

  it('stops before the prod database (deletion protection) with the steps to delete it', async () => {
    const { clients, stubs } = mockAws();
    const log: string[] = [];
    givenRunningCluster(stubs, log);
    const deployer = new FakeDeployer(log);
    const ctx = webContext(clients, { deployer: async () => deployer });

    const error = await destroyEnvironment(ctx, {
      env: 'prod',
      yesDestroyProd: true,
      timeoutMs: 3_600_000,
    }).catch((e: unknown) => e);

    assert.ok(error instanceof CliError);
    assert.match(
      error.message,
      /stopped before Berth-Prod-eu-west-1-Data: the prod database has deletion protection/,
    );
    assert.match(error.detail ?? '', /--no-deletion-protection/);
    assert.deepEqual(
      log.filter((l) => l.startsWith('destroy')),
      ['destroy Berth-Prod-eu-west-1-Monitoring', 'destroy Berth-Prod-eu-west-1-Service'],
    );
  });
});
