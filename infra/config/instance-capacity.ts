/**
 * How many tasks the cluster can place at its maximum size, and how many a deployment needs at once.
 * Used by config validation so a deployment never waits on capacity the cluster cannot have.
 */
import type { DeploymentConfig } from './environments.js';

export interface InstanceSize {
  readonly vcpus: number;
  readonly memoryGiB: number;
}

/**
 * vCPUs and memory per instance type, from AWS's "Amazon EC2 instance types" specifications pages
 * (General purpose: T3, T4g, M6i, M7g; Compute optimized: C6i, C7g). Add a row to use another type.
 */
export const INSTANCE_SIZES: Readonly<Record<string, InstanceSize>> = {
  't3.micro': { vcpus: 2, memoryGiB: 1 },
  't3.small': { vcpus: 2, memoryGiB: 2 },
  't3.medium': { vcpus: 2, memoryGiB: 4 },
  't3.large': { vcpus: 2, memoryGiB: 8 },
  't3.xlarge': { vcpus: 4, memoryGiB: 16 },
  't3.2xlarge': { vcpus: 8, memoryGiB: 32 },
  't4g.micro': { vcpus: 2, memoryGiB: 1 },
  't4g.small': { vcpus: 2, memoryGiB: 2 },
  't4g.medium': { vcpus: 2, memoryGiB: 4 },
  't4g.large': { vcpus: 2, memoryGiB: 8 },
  't4g.xlarge': { vcpus: 4, memoryGiB: 16 },
  't4g.2xlarge': { vcpus: 8, memoryGiB: 32 },
  'm6i.large': { vcpus: 2, memoryGiB: 8 },
  'm6i.xlarge': { vcpus: 4, memoryGiB: 16 },
  'm6i.2xlarge': { vcpus: 8, memoryGiB: 32 },
  'm7g.large': { vcpus: 2, memoryGiB: 8 },
  'm7g.xlarge': { vcpus: 4, memoryGiB: 16 },
  'm7g.2xlarge': { vcpus: 8, memoryGiB: 32 },
  'c6i.large': { vcpus: 2, memoryGiB: 4 },
  'c6i.xlarge': { vcpus: 4, memoryGiB: 8 },
  'c7g.large': { vcpus: 2, memoryGiB: 4 },
  'c7g.xlarge': { vcpus: 4, memoryGiB: 8 },
};

/** "There are 1,024 CPU units for each vCPU" (AWS, Amazon ECS task definition parameters, `cpu`). */
export const CPU_UNITS_PER_VCPU = 1024;

/**
 * Share of installed memory we plan with. AWS, "Reserving Amazon ECS Linux container instance memory": the agent
 * registers less than the installed memory (kernel and platform overhead; an m4.large's 8 GiB registers as
 * 7985 MiB) and gives no formula, and the overhead weighs more on small instances, so we keep 10 % back.
 */
export const PLANNED_MEMORY_SHARE = 0.9;

/** Tasks of this size one instance can hold, limited by whichever of CPU and memory runs out first. */
export function tasksPerInstance(size: InstanceSize, task: { cpu: number; memoryMiB: number }): number {
  const memoryMiB = Math.floor(size.memoryGiB * 1024 * PLANNED_MEMORY_SHARE);
  return Math.min(
    Math.floor(memoryMiB / task.memoryMiB),
    Math.floor((size.vcpus * CPU_UNITS_PER_VCPU) / task.cpu),
  );
}

/**
 * Tasks that run at the same time during a deployment at maxTasks. Blue/green and canary start a full green
 * revision beside blue and keep both through the bake (AWS, "Amazon ECS blue/green deployments"); rolling starts
 * up to maxPercent of the desired count, rounded down (AWS, "Deploy Amazon ECS services by replacing tasks",
 * maximumPercent).
 */
export function peakTasksDuringDeployment(
  deployment: Pick<DeploymentConfig, 'strategy' | 'maxPercent'>,
  maxTasks: number,
): number {
  if (deployment.strategy === 'rolling') return Math.floor((maxTasks * deployment.maxPercent) / 100);
  return 2 * maxTasks;
}

/** One service's tasks at its deployment peak. */
export interface PeakTasks {
  readonly tasks: number;
  readonly task: { readonly cpu: number; readonly memoryMiB: number };
}

/**
 * Instances that hold every service's peak at once: the tasks placed first-fit, largest memory first, on
 * instances of `size` (the planned memory share, every CPU unit). For one service this is
 * ceil(tasks / tasksPerInstance). ECS spreads and packs by its own strategies, so this is the room the
 * cluster must be able to grow to, not a placement plan.
 */
export function instancesToHold(size: InstanceSize, services: readonly PeakTasks[]): number {
  const capacity = {
    cpu: size.vcpus * CPU_UNITS_PER_VCPU,
    memoryMiB: Math.floor(size.memoryGiB * 1024 * PLANNED_MEMORY_SHARE),
  };
  const tasks = services
    .flatMap((s) => Array.from({ length: s.tasks }, () => s.task))
    .sort((a, b) => b.memoryMiB - a.memoryMiB || b.cpu - a.cpu);
  const instances: { cpu: number; memoryMiB: number }[] = [];
  for (const task of tasks) {
    const room = instances.find((i) => i.cpu >= task.cpu && i.memoryMiB >= task.memoryMiB);
    const target = room ?? instances[instances.push({ ...capacity }) - 1]!;
    target.cpu -= task.cpu;
    target.memoryMiB -= task.memoryMiB;
  }
  return instances.length;
}
