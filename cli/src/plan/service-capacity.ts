/**
 * How many instances the services need at their minimum task counts. The Auto Scaling group's minimum is
 * what the stacks keep idle; when the services' minimum tasks do not fit in it, ECS managed scaling launches
 * more instances and keeps them, so the real floor is the larger of the two.
 */
import { CPU_UNITS_PER_VCPU, INSTANCE_SIZES, PLANNED_MEMORY_SHARE } from '@berth/infra';
import type { PlannedService } from './services.js';

export interface ServiceCapacity {
  /** CPU units and MiB of every service's minimum tasks together. */
  readonly cpu: number;
  readonly memoryMiB: number;
  /** What one instance offers to tasks (memory: the share we plan with, see PLANNED_MEMORY_SHARE). */
  readonly instanceCpu: number;
  readonly instanceMemoryMiB: number;
  /**
   * At least this many instances: the larger of CPU and memory divided by one instance's (packing can need
   * more when a task leaves a gap no other task fits).
   */
  readonly instancesNeeded: number;
}

/** Undefined when the instance type's size is unknown or a service's size or count cannot be read. */
export function capacityAtMinimum(
  services: readonly PlannedService[],
  instanceType: string | undefined,
): ServiceCapacity | undefined {
  const size = instanceType === undefined ? undefined : INSTANCE_SIZES[instanceType];
  if (!size || services.length === 0) return undefined;
  let cpu = 0;
  let memoryMiB = 0;
  for (const s of services) {
    if (s.taskCpu === undefined || s.taskMemoryMiB === undefined || s.minTasks === undefined)
      return undefined;
    cpu += s.taskCpu * s.minTasks;
    memoryMiB += s.taskMemoryMiB * s.minTasks;
  }
  const instanceCpu = size.vcpus * CPU_UNITS_PER_VCPU;
  const instanceMemoryMiB = Math.floor(size.memoryGiB * 1024 * PLANNED_MEMORY_SHARE);
  return {
    cpu,
    memoryMiB,
    instanceCpu,
    instanceMemoryMiB,
    instancesNeeded: Math.max(1, Math.ceil(cpu / instanceCpu), Math.ceil(memoryMiB / instanceMemoryMiB)),
  };
}
