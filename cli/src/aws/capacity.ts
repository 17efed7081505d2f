import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetInstanceProtectionCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  type ECSClient,
  UpdateCapacityProviderCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { Progress } from '../ui/progress.js';
import { describeService, type ServiceRef } from './service-state.js';
import type { Clock } from './wait-for-steady-state.js';

/**
 * Scales the service to zero and waits until no task runs, so stack deletion has nothing to drain. Progress
 * lines start with `name` (the service's name in the config) when given.
 */
export async function scaleServiceToZero(
  ecs: ECSClient,
  ref: ServiceRef & { readonly name?: string },
  deadline: number,
  progress: Progress,
  clock: Clock,
  pollMs = 5_000,
): Promise<void> {
  await ecs.send(new UpdateServiceCommand({ cluster: ref.cluster, service: ref.service, desiredCount: 0 }));
  for (;;) {
    const service = await describeService(ecs, ref);
    const running = service.runningCount ?? 0;
    const pending = service.pendingCount ?? 0;
    const label = ref.name === undefined ? ref.service : `${ref.name} (${ref.service})`;
    progress.step(`scaling ${label} to 0: ${running} running, ${pending} pending`);
    if (running === 0 && pending === 0) return;
    if (clock.now() + pollMs > deadline) {
      throw new Error(`tasks of ${ref.service} still running at the deadline; run destroy again to continue`);
    }
    await clock.sleep(pollMs);
  }
}

const asgNameFromArn = (arn: string) => arn.split('autoScalingGroupName/').at(-1) ?? arn;

/**
 * Managed termination protection makes the capacity provider keep instances that run tasks, and
 * CloudFormation then waits forever deleting the group. Lift it, unprotect the instances and
 * empty the group before any stack is deleted. Returns the groups it emptied.
 */
export async function releaseClusterCapacity(
  clients: { ecs: ECSClient; autoscaling: AutoScalingClient },
  cluster: string,
  progress: Progress,
): Promise<string[]> {
  const described = await clients.ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
  const providerNames = (described.clusters?.[0]?.capacityProviders ?? []).filter(
    (n) => !n.startsWith('FARGATE'),
  );
  if (providerNames.length === 0) return [];
  const providers = await clients.ecs.send(
    new DescribeCapacityProvidersCommand({ capacityProviders: providerNames }),
  );
  const groups: string[] = [];
  for (const provider of providers.capacityProviders ?? []) {
    const asgArn = provider.autoScalingGroupProvider?.autoScalingGroupArn;
    if (!provider.name || !asgArn) continue;
    if (provider.autoScalingGroupProvider?.managedTerminationProtection === 'ENABLED') {
      progress.step(`disabling managed termination protection on ${provider.name}`);
      await clients.ecs.send(
        new UpdateCapacityProviderCommand({
          name: provider.name,
          autoScalingGroupProvider: { managedTerminationProtection: 'DISABLED' },
        }),
      );
    }
    const groupName = asgNameFromArn(asgArn);
    const group = (
      await clients.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }),
      )
    ).AutoScalingGroups?.[0];
    const protectedIds = (group?.Instances ?? [])
      .filter((i) => i.ProtectedFromScaleIn && i.InstanceId)
      .map((i) => i.InstanceId!);
    if (protectedIds.length > 0) {
      await clients.autoscaling.send(
        new SetInstanceProtectionCommand({
          AutoScalingGroupName: groupName,
          InstanceIds: protectedIds,
          ProtectedFromScaleIn: false,
        }),
      );
    }
    progress.step(`scaling auto scaling group ${groupName} to 0`);
    await clients.autoscaling.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: groupName,
        MinSize: 0,
        DesiredCapacity: 0,
        NewInstancesProtectedFromScaleIn: false,
      }),
    );
    groups.push(groupName);
  }
  return groups;
}
