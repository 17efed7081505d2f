/**
 * The services the templates run, read back from what CloudFormation will create: each ECS service, its
 * application container (named after the service), its task size and task counts, and for a web service the
 * listener rule and target groups that route to it. The plan prints, prices and draws these, so what it
 * says is what the stacks build, not what the config hoped for.
 */
import {
  allResources,
  asArray,
  asRecord,
  follow,
  type LocatedResource,
  prop,
  referencedId,
  resolveNumber,
  resolveString,
  resourcesOfType,
  type StackTemplate,
} from './template.js';

/** Which requests a web service gets: a listener rule's conditions, or the listener's default action. */
export interface PlannedRoute {
  /** Path patterns of the rule (`/api/*`); empty for the listener's default action. */
  readonly paths: readonly string[];
  /** Host header values of the rule; empty when any host matches. */
  readonly hosts: readonly string[];
  /** The rule's priority; undefined for the listener's default action (evaluated after every rule). */
  readonly priority?: number;
}

export interface PlannedService {
  /** The application container's name: the service's name in berth.config.ts. */
  readonly name: string;
  readonly kind: 'web' | 'worker';
  /** CPU units and MiB of one task, every container included (the collector sidecar too). */
  readonly taskCpu?: number;
  readonly taskMemoryMiB?: number;
  readonly minTasks?: number;
  readonly maxTasks?: number;
  /** Web only: the container port the load balancer forwards to. */
  readonly port?: number;
  /** Web only: its target groups (two with blue/green or canary: production and alternate). */
  readonly targetGroups: number;
  /** Web only: how requests reach it (one entry per listener that routes to it). */
  readonly routes: readonly PlannedRoute[];
  /** Its container is given the environment's database credentials (PGHOST, PGPASSWORD, … as ECS secrets). */
  readonly database: boolean;
  /** The logical id of the log group its application container writes to (awslogs), when in the same stack. */
  readonly logGroup?: string;
}

/** A planned service with the resources the cost estimate attaches its lines to. */
export interface LocatedService {
  readonly service: PlannedService;
  readonly resource: LocatedResource;
  readonly logGroup?: LocatedResource;
}

const num = (r: LocatedResource, value: unknown) => {
  const n = resolveNumber(value, r.stack.template);
  return typeof n === 'number' ? n : undefined;
};

const sum = (values: ReadonlyArray<number | undefined>) =>
  values.length === 0 || values.some((v) => v === undefined)
    ? undefined
    : values.reduce<number>((a, v) => a + (v ?? 0), 0);

/**
 * One task's CPU and memory: the task-level values when set, else the sum over its containers (bridge mode on
 * EC2 sizes containers, not tasks). A container without `cpu` reserves no CPU units on the instance (AWS,
 * "Amazon ECS task definition parameters", `cpu`: on the EC2 launch type the field is optional and only what
 * is specified is reserved); memory is the hard limit or, without one, the reservation.
 */
export function taskSize(task: LocatedResource | undefined): { cpu?: number; memoryMiB?: number } {
  if (!task) return {};
  const containers = asArray(prop(task, 'ContainerDefinitions')).map(asRecord);
  const cpu =
    num(task, prop(task, 'Cpu')) ?? sum(containers.map((c) => (c.Cpu === undefined ? 0 : num(task, c.Cpu))));
  const memoryMiB =
    num(task, prop(task, 'Memory')) ??
    sum(containers.map((c) => num(task, c.Memory) ?? num(task, c.MemoryReservation)));
  return { ...(cpu === undefined ? {} : { cpu }), ...(memoryMiB === undefined ? {} : { memoryMiB }) };
}

/** The scalable target whose resource id names this ECS service (`service/<cluster>/<service name>`). */
function scalableTargetOf(stacks: readonly StackTemplate[], service: LocatedResource) {
  return resourcesOfType(stacks, 'AWS::ApplicationAutoScaling::ScalableTarget').find(
    (t) =>
      t.stack === service.stack &&
      prop(t, 'ScalableDimension') === 'ecs:service:DesiredCount' &&
      JSON.stringify(prop(t, 'ResourceId') ?? '').includes(`"${service.logicalId}"`),
  );
}

/** The target groups an action forwards to: `TargetGroupArn`, or each group of a weighted `ForwardConfig`. */
function forwardedGroups(action: Record<string, unknown>): string[] {
  const single = referencedId(action.TargetGroupArn);
  const weighted = asArray(asRecord(action.ForwardConfig).TargetGroups).map((g) =>
    referencedId(asRecord(g).TargetGroupArn),
  );
  return [single, ...weighted].filter((id): id is string => id !== undefined);
}

function conditionValues(conditions: unknown, field: string, config: string): string[] {
  return asArray(conditions)
    .map(asRecord)
    .filter((c) => c.Field === field)
    .flatMap((c) => asArray(asRecord(c[config]).Values ?? c.Values))
    .filter((v): v is string => typeof v === 'string');
}

function routesTo(service: LocatedResource, groups: ReadonlySet<string>): PlannedRoute[] {
  const inStack = allResources([service.stack]);
  const routes: PlannedRoute[] = [];
  for (const r of inStack) {
    if (r.resource.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule') {
      const actions = asArray(prop(r, 'Actions')).map(asRecord);
      if (!actions.some((a) => forwardedGroups(a).some((g) => groups.has(g)))) continue;
      const conditions = prop(r, 'Conditions');
      const priority = num(r, prop(r, 'Priority'));
      routes.push({
        paths: conditionValues(conditions, 'path-pattern', 'PathPatternConfig'),
        hosts: conditionValues(conditions, 'host-header', 'HostHeaderConfig'),
        ...(priority === undefined ? {} : { priority }),
      });
    } else if (r.resource.Type === 'AWS::ElasticLoadBalancingV2::Listener') {
      const actions = asArray(prop(r, 'DefaultActions')).map(asRecord);
      if (actions.some((a) => forwardedGroups(a).some((g) => groups.has(g)))) {
        routes.push({ paths: [], hosts: [] });
      }
    }
  }
  // The same rule on the HTTP and HTTPS listeners reads as one route.
  const seen = new Set<string>();
  return routes.filter((route) => {
    const key = JSON.stringify(route);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every ECS service in the templates, in template order. */
export function plannedServices(stacks: readonly StackTemplate[]): PlannedService[] {
  return locateServices(stacks).map((s) => s.service);
}

export function locateServices(stacks: readonly StackTemplate[]): LocatedService[] {
  return resourcesOfType(stacks, 'AWS::ECS::Service').map((service): LocatedService => {
    const task = follow(service, prop(service, 'TaskDefinition'));
    const containers = asArray(task && prop(task, 'ContainerDefinitions')).map(asRecord);
    const loadBalancers = asArray(prop(service, 'LoadBalancers')).map(asRecord);
    const balancedName = loadBalancers
      .map((lb) => resolveString(lb.ContainerName, service.stack.template))
      .find((n): n is string => typeof n === 'string');
    // CDK lists the application container first; sidecars (the trace collector) come after it.
    const container = containers.find((c) => c.Name === balancedName) ?? containers[0] ?? {};
    const name = typeof container.Name === 'string' ? container.Name : (balancedName ?? service.logicalId);
    const groups = new Set(
      loadBalancers.flatMap((lb) =>
        [lb.TargetGroupArn, asRecord(lb.AdvancedConfiguration).AlternateTargetGroupArn]
          .map(referencedId)
          .filter((id): id is string => id !== undefined),
      ),
    );
    const scalable = scalableTargetOf(stacks, service);
    const desired = num(service, prop(service, 'DesiredCount'));
    const minTasks = (scalable && num(scalable, prop(scalable, 'MinCapacity'))) ?? desired;
    const maxTasks = (scalable && num(scalable, prop(scalable, 'MaxCapacity'))) ?? desired;
    const options = asRecord(asRecord(container.LogConfiguration).Options);
    const logGroup = task && follow(task, options['awslogs-group']);
    const port = loadBalancers.map((lb) => num(service, lb.ContainerPort)).find((p) => p !== undefined);
    const size = taskSize(task);
    const injected = [...asArray(container.Secrets), ...asArray(container.Environment)].map(
      (v) => asRecord(v).Name,
    );
    const planned: PlannedService = {
      name,
      kind: loadBalancers.length > 0 ? 'web' : 'worker',
      ...(size.cpu === undefined ? {} : { taskCpu: size.cpu }),
      ...(size.memoryMiB === undefined ? {} : { taskMemoryMiB: size.memoryMiB }),
      ...(minTasks === undefined ? {} : { minTasks }),
      ...(maxTasks === undefined ? {} : { maxTasks }),
      ...(port === undefined ? {} : { port }),
      database: injected.includes('PGHOST'),
      targetGroups: groups.size,
      routes: routesTo(service, groups),
      ...(logGroup ? { logGroup: logGroup.logicalId } : {}),
    };
    return { service: planned, resource: service, ...(logGroup ? { logGroup } : {}) };
  });
}

/** `admin.example.org /admin/*`, `/*`, or `default action` (what the listener does when no rule matches). */
export function describeRoute(route: PlannedRoute): string {
  if (route.paths.length === 0 && route.hosts.length === 0) {
    return route.priority === undefined ? 'every request (listener default)' : `any (rule ${route.priority})`;
  }
  const where = [...route.hosts, route.paths.join(' ') || '/*'].join(' ');
  return route.priority === undefined ? where : `${where} (rule ${route.priority})`;
}
