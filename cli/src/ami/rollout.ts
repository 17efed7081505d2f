import {
  type AutoScalingClient,
  type AutoScalingGroup,
  CancelInstanceRefreshCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  type InstanceRefresh,
  type LaunchTemplateSpecification,
  type RefreshPreferences,
  StartInstanceRefreshCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { AppNames, Architecture, EnvironmentConfig, EnvName } from '@berth/infra';
import { formatSeconds } from '../duration.js';
import { awsErrorName, CliError } from '../errors.js';
import type { Progress } from '../ui/progress.js';

/**
 * Launch before terminate, never below full capacity: each new node joins the cluster before an
 * old one is drained. Protected instances (ECS managed termination protection marks every node
 * running tasks) are replaced too — ECS managed draining moves their tasks first — instead of
 * being skipped forever. Nodes already on the desired launch template are left alone.
 */
export function refreshPreferences(instanceWarmupSeconds: number): RefreshPreferences {
  return {
    MinHealthyPercentage: 100,
    MaxHealthyPercentage: 200,
    InstanceWarmup: instanceWarmupSeconds,
    SkipMatching: true,
    ScaleInProtectedInstances: 'Refresh',
    StandbyInstances: 'Terminate',
    AutoRollback: true,
  };
}

/** A refresh only moves nodes to our AMI when the launch template reads it (cluster.amiSource 'berth'). */
export function requireBerthAmi(config: EnvironmentConfig): void {
  const source = config.cluster.amiSource;
  if (source === 'berth') return;
  throw new CliError(
    `${config.name} boots AWS's ECS AMI (cluster.amiSource = '${source}'): set it to 'berth' in ` +
      `berth.config.ts (environments.${config.name}.cluster.amiSource) and run \`berth deploy ${config.name} --skip-build\` before rolling out`,
  );
}

export interface RolloutClients {
  readonly autoscaling: AutoScalingClient;
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
}

export interface RolloutRequest {
  /** The app's names: the AMI parameter the launch template must already boot. */
  readonly names: AppNames;
  readonly env: EnvName;
  readonly architecture: Architecture;
  readonly autoScalingGroupName: string;
  readonly timeoutMs: number;
  readonly instanceWarmupSeconds: number;
  readonly pollIntervalMs: number;
}

export interface RolloutOptions {
  readonly progress: Progress;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const SUCCEEDED = new Set(['Successful']);
const FAILED = new Set(['Failed', 'Cancelled', 'RollbackSuccessful', 'RollbackFailed']);

async function describeGroup(autoscaling: AutoScalingClient, name: string): Promise<AutoScalingGroup> {
  const result = await autoscaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  const group = result.AutoScalingGroups?.[0];
  if (!group) {
    throw new CliError(
      `Auto Scaling group ${name} not found: deploy the Service stack first (berth deploy <env>)`,
    );
  }
  return group;
}

function launchTemplateOf(group: AutoScalingGroup): LaunchTemplateSpecification {
  const spec =
    group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (!spec?.LaunchTemplateId) {
    throw new CliError(
      `${group.AutoScalingGroupName} has no launch template: instance refresh with rollback needs one (see docs/ami.md)`,
    );
  }
  return spec;
}

/**
 * The launch template version the group uses, pinned to a number and checked to boot the
 * published AMI. A numbered version is what auto rollback needs ($Latest/$Default and
 * `resolve:ssm:` image ids disable it), and pinning the version CloudFormation declared avoids drift.
 */
async function desiredLaunchTemplate(
  clients: RolloutClients,
  group: AutoScalingGroup,
  request: RolloutRequest,
): Promise<{ spec: LaunchTemplateSpecification; imageId: string }> {
  const spec = launchTemplateOf(group);
  const versions = await clients.ec2.send(
    new DescribeLaunchTemplateVersionsCommand({
      LaunchTemplateId: spec.LaunchTemplateId,
      Versions: [spec.Version ?? '$Default'],
    }),
  );
  const version = versions.LaunchTemplateVersions?.[0];
  const imageId = version?.LaunchTemplateData?.ImageId;
  if (!version?.VersionNumber || !imageId) {
    throw new CliError(`launch template ${spec.LaunchTemplateId} version ${spec.Version} has no image id`);
  }
  if (imageId.startsWith('resolve:ssm:')) {
    throw new CliError(
      `launch template ${spec.LaunchTemplateId} resolves its AMI at launch (${imageId}): instance refresh ` +
        'cannot tell old nodes from new or roll back; resolve the parameter at deploy time instead (see docs/ami.md)',
    );
  }
  const parameter = request.names.parameters.ami(request.env, request.architecture);
  const published = await publishedAmi(clients.ssm, parameter, request.env);
  if (published !== imageId) {
    throw new CliError(
      `the launch template still boots ${imageId} but ${parameter} is ${published}: ` +
        `redeploy the infrastructure first (berth deploy ${request.env} --skip-build), then rerun the rollout`,
    );
  }
  return {
    spec: { LaunchTemplateId: spec.LaunchTemplateId, Version: String(version.VersionNumber) },
    imageId,
  };
}

async function publishedAmi(ssm: SSMClient, parameter: string, env: EnvName): Promise<string> {
  try {
    const result = await ssm.send(new GetParameterCommand({ Name: parameter }));
    if (result.Parameter?.Value) return result.Parameter.Value;
  } catch (error) {
    if (awsErrorName(error) !== 'ParameterNotFound') throw error;
  }
  throw new CliError(`no AMI published at ${parameter}: run \`berth ami publish ${env}\` first`);
}

function describeRefresh(refresh: InstanceRefresh): string {
  const percent = refresh.PercentageComplete ?? 0;
  const left =
    refresh.InstancesToUpdate === undefined ? '' : `, ${refresh.InstancesToUpdate} instance(s) to replace`;
  const reason = refresh.StatusReason ? ` — ${refresh.StatusReason}` : '';
  return `instance refresh ${refresh.InstanceRefreshId}: ${refresh.Status} ${percent}%${left}${reason}`;
}

export interface RolloutResult {
  readonly instanceRefreshId: string;
  readonly imageId: string;
  readonly status: string;
}

/**
 * Replaces every node that does not run the published AMI, one capacity-preserving batch at a time,
 * and waits for the outcome. A failure surfaces AWS's StatusReason; a timeout leaves the refresh
 * running (stopping it half-way is a decision for `--cancel`, not for a clock).
 */
export async function rolloutAmi(
  clients: RolloutClients,
  request: RolloutRequest,
  options: RolloutOptions,
): Promise<RolloutResult> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const started = now();
  const group = await describeGroup(clients.autoscaling, request.autoScalingGroupName);
  const { spec, imageId } = await desiredLaunchTemplate(clients, group, request);

  let instanceRefreshId: string;
  try {
    const result = await clients.autoscaling.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: request.autoScalingGroupName,
        Strategy: 'Rolling',
        DesiredConfiguration: { LaunchTemplate: spec },
        Preferences: refreshPreferences(request.instanceWarmupSeconds),
      }),
    );
    instanceRefreshId = result.InstanceRefreshId ?? '';
  } catch (error) {
    if (awsErrorName(error) === 'InstanceRefreshInProgressFault') {
      throw new CliError(
        `an instance refresh is already running on ${request.autoScalingGroupName}: ` +
          `wait for it, or stop it with \`berth ami rollout ${request.env} --cancel\``,
      );
    }
    throw error;
  }
  options.progress.step(
    `instance refresh ${instanceRefreshId} started on ${request.autoScalingGroupName} ` +
      `(launch template ${spec.LaunchTemplateId} v${spec.Version}, ${imageId})`,
  );

  for (;;) {
    const result = await clients.autoscaling.send(
      new DescribeInstanceRefreshesCommand({
        AutoScalingGroupName: request.autoScalingGroupName,
        InstanceRefreshIds: [instanceRefreshId],
      }),
    );
    const refresh = result.InstanceRefreshes?.[0];
    const status = refresh?.Status ?? 'Pending';
    if (refresh) options.progress.step(describeRefresh(refresh));
    if (SUCCEEDED.has(status)) return { instanceRefreshId, imageId, status };
    if (FAILED.has(status)) {
      throw new CliError(
        `instance refresh ${instanceRefreshId} ended ${status}: ${refresh?.StatusReason ?? 'no reason given'}`,
        'Auto rollback returns the group to its previous launch template; check the scaling activities ' +
          `(aws autoscaling describe-scaling-activities --auto-scaling-group-name ${request.autoScalingGroupName}) ` +
          `and the node logs in /${request.names.app}/ecs-node/* (the AMI's CloudWatch agent writes them).`,
      );
    }
    if (now() - started >= request.timeoutMs) {
      throw new CliError(
        `instance refresh ${instanceRefreshId} still ${status} after ${formatSeconds(request.timeoutMs)}: ` +
          `it keeps running in AWS; rerun with a longer --timeout to watch, or stop it with \`berth ami rollout ${request.env} --cancel\``,
      );
    }
    await sleep(request.pollIntervalMs);
  }
}

/** Stops the running refresh; nodes already replaced stay replaced (auto rollback is not triggered by a cancel). */
export async function cancelRollout(
  autoscaling: AutoScalingClient,
  autoScalingGroupName: string,
): Promise<string> {
  try {
    const result = await autoscaling.send(
      new CancelInstanceRefreshCommand({ AutoScalingGroupName: autoScalingGroupName }),
    );
    return result.InstanceRefreshId ?? '';
  } catch (error) {
    if (awsErrorName(error) === 'ActiveInstanceRefreshNotFoundFault') {
      throw new CliError(`no instance refresh is running on ${autoScalingGroupName}: nothing to cancel`);
    }
    throw error;
  }
}
