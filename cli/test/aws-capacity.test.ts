/**
 * Destroy's capacity release (cli/src/aws/capacity.ts): scale the service to zero and wait, then lift managed
 * termination protection and scale-in protection and empty each auto scaling group. Every stub answers only the
 * input it expects, and every write is asserted with its exact input: a wrong cluster, group or flag fails here.
 */
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
  type DescribeClustersCommandOutput,
  DescribeServicesCommand,
  UpdateCapacityProviderCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { releaseClusterCapacity, scaleServiceToZero } from '../src/aws/capacity.js';
import { RecordingProgress } from '../src/ui/progress.js';
import { CLUSTER, FakeClock, mockAws, SERVICE } from './fixtures/aws.js';

const REF = { cluster: CLUSTER, service: SERVICE };

function counts(runningCount: number | undefined, pendingCount: number | undefined) {
  return {
    services: [
      {
        serviceName: SERVICE,
        status: 'ACTIVE',
        ...(runningCount === undefined ? {} : { runningCount }),
        ...(pendingCount === undefined ? {} : { pendingCount }),
      },
    ],
  };
}

describe('scaleServiceToZero', () => {
  it('sets desiredCount 0 on exactly this service, then polls every 5 s until nothing runs or is pending', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(UpdateServiceCommand, { cluster: CLUSTER, service: SERVICE, desiredCount: 0 }).resolves({});
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolvesOnce(counts(2, 1))
      // Running tasks gone but one still pending: not done yet.
      .resolvesOnce(counts(0, 1))
      .resolves(counts(0, 0));
    const clock = new FakeClock();
    const progress = new RecordingProgress();

    await scaleServiceToZero(clients.ecs, REF, clock.now() + 60_000, progress, clock);

    assert.deepEqual(
      stubs.ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input),
      [{ cluster: CLUSTER, service: SERVICE, desiredCount: 0 }],
    );
    assert.deepEqual(clock.sleeps, [5_000, 5_000]);
    assert.deepEqual(progress.lines, [
      `scaling ${SERVICE} to 0: 2 running, 1 pending`,
      `scaling ${SERVICE} to 0: 0 running, 1 pending`,
      `scaling ${SERVICE} to 0: 0 running, 0 pending`,
    ]);
  });

  it('keeps waiting while tasks still run even when none is pending', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(UpdateServiceCommand, { desiredCount: 0 }).resolves({});
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolvesOnce(counts(1, 0))
      .resolves(counts(0, 0));
    const clock = new FakeClock();

    await scaleServiceToZero(clients.ecs, REF, clock.now() + 60_000, new RecordingProgress(), clock, 2_000);

    assert.deepEqual(clock.sleeps, [2_000]);
  });

  it('treats counts ECS leaves out as zero (DescribeServices omits them for an empty service)', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(UpdateServiceCommand, { desiredCount: 0 }).resolves({});
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolves(counts(undefined, undefined));
    const clock = new FakeClock();
    const progress = new RecordingProgress();

    await scaleServiceToZero(clients.ecs, REF, clock.now() + 60_000, progress, clock);

    assert.deepEqual(clock.sleeps, []);
    assert.deepEqual(progress.lines, [`scaling ${SERVICE} to 0: 0 running, 0 pending`]);
  });

  it('names the service by its config name too when it is given (an environment has several)', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(UpdateServiceCommand, { desiredCount: 0 }).resolves({});
    stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] }).resolves(counts(0, 0));
    const clock = new FakeClock();
    const progress = new RecordingProgress();

    await scaleServiceToZero(clients.ecs, { ...REF, name: 'worker' }, clock.now() + 60_000, progress, clock);

    assert.deepEqual(progress.lines, [`scaling worker (${SERVICE}) to 0: 0 running, 0 pending`]);
  });

  it('polls while the next poll still fits before the deadline, then says to run destroy again', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(UpdateServiceCommand, { desiredCount: 0 }).resolves({});
    stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] }).resolves(counts(1, 0));
    const clock = new FakeClock();
    // Polls at +0 s and +5 s both fit (the second ends exactly at the deadline); the one at +10 s does not.
    const deadline = clock.now() + 10_000;

    await assert.rejects(scaleServiceToZero(clients.ecs, REF, deadline, new RecordingProgress(), clock), {
      message: `tasks of ${SERVICE} still running at the deadline; run destroy again to continue`,
    });
    assert.deepEqual(clock.sleeps, [5_000, 5_000]);
  });
});

const PROVIDER = 'Berth-Test-eu-west-1-Service-AsgCapacityProvider-7Q2W';
const OTHER_PROVIDER = 'Berth-Test-eu-west-1-Service-SpareCapacityProvider-3K9Z';
const GROUP = 'Berth-Test-eu-west-1-Service-ClusterAsgGroup-1X2Y3Z';
const OTHER_GROUP = 'Berth-Test-eu-west-1-Service-SpareAsgGroup-9V8U';
// Auto Scaling group ARN format (AWS, "Amazon EC2 Auto Scaling resource types": autoScalingGroup ARN).
const groupArn = (name: string) =>
  `arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:5d3c7e1a-0f4b-4e55-9c1d-2f8a6b7c9d0e:autoScalingGroupName/${name}`;

function givenCluster(stubs: ReturnType<typeof mockAws>['stubs'], capacityProviders: string[] | undefined) {
  stubs.ecs
    .on(DescribeClustersCommand, { clusters: [CLUSTER] })
    .resolves({ clusters: [{ clusterName: CLUSTER, ...(capacityProviders ? { capacityProviders } : {}) }] });
}

function givenGroup(
  stubs: ReturnType<typeof mockAws>['stubs'],
  name: string,
  instances: { InstanceId?: string; ProtectedFromScaleIn: boolean }[],
) {
  stubs.autoscaling.on(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: [name] }).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: name,
        MinSize: 1,
        MaxSize: 4,
        DesiredCapacity: instances.length,
        DefaultCooldown: 300,
        AvailabilityZones: ['eu-west-1a'],
        HealthCheckType: 'EC2',
        CreatedTime: new Date('2026-11-01T10:00:00Z'),
        Instances: instances.map((i) => ({
          ...i,
          AvailabilityZone: 'eu-west-1a',
          LifecycleState: 'InService',
          HealthStatus: 'Healthy',
        })) as never,
      },
    ],
  });
}

describe('releaseClusterCapacity', () => {
  it('lifts managed termination protection, unprotects exactly the protected instances and empties the group', async () => {
    const { clients, stubs } = mockAws();
    givenCluster(stubs, ['FARGATE', PROVIDER, 'FARGATE_SPOT']);
    stubs.ecs.on(DescribeCapacityProvidersCommand, { capacityProviders: [PROVIDER] }).resolves({
      capacityProviders: [
        {
          name: PROVIDER,
          autoScalingGroupProvider: {
            autoScalingGroupArn: groupArn(GROUP),
            managedTerminationProtection: 'ENABLED',
          },
        },
      ],
    });
    stubs.ecs.on(UpdateCapacityProviderCommand).resolves({});
    givenGroup(stubs, GROUP, [
      { InstanceId: 'i-0aaa1111', ProtectedFromScaleIn: true },
      { InstanceId: 'i-0bbb2222', ProtectedFromScaleIn: false },
      { InstanceId: 'i-0ccc3333', ProtectedFromScaleIn: true },
    ]);
    stubs.autoscaling.on(SetInstanceProtectionCommand).resolves({});
    stubs.autoscaling.on(UpdateAutoScalingGroupCommand).resolves({});
    const progress = new RecordingProgress();

    const groups = await releaseClusterCapacity(clients, CLUSTER, progress);

    assert.deepEqual(groups, [GROUP]);
    // FARGATE providers have no group: asking for them would fail the call.
    assert.deepEqual(
      stubs.ecs.commandCalls(DescribeCapacityProvidersCommand).map((c) => c.args[0].input),
      [{ capacityProviders: [PROVIDER] }],
    );
    assert.deepEqual(
      stubs.ecs.commandCalls(UpdateCapacityProviderCommand).map((c) => c.args[0].input),
      [{ name: PROVIDER, autoScalingGroupProvider: { managedTerminationProtection: 'DISABLED' } }],
    );
    assert.deepEqual(
      stubs.autoscaling.commandCalls(SetInstanceProtectionCommand).map((c) => c.args[0].input),
      [
        {
          AutoScalingGroupName: GROUP,
          InstanceIds: ['i-0aaa1111', 'i-0ccc3333'],
          ProtectedFromScaleIn: false,
        },
      ],
    );
    assert.deepEqual(
      stubs.autoscaling.commandCalls(UpdateAutoScalingGroupCommand).map((c) => c.args[0].input),
      [
        {
          AutoScalingGroupName: GROUP,
          MinSize: 0,
          DesiredCapacity: 0,
          NewInstancesProtectedFromScaleIn: false,
        },
      ],
    );
    assert.deepEqual(progress.lines, [
      `disabling managed termination protection on ${PROVIDER}`,
      `scaling auto scaling group ${GROUP} to 0`,
    ]);
  });

  it('leaves protection settings alone when nothing is protected, and empties every group of the cluster', async () => {
    const { clients, stubs } = mockAws();
    givenCluster(stubs, [PROVIDER, OTHER_PROVIDER]);
    stubs.ecs
      .on(DescribeCapacityProvidersCommand, { capacityProviders: [PROVIDER, OTHER_PROVIDER] })
      .resolves({
        capacityProviders: [
          {
            name: PROVIDER,
            autoScalingGroupProvider: {
              autoScalingGroupArn: groupArn(GROUP),
              managedTerminationProtection: 'DISABLED',
            },
          },
          { name: OTHER_PROVIDER, autoScalingGroupProvider: { autoScalingGroupArn: groupArn(OTHER_GROUP) } },
        ],
      });
    givenGroup(stubs, GROUP, [{ InstanceId: 'i-0ddd4444', ProtectedFromScaleIn: false }]);
    givenGroup(stubs, OTHER_GROUP, [{ ProtectedFromScaleIn: true }]);
    stubs.autoscaling.on(UpdateAutoScalingGroupCommand).resolves({});
    const progress = new RecordingProgress();

    const groups = await releaseClusterCapacity(clients, CLUSTER, progress);

    assert.deepEqual(groups, [GROUP, OTHER_GROUP]);
    assert.equal(stubs.ecs.commandCalls(UpdateCapacityProviderCommand).length, 0);
    // An instance entry without an id cannot be unprotected: no call with an empty or undefined id.
    assert.equal(stubs.autoscaling.commandCalls(SetInstanceProtectionCommand).length, 0);
    assert.deepEqual(
      stubs.autoscaling
        .commandCalls(UpdateAutoScalingGroupCommand)
        .map((c) => c.args[0].input.AutoScalingGroupName),
      [GROUP, OTHER_GROUP],
    );
    assert.deepEqual(progress.lines, [
      `scaling auto scaling group ${GROUP} to 0`,
      `scaling auto scaling group ${OTHER_GROUP} to 0`,
    ]);
  });

  it('skips a provider without a name or without an auto scaling group', async () => {
    const { clients, stubs } = mockAws();
    givenCluster(stubs, [PROVIDER, OTHER_PROVIDER]);
    stubs.ecs.on(DescribeCapacityProvidersCommand).resolves({
      capacityProviders: [
        {
          autoScalingGroupProvider: {
            autoScalingGroupArn: groupArn(GROUP),
            managedTerminationProtection: 'ENABLED',
          },
        },
        {
          name: OTHER_PROVIDER,
          autoScalingGroupProvider: { managedTerminationProtection: 'ENABLED' } as never,
        },
      ],
    });

    assert.deepEqual(await releaseClusterCapacity(clients, CLUSTER, new RecordingProgress()), []);
    assert.equal(stubs.ecs.commandCalls(UpdateCapacityProviderCommand).length, 0);
    assert.equal(stubs.autoscaling.calls().length, 0);
  });

  // ECS API Reference, "DescribeClusters": unknown clusters come back under `failures`, not as an error; the SDK
  // types leave the `clusters` list optional, so both an empty and an absent list are handled.
  const gone: [string, Omit<DescribeClustersCommandOutput, '$metadata'>][] = [
    ['an empty clusters list', { clusters: [], failures: [{ arn: CLUSTER, reason: 'MISSING' }] }],
    ['no clusters list', { failures: [{ arn: CLUSTER, reason: 'MISSING' }] }],
  ];
  for (const [shape, answer] of gone) {
    it(`a cluster that is already gone (${shape} and a MISSING failure) has nothing to release`, async () => {
      const { clients, stubs } = mockAws();
      stubs.ecs.on(DescribeClustersCommand, { clusters: [CLUSTER] }).resolves(answer);

      assert.deepEqual(await releaseClusterCapacity(clients, CLUSTER, new RecordingProgress()), []);
      assert.equal(stubs.autoscaling.calls().length, 0);
    });
  }

  it('skips a capacity provider without an auto scaling group (e.g. ECS Managed Instances)', async () => {
    const { clients, stubs } = mockAws();
    givenCluster(stubs, [PROVIDER]);
    stubs.ecs
      .on(DescribeCapacityProvidersCommand, { capacityProviders: [PROVIDER] })
      .resolves({ capacityProviders: [{ name: PROVIDER, status: 'ACTIVE' }] });

    assert.deepEqual(await releaseClusterCapacity(clients, CLUSTER, new RecordingProgress()), []);
    assert.equal(stubs.autoscaling.calls().length, 0);
  });

  for (const listed of [{ AutoScalingGroups: [] }, {}]) {
    it(`a group deleted out of band (${JSON.stringify(listed)}): nothing to unprotect, and AWS refusing to scale it fails the release`, async () => {
      const { clients, stubs } = mockAws();
      givenCluster(stubs, [PROVIDER]);
      stubs.ecs.on(DescribeCapacityProvidersCommand, { capacityProviders: [PROVIDER] }).resolves({
        capacityProviders: [
          { name: PROVIDER, autoScalingGroupProvider: { autoScalingGroupArn: groupArn(GROUP) } },
        ],
      });
      // DescribeAutoScalingGroups lists only groups that exist; UpdateAutoScalingGroup on a missing one is a
      // ValidationError (Amazon EC2 Auto Scaling API Reference, "UpdateAutoScalingGroup", Errors).
      stubs.autoscaling
        .on(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: [GROUP] })
        .resolves(listed);
      stubs.autoscaling
        .on(UpdateAutoScalingGroupCommand, { AutoScalingGroupName: GROUP })
        .rejects(Object.assign(new Error('AutoScalingGroup name not found'), { name: 'ValidationError' }));

      await assert.rejects(releaseClusterCapacity(clients, CLUSTER, new RecordingProgress()), {
        name: 'ValidationError',
      });
      assert.equal(stubs.autoscaling.commandCalls(SetInstanceProtectionCommand).length, 0);
    });
  }

  for (const [label, providers] of [
    ['only FARGATE providers', ['FARGATE', 'FARGATE_SPOT']],
    ['no capacity providers', undefined],
  ] as const) {
    it(`does nothing for a cluster with ${label}`, async () => {
      const { clients, stubs } = mockAws();
      givenCluster(stubs, providers === undefined ? undefined : [...providers]);

      assert.deepEqual(await releaseClusterCapacity(clients, CLUSTER, new RecordingProgress()), []);
      assert.equal(stubs.ecs.commandCalls(DescribeCapacityProvidersCommand).length, 0);
      assert.equal(stubs.autoscaling.calls().length, 0);
    });
  }
});
