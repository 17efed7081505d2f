import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CancelInstanceRefreshCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  type DescribeInstanceRefreshesCommandOutput,
  type InstanceRefresh,
  InstanceRefreshInProgressFault,
  type InstanceRefreshStatus,
  StartInstanceRefreshCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type { EnvironmentConfig } from '@berth/infra';
import { Command } from 'commander';
import { type RolloutRequest, requireBerthAmi, rolloutAmi } from '../src/ami/rollout.js';
import { registerAmiCommands } from '../src/commands/ami.js';
import { CliError } from '../src/errors.js';
import { RecordingProgress } from '../src/ui/progress.js';
import { fakeContext, mockedClients, NEW_AMI, OLD_AMI } from './ami-fixtures.js';
import { ENVIRONMENTS, NAMES } from './fixtures/cart-config.js';

const GROUP = 'Berth-Test-eu-west-1-Service-ClusterAsg-1ABC';
const TEMPLATE = 'lt-0123456789abcdef0';

const request: RolloutRequest = {
  names: NAMES,
  env: 'test',
  architecture: 'x86_64',
  autoScalingGroupName: GROUP,
  timeoutMs: 60 * 60_000,
  instanceWarmupSeconds: 300,
  pollIntervalMs: 15_000,
};

/** GIVEN an ASG on launch template version 7 (CloudFormation's pin) that boots `templateAmi`. */
function givenGroup(templateAmi = NEW_AMI, publishedAmi = NEW_AMI) {
  const setup = mockedClients();
  const { mocks } = setup;
  mocks.autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: GROUP,
        LaunchTemplate: { LaunchTemplateId: TEMPLATE, Version: '7' },
        MinSize: 2,
        MaxSize: 6,
        DesiredCapacity: 2,
        DefaultCooldown: 300,
        AvailabilityZones: ['eu-west-1a', 'eu-west-1b'],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(0),
      },
    ],
  });
  mocks.ec2
    .on(DescribeLaunchTemplateVersionsCommand, { LaunchTemplateId: TEMPLATE, Versions: ['7'] })
    .resolves({
      LaunchTemplateVersions: [
        { LaunchTemplateId: TEMPLATE, VersionNumber: 7, LaunchTemplateData: { ImageId: templateAmi } },
      ],
    });
  mocks.ssm.on(GetParameterCommand, { Name: '/berth/test/ami/x86_64' }).resolves({
    Parameter: { Name: '/berth/test/ami/x86_64', Value: publishedAmi },
  });
  mocks.autoscaling.on(StartInstanceRefreshCommand).resolves({ InstanceRefreshId: 'refresh-1' });
  return setup;
}

const refresh = (
  Status: InstanceRefreshStatus,
  PercentageComplete: number,
  extra: Partial<InstanceRefresh> = {},
): DescribeInstanceRefreshesCommandOutput => ({
  $metadata: {},
  InstanceRefreshes: [
    { InstanceRefreshId: 'refresh-1', AutoScalingGroupName: GROUP, Status, PercentageComplete, ...extra },
  ],
});

function run(clients: ReturnType<typeof mockedClients>['clients'], overrides: Partial<RolloutRequest> = {}) {
  const progress = new RecordingProgress();
  let clock = 0;
  const promise = rolloutAmi(
    clients,
    { ...request, ...overrides },
    {
      progress,
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => clock,
    },
  );
  return { promise, progress };
}

describe('berth ami rollout', () => {
  it('starts a capacity-preserving refresh with exactly the designed preferences', async () => {
    const { clients, mocks } = givenGroup();
    mocks.autoscaling.on(DescribeInstanceRefreshesCommand).resolves(refresh('Successful', 100));

    await run(clients).promise;

    const start = mocks.autoscaling.commandCalls(StartInstanceRefreshCommand);
    assert.equal(start.length, 1);
    assert.deepEqual(start[0]!.args[0].input, {
      AutoScalingGroupName: GROUP,
      Strategy: 'Rolling',
      // A numbered version (not $Latest): auto rollback needs one, and it matches CloudFormation's pin.
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: TEMPLATE, Version: '7' } },
      Preferences: {
        MinHealthyPercentage: 100,
        MaxHealthyPercentage: 200,
        InstanceWarmup: 300,
        SkipMatching: true,
        ScaleInProtectedInstances: 'Refresh',
        StandbyInstances: 'Terminate',
        AutoRollback: true,
      },
    });
  });

  it('reports progress until the refresh succeeds', async () => {
    // GIVEN a refresh that goes Pending → InProgress 50% → Successful
    const { clients, mocks } = givenGroup();
    mocks.autoscaling
      .on(DescribeInstanceRefreshesCommand)
      .resolvesOnce(refresh('Pending', 0))
      .resolvesOnce(refresh('InProgress', 50, { InstancesToUpdate: 1 }))
      .resolves(refresh('Successful', 100, { InstancesToUpdate: 0 }));

    // WHEN rolling out
    const { promise, progress } = run(clients);
    const result = await promise;

    // THEN each state was shown and the result names the AMI now running
    assert.deepEqual(result, { instanceRefreshId: 'refresh-1', imageId: NEW_AMI, status: 'Successful' });
    assert.deepEqual(progress.lines.slice(1), [
      'instance refresh refresh-1: Pending 0%',
      'instance refresh refresh-1: InProgress 50%, 1 instance(s) to replace',
      'instance refresh refresh-1: Successful 100%, 0 instance(s) to replace',
    ]);
    assert.equal(mocks.autoscaling.commandCalls(DescribeInstanceRefreshesCommand).length, 3);
  });

  it('fails with the StatusReason when the refresh fails (and waits through the auto rollback)', async () => {
    const reason = 'Instance i-0abc failed to launch: The image id does not exist';
    const { clients, mocks } = givenGroup();
    mocks.autoscaling
      .on(DescribeInstanceRefreshesCommand)
      .resolvesOnce(refresh('InProgress', 10))
      .resolvesOnce(refresh('RollbackInProgress', 10, { StatusReason: reason }))
      .resolves(refresh('RollbackSuccessful', 100, { StatusReason: reason }));

    await assert.rejects(run(clients).promise, (error: Error) => {
      assert.ok(error instanceof CliError);
      assert.equal(error.message, `instance refresh refresh-1 ended RollbackSuccessful: ${reason}`);
      assert.match(error.detail ?? '', /describe-scaling-activities --auto-scaling-group-name/);
      // The cart's (app `berth`) node log groups, as its AMI's CloudWatch agent names them.
      assert.match(error.detail ?? '', /the node logs in \/berth\/ecs-node\/\* /);
      return true;
    });
  });

  it('fails with the reason on a plain Failed status', async () => {
    const { clients, mocks } = givenGroup();
    mocks.autoscaling
      .on(DescribeInstanceRefreshesCommand)
      .resolves(refresh('Failed', 50, { StatusReason: 'Instance failed to become healthy' }));

    await assert.rejects(run(clients).promise, /ended Failed: Instance failed to become healthy/);
  });

  it('gives up watching at the timeout, says the refresh keeps running and how to cancel it', async () => {
    const { clients, mocks } = givenGroup();
    mocks.autoscaling.on(DescribeInstanceRefreshesCommand).resolves(refresh('InProgress', 50));

    await assert.rejects(
      run(clients, { timeoutMs: 60_000, pollIntervalMs: 15_000 }).promise,
      /still InProgress after 1m00s: it keeps running in AWS; .*berth ami rollout test --cancel/,
    );
    // 0, 15, 30, 45 and 60 s: five looks, then the timeout.
    assert.equal(mocks.autoscaling.commandCalls(DescribeInstanceRefreshesCommand).length, 5);
    assert.equal(mocks.autoscaling.commandCalls(CancelInstanceRefreshCommand).length, 0);
  });

  it('refuses to start while the launch template still boots the old AMI', async () => {
    const { clients, mocks } = givenGroup(OLD_AMI, NEW_AMI);

    await assert.rejects(
      run(clients).promise,
      /still boots ami-0fedcba9876543210 but \/berth\/test\/ami\/x86_64 is ami-0123456789abcdef0: redeploy .*berth deploy test --skip-build/,
    );
    assert.equal(mocks.autoscaling.commandCalls(StartInstanceRefreshCommand).length, 0);
  });

  it('points at --cancel when a refresh is already running', async () => {
    const { clients, mocks } = givenGroup();
    mocks.autoscaling.on(StartInstanceRefreshCommand).rejects(
      new InstanceRefreshInProgressFault({
        message: 'An Instance Refresh is already in progress',
        $metadata: {},
      }),
    );

    await assert.rejects(run(clients).promise, /already running on .*berth ami rollout test --cancel/);
  });
});

describe('berth ami rollout (command)', () => {
  it('refuses an environment whose launch template does not read the Berth AMI', () => {
    const onAwsAmi = {
      ...ENVIRONMENTS.test,
      cluster: { ...ENVIRONMENTS.test.cluster, amiSource: 'aws-ecs-al2023' },
    };
    assert.throws(
      () => requireBerthAmi(onAwsAmi as EnvironmentConfig),
      /test boots AWS's ECS AMI \(cluster.amiSource = 'aws-ecs-al2023'\): set it to 'berth'/,
    );
    const onBerthAmi = { ...onAwsAmi, cluster: { ...onAwsAmi.cluster, amiSource: 'berth' } };
    assert.doesNotThrow(() => requireBerthAmi(onBerthAmi as EnvironmentConfig));
  });

  function program(clients: ReturnType<typeof mockedClients>['clients']) {
    const { context, stdout } = fakeContext(clients);
    const cli = new Command('berth').exitOverride();
    registerAmiCommands(cli, () => context);
    return { cli, stdout };
  }

  it('--cancel finds the group from the Service stack output and cancels its refresh', async () => {
    const { clients, mocks } = mockedClients();
    mocks.cfn.on(DescribeStacksCommand, { StackName: 'Berth-Test-eu-west-1-Service' }).resolves({
      Stacks: [
        {
          StackName: 'Berth-Test-eu-west-1-Service',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(0),
          Outputs: [{ OutputKey: 'AutoScalingGroupName', OutputValue: GROUP }],
        },
      ],
    });
    mocks.autoscaling.on(CancelInstanceRefreshCommand, { AutoScalingGroupName: GROUP }).resolves({
      InstanceRefreshId: 'refresh-1',
    });
    const { cli, stdout } = program(clients);

    await cli.parseAsync(['node', 'berth', 'ami', 'rollout', 'test', '--cancel']);

    assert.equal(mocks.autoscaling.commandCalls(CancelInstanceRefreshCommand).length, 1);
    assert.equal(stdout.join(''), `eu-west-1: cancelled instance refresh refresh-1 on ${GROUP}\n`);
  });

  it('rejects a bad --timeout with a usable message', async () => {
    const { clients } = mockedClients();
    await assert.rejects(
      program(clients).cli.parseAsync(['node', 'berth', 'ami', 'rollout', 'test', '--timeout', 'soon']),
      /--timeout "soon" is not a duration/,
    );
  });
});
