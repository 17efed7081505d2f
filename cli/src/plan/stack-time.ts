/**
 * How long `berth deploy` takes end to end, modelled from the stacks' resources (#10 item 14): a first
 * create (slow resources such as a Multi-AZ database and NAT gateways), an update (synths, one change
 * set per stack, the ECS deployment with its bake) and a rollback (a redeploy of the previous digest:
 * a full ECS deployment, bake included). `berth deploy` bases its default --timeout on these figures.
 *
 * AWS publishes no creation times for most resources; every figure below says where it comes from, and
 * "engineering estimate" means observed-typical values rounded up, not an AWS promise.
 */
import { deployInputsFromTemplates, estimateEcsDeployment } from './deploy-time.js';
import { resolveBoolean, type StackTemplate } from './template.js';

/** Minutes CloudFormation spends creating one resource of a type, when it is more than seconds. */
export const CREATE_MINUTES = {
  /**
   * Engineering estimate: a single-AZ db.t4g instance typically reaches "available" in 8–12 min; the
   * #10 review measured ~15–20 min for Multi-AZ, which also creates and syncs a standby in a second AZ
   * ("Multi-AZ DB instance deployments", Amazon RDS User Guide). Upper values, as the timeout needs them.
   */
  rdsSingleAz: 12,
  rdsMultiAz: 20,
  /** Engineering estimate: a NAT gateway moves from pending to available in ~1–3 min; NATs create in parallel. */
  natGateway: 3,
  /** Engineering estimate: an Application Load Balancer is "provisioning" for ~2–3 min before "active". */
  loadBalancer: 3,
  /** Engineering estimate: interface VPC endpoints are "pending" ~2–3 min; they create in parallel. */
  interfaceEndpoint: 3,
  /** Engineering estimate: the first container instance boots, starts the ECS agent and registers (~2–3 min). */
  containerInstance: 3,
} as const;

/** Per-step overheads of the deploy flow itself. */
export const FLOW_SECONDS = {
  /** Measured here: an in-process synth of one environment takes 3–4 s idle; padded for a busy CI runner. */
  synth: 20,
  /**
   * Engineering estimate: create a change set, wait for CREATE_COMPLETE, execute (or find it empty and
   * delete it), then the stack's own stabilisation: ~45 s per stack even when nothing changes.
   */
  changeSetPerStack: 45,
} as const;

/** The deploy flow: Global, then the environment's stacks, each a separate synth (deploy-flow.ts). */
const SYNTHS_PER_DEPLOY = 2;
/** Rollback redeploys only the Service stack with the previous digest (rollback-flow.ts). */
const SYNTHS_PER_ROLLBACK = 1;

export interface StackCreateTime {
  readonly stackName: string;
  readonly minutes: number;
  readonly why: string;
}

export interface DeployTimeEstimate {
  readonly firstCreateMinutes: number;
  readonly updateMinutes: number;
  readonly rollbackMinutes: number;
  /** Per stack, in deploy order: what makes its first create slow. */
  readonly firstCreate: readonly StackCreateTime[];
  readonly updateFormula: string;
  readonly rollbackFormula: string;
  /** 1.5 × the estimate, rounded up to 5 min: the default `--timeout` for each operation. */
  readonly suggestedTimeoutMinutes: {
    readonly firstCreate: number;
    readonly update: number;
    readonly rollback: number;
  };
}

const roundUp = (minutes: number, step = 1) => Math.ceil(minutes / step - 1e-9) * step;
const timeout = (minutes: number) => roundUp(minutes * 1.5, 5);

function slowResources(stack: StackTemplate): { minutes: number; label: string }[] {
  const out: { minutes: number; label: string }[] = [];
  for (const r of Object.values(stack.template.Resources ?? {})) {
    switch (r.Type) {
      case 'AWS::RDS::DBInstance': {
        const multiAz = resolveBoolean(r.Properties?.MultiAZ, stack.template) === true;
        out.push(
          multiAz
            ? { minutes: CREATE_MINUTES.rdsMultiAz, label: 'Multi-AZ RDS' }
            : { minutes: CREATE_MINUTES.rdsSingleAz, label: 'RDS' },
        );
        break;
      }
      case 'AWS::EC2::NatGateway':
        out.push({ minutes: CREATE_MINUTES.natGateway, label: 'NAT gateway' });
        break;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
        out.push({ minutes: CREATE_MINUTES.loadBalancer, label: 'load balancer' });
        break;
      case 'AWS::EC2::VPCEndpoint':
        if (r.Properties?.VpcEndpointType === 'Interface') {
          out.push({ minutes: CREATE_MINUTES.interfaceEndpoint, label: 'interface endpoints' });
        }
        break;
      case 'AWS::AutoScaling::AutoScalingGroup':
        out.push({ minutes: CREATE_MINUTES.containerInstance, label: 'first container instance' });
        break;
    }
  }
  return out;
}

/**
 * A stack's create: its slow resources in parallel (CloudFormation creates independent resources
 * concurrently), then the ECS service, which depends on the listener and the capacity and is complete
 * only once its tasks pass health checks, plus the change-set overhead.
 */
function stackCreate(stack: StackTemplate, serviceSeconds: number): StackCreateTime {
  const slow = slowResources(stack);
  const parallel = Math.max(0, ...slow.map((s) => s.minutes));
  const hasService = Object.values(stack.template.Resources ?? {}).some(
    (r) => r.Type === 'AWS::ECS::Service',
  );
  const overhead = FLOW_SECONDS.changeSetPerStack / 60;
  const minutes = overhead + parallel + (hasService ? serviceSeconds / 60 : 0);
  const slowest = slow.filter((s) => s.minutes === parallel).map((s) => s.label);
  const parts = [
    `change set ${FLOW_SECONDS.changeSetPerStack} s`,
    ...(parallel > 0 ? [`${[...new Set(slowest)].join(', ')} ${parallel} min`] : []),
    ...(hasService ? [`service tasks healthy ${serviceSeconds} s`] : []),
  ];
  return { stackName: stack.stackName, minutes, why: parts.join(' + ') };
}

/**
 * Estimates one region of one environment: `stacks` in deploy order (Global first, as the deploy flow
 * does). Returns minutes, rounded up to whole minutes.
 */
export function estimateDeployTime(stacks: readonly StackTemplate[]): DeployTimeEstimate {
  const inputs = deployInputsFromTemplates(stacks);
  const ecs = inputs ? estimateEcsDeployment(inputs) : undefined;
  // A new service has no old tasks to drain and no bake: its tasks start and pass health checks.
  const serviceCreateSeconds = inputs ? 30 + inputs.healthCheckIntervalSeconds * inputs.healthyThreshold : 0;
  const firstCreate = stacks.map((s) => stackCreate(s, serviceCreateSeconds));
  const synthMinutes = (n: number) => (n * FLOW_SECONDS.synth) / 60;
  const changeSets = (n: number) => (n * FLOW_SECONDS.changeSetPerStack) / 60;
  const ecsMinutes = (ecs?.deploySeconds ?? 0) / 60;

  const firstCreateMinutes = roundUp(
    synthMinutes(SYNTHS_PER_DEPLOY) + firstCreate.reduce((t, s) => t + s.minutes, 0),
  );
  const updateMinutes = roundUp(synthMinutes(SYNTHS_PER_DEPLOY) + changeSets(stacks.length) + ecsMinutes);
  const rollbackMinutes = roundUp(synthMinutes(SYNTHS_PER_ROLLBACK) + changeSets(1) + ecsMinutes);
  const ecsPart = ecs ? `ECS ${ecs.inputs.strategy} deployment ${ecs.deploySeconds} s` : 'no ECS service';
  return {
    firstCreateMinutes,
    updateMinutes,
    rollbackMinutes,
    firstCreate,
    updateFormula:
      `${SYNTHS_PER_DEPLOY} synths × ${FLOW_SECONDS.synth} s + ${stacks.length} change sets × ` +
      `${FLOW_SECONDS.changeSetPerStack} s + ${ecsPart} = ${updateMinutes} min`,
    rollbackFormula:
      `${SYNTHS_PER_ROLLBACK} synth × ${FLOW_SECONDS.synth} s + 1 change set (Service) × ` +
      `${FLOW_SECONDS.changeSetPerStack} s + ${ecsPart} (a full redeploy of the previous digest) = ${rollbackMinutes} min`,
    suggestedTimeoutMinutes: {
      firstCreate: timeout(firstCreateMinutes),
      update: timeout(updateMinutes),
      rollback: timeout(rollbackMinutes),
    },
  };
}

/** The default `berth deploy --timeout`: the suggested first-create or update timeout, in milliseconds. */
export function defaultDeployTimeoutMs(stacks: readonly StackTemplate[], firstCreate: boolean): number {
  const { suggestedTimeoutMinutes: t } = estimateDeployTime(stacks);
  return (firstCreate ? t.firstCreate : t.update) * 60_000;
}
