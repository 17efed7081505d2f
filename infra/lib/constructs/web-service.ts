/**
 * One web service behind the environment's shared load balancer (load-balancer.ts): its target group(s), its
 * listener rule (path and host conditions, priority), an ECS service on EC2 (bridge mode, dynamic host ports)
 * with rolling, blue/green or canary deployments that roll back on alarms (deployment-alarms.ts), and its
 * scaling (web-service-scaling.ts).
 */
import { Duration, Tags, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvName, ServiceConfig, TracingConfig } from '../../config/environments.js';
import { isImageReference } from '../image.js';
import { PLACEHOLDER_IMAGE } from '../naming.js';
import type { ExecSetup } from './cluster.js';
import { createDeploymentAlarms } from './deployment-alarms.js';
import type { LoadBalancer } from './load-balancer.js';
import { createServiceLogGroup, createServiceTask, validateLogRetention } from './service-task.js';
import { scaleWebService } from './web-service-scaling.js';

export { EPHEMERAL_PORTS } from './load-balancer.js';

const MAX_STOP_TIMEOUT_SECONDS = 30;
const NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** The path pattern that matches every request; with no host it makes a service the catch-all. */
export const CATCH_ALL_PATH = '/*';
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Traffic shares of the production listener rule, as ALB weights (0-999 each). */
export interface ProductionWeights {
  /** Weight of `targetGroup`. */
  readonly primary: number;
  /** Weight of `alternateTargetGroup`. */
  readonly alternate: number;
}

/** Where the ECS Exec agent writes inside the container: its binaries' state, its data and its logs. */
const EXEC_AGENT_PATHS = [
  ['exec-managed-agents', '/managed-agents'],
  ['exec-ssm-data', '/var/lib/amazon/ssm'],
  ['exec-ssm-logs', '/var/log/amazon/ssm'],
] as const;

/** Which requests the load balancer sends to the service. */
export interface WebServiceRoute {
  /** ALB path pattern, e.g. `/api/*`. */
  readonly path: string;
  /** @default - any host */
  readonly host?: string;
  /** The listener rule's priority (1 to 50000, lower first); unique on the listener. */
  readonly priority: number;
}

export interface WebServiceProps {
  readonly envName: EnvName;
  /** The service's name: its container name and log stream prefix (lower case, digits, dashes). */
  readonly name: string;
  /** The environment's shared load balancer: the service adds its rule to its production listener. */
  readonly loadBalancer: LoadBalancer;
  /**
   * Its requests. The catch-all (path `/*`, no host) also takes the listener's default action.
   * @default - the catch-all at priority 50000
   */
  readonly route?: WebServiceRoute;
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly capacityProvider: ecs.AsgCapacityProvider;
  /**
   * The ECR repository `image` is in; the execution role may pull from it.
   * @default - `image` is a full reference pulled from a public registry
   */
  readonly repository?: ecr.IRepository;
  /**
   * In `repository`: a `sha256:<64 hex>` digest, a tag, or PLACEHOLDER_IMAGE (synth-only; `berth deploy` refuses
   * it). Without a repository: a full image reference such as `nginx:1.27`.
   */
  readonly image: string;
  /** @default - the image's CMD */
  readonly command?: string[];
  /**
   * RDS-generated JSON secret with username, password, host, port, dbname. Admit the instances to the database.
   * @default - no database credentials
   */
  readonly databaseSecret?: secretsmanager.ISecret;
  /** The user's plain settings, after Berth's own. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** The user's secrets, as ECS secrets; the execution role may read exactly these. @default - none */
  readonly secrets?: Readonly<Record<string, ecs.Secret>>;
  readonly service: ServiceConfig;
  readonly logRetentionDays: number;
  /** The ADOT collector sidecar and X-Ray permissions (tracing-sidecar.ts). @default - tracing off */
  readonly tracing?: TracingConfig;
  /**
   * Blue/green and canary: the weights the production rule carries right now. ECS moves them on every deploy,
   * so the template renders what is live (`berth deploy` reads it from the running rule) and a template update
   * never sends traffic back to a group ECS has emptied.
   * @default - primary 100, alternate 0: right for a first deploy only
   */
  readonly productionWeights?: ProductionWeights;
  /**
   * Target 5xx responses per minute that fail a deployment (alarm → rollback).
   * @default 10
   */
  readonly deploymentMax5xxPerMinute?: number;
  /**
   * ECS Exec: the cluster's session key and log group. Turns `enableExecuteCommand` on and grants the task role
   * what the in-task Session Manager agent needs, nothing more.
   * @default - exec off: no permission, no agent
   */
  readonly exec?: ExecSetup;
}

export class WebService extends Construct {
  /** The shared load balancer the service is behind. */
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The listener that serves production traffic (443 with a certificate, else 80). */
  readonly listener: elbv2.ApplicationListener;
  /** The primary (blue) target group; what rolling deployments and the scaling policy use. */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The green target group, present for blue-green and canary. */
  readonly alternateTargetGroup?: elbv2.ApplicationTargetGroup;
  /** Blue/green and canary: the rule on the production listener whose weights ECS shifts. */
  readonly productionRule?: elbv2.ApplicationListenerRule;
  /** Rolling and not the catch-all: the rule forwarding its requests to `targetGroup`. */
  readonly listenerRule?: elbv2.ApplicationListenerRule;
  readonly route: WebServiceRoute;
  /** Path `/*` with no host: requests no other rule takes. */
  readonly catchAll: boolean;
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  readonly service: ecs.Ec2Service;
  readonly logGroup: logs.LogGroup;
  /** Alarms watched during each deployment; any of them firing rolls the deployment back. */
  readonly deploymentAlarms: cloudwatch.Alarm[];
  /** Where it answers: `http(s)://<host>` for a host route, else the load balancer's URL with the path's prefix. */
  readonly url: string;
  private readonly containerName: string;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    validateWebServiceProps(props);
    const cfg = props.service;
    const max5xx = props.deploymentMax5xxPerMinute ?? 10;
    this.route = props.route ?? { path: CATCH_ALL_PATH, priority: 50000 };
    this.catchAll = this.route.path === CATCH_ALL_PATH && this.route.host === undefined;
    this.containerName = props.name;
    this.loadBalancer = props.loadBalancer.loadBalancer;
    this.listener = props.loadBalancer.listener;

    this.targetGroup = this.createTargetGroup('TargetGroup', props);
    if (this.catchAll) props.loadBalancer.forwardByDefault(this.targetGroup);

    this.logGroup = createServiceLogGroup(this, props.logRetentionDays);

    this.taskDefinition = this.createTaskDefinition(props);
    const strategy = cfg.deployment.strategy;
    const progressive = strategy !== 'rolling';
    // Blue/green swaps which group is live on every deploy, so nothing below may assume it is targetGroup.
    if (progressive) {
      this.alternateTargetGroup = this.createTargetGroup('AlternateTargetGroup', props);
      this.productionRule = this.createProductionRule(
        this.alternateTargetGroup,
        props.productionWeights ?? { primary: 100, alternate: 0 },
      );
    } else if (!this.catchAll) {
      this.listenerRule = new elbv2.ApplicationListenerRule(this, 'ListenerRule', {
        listener: this.listener,
        priority: this.route.priority,
        conditions: this.conditions(),
        action: elbv2.ListenerAction.forward([this.targetGroup]),
      });
    }
    const groups = [this.targetGroup, ...(this.alternateTargetGroup ? [this.alternateTargetGroup] : [])];
    this.deploymentAlarms = createDeploymentAlarms(this, {
      loadBalancerFullName: this.loadBalancer.loadBalancerFullName,
      targetGroupFullNames: groups.map((group) => group.targetGroupFullName),
      max5xxPerMinute: max5xx,
    });
    this.service = new ecs.Ec2Service(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      // desiredCount stays unset: with @aws-cdk/aws-ecs:removeDefaultDesiredCount the template omits it,
      // so a redeploy never resets the count the autoscaler chose.
      capacityProviderStrategies: [
        { capacityProvider: props.capacityProvider.capacityProviderName, weight: 1 },
      ],
      placementStrategies: [
        ecs.PlacementStrategy.spreadAcross(ecs.BuiltInAttributes.AVAILABILITY_ZONE),
        ecs.PlacementStrategy.packedByMemory(),
      ],
      minHealthyPercent: cfg.deployment.minHealthyPercent,
      maxHealthyPercent: cfg.deployment.maxPercent,
      circuitBreaker: { enable: true, rollback: true },
      deploymentAlarms: {
        alarmNames: this.deploymentAlarms.map((alarm) => alarm.alarmName),
        behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
      },
      healthCheckGracePeriod: Duration.seconds(cfg.healthCheckGracePeriodSeconds),
      // Set below on the CloudFormation resource when exec is on (see grantExec).
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      deploymentStrategy: {
        rolling: ecs.DeploymentStrategy.ROLLING,
        'blue-green': ecs.DeploymentStrategy.BLUE_GREEN,
        canary: ecs.DeploymentStrategy.CANARY,
      }[strategy],
      bakeTime: progressive ? Duration.minutes(cfg.deployment.bakeTimeMinutes) : undefined,
      canaryConfiguration:
        strategy === 'canary'
          ? {
              stepPercent: cfg.deployment.canaryPercent,
              stepBakeTime: Duration.minutes(cfg.deployment.bakeTimeMinutes),
            }
          : undefined,
    });
    if (props.exec) this.grantExec(props.exec);
    // Placement must wait for the capacity provider, not race it on a first deploy.
    this.service.node.addDependency(props.capacityProvider);
    // The cluster's capacity-provider association is created by an aspect inside the cluster construct at
    // synth, so depend on the construct: then CloudFormation deletes the service before the association, and
    // never both at once ("The specified capacity provider is in use", DELETE_FAILED).
    this.service.node.addDependency(props.cluster);

    if (this.alternateTargetGroup && this.productionRule) {
      this.attachBlueGreen(props, this.alternateTargetGroup, this.productionRule);
    } else {
      this.service.attachToApplicationTargetGroup(this.targetGroup);
    }

    scaleWebService(this.service, {
      cluster: props.cluster,
      loadBalancerFullName: this.loadBalancer.loadBalancerFullName,
      targetGroups: groups,
      minTasks: cfg.minTasks,
      maxTasks: cfg.maxTasks,
      cpuPercent: cfg.scaling.cpuPercent,
      memoryPercent: cfg.scaling.memoryPercent,
      requestsPerTarget: cfg.scaling.requestsPerTarget,
    });

    Tags.of(this).add('berth:env', props.envName);
    this.url = this.route.host
      ? `${props.loadBalancer.url.split('://')[0]}://${this.route.host}`
      : `${props.loadBalancer.url}${pathPrefix(this.route.path)}`;
  }

  /** The rule's conditions: the path pattern, and the host when one is given. */
  private conditions(): elbv2.ListenerCondition[] {
    return [
      ...(this.route.host === undefined ? [] : [elbv2.ListenerCondition.hostHeaders([this.route.host])]),
      elbv2.ListenerCondition.pathPatterns([this.route.path]),
    ];
  }

  /**
   * ECS Exec on, with the task role statements AWS documents (ECS Developer Guide, "Task IAM role": "ECS Exec
   * permissions", and "Monitor Amazon ECS containers with ECS Exec": "Logging and Auditing using ECS Exec",
   * "Encrypting ECS Exec data using your own KMS key"). The L2's `enableExecuteCommand: true` would add its own,
   * wider set (kms:GenerateDataKey for the task, kms:* in the key policy), so the flag is set on the resource.
   */
  private grantExec(exec: ExecSetup): void {
    (this.service.node.defaultChild as ecs.CfnService).enableExecuteCommand = true;
    const task = this.taskDefinition;
    task.addToTaskRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        resources: ['*'],
      }),
    );
    task.addToTaskRolePolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [exec.key.keyArn] }),
    );
    task.addToTaskRolePolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: [`${exec.logGroup.logGroupArn}`],
      }),
    );
    // With cloudWatchEncryptionEnabled the agent checks the group is encrypted before it sends anything.
    task.addToTaskRolePolicy(
      new iam.PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: ['*'] }),
    );
    Validations.of(task.taskRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'ECS Exec: the ssmmessages channel actions and logs:DescribeLogGroups support only Resource "*" ' +
        '(Service Authorization Reference); the key and the session log group are named exactly.',
    });
    // The root filesystem stays read-only: the agent ECS bind-mounts for exec writes only under these paths
    // (aws/containers-roadmap#1359, amazon-ecs-exec-checker#21: a read-only root otherwise stops the agent),
    // so each gets a task-scoped writable volume, as /tmp does.
    for (const [name, containerPath] of EXEC_AGENT_PATHS) {
      task.addVolume({ name });
      task.defaultContainer?.addMountPoints({ containerPath, sourceVolume: name, readOnly: false });
    }
  }

  private createTargetGroup(id: string, props: WebServiceProps): elbv2.ApplicationTargetGroup {
    const cfg = props.service;
    const hc = cfg.healthCheck;
    return new elbv2.ApplicationTargetGroup(this, id, {
      vpc: props.vpc,
      protocol: elbv2.ApplicationProtocol.HTTP,
      // ECS registers each task with its dynamic host port; this port is only the group's default.
      port: cfg.containerPort,
      targetType: elbv2.TargetType.INSTANCE,
      deregistrationDelay: Duration.seconds(cfg.deregistrationDelaySeconds),
      healthCheck: {
        path: hc.path,
        interval: Duration.seconds(hc.intervalSeconds),
        timeout: Duration.seconds(hc.timeoutSeconds),
        healthyThresholdCount: hc.healthyThreshold,
        unhealthyThresholdCount: hc.unhealthyThreshold,
        healthyHttpCodes: '200',
      },
    });
  }

  private createTaskDefinition(props: WebServiceProps): ecs.Ec2TaskDefinition {
    const cfg = props.service;
    const port = cfg.containerPort;
    return createServiceTask(this, 'TaskDefinition', {
      networkMode: ecs.NetworkMode.BRIDGE,
      containerName: props.name,
      streamPrefix: props.name,
      repository: props.repository,
      image: props.image,
      cpu: cfg.cpu,
      memoryMiB: cfg.memoryMiB,
      logGroup: this.logGroup,
      stopTimeout: Duration.seconds(cfg.stopTimeoutSeconds),
      databaseSecret: props.databaseSecret,
      environment: {
        PORT: String(port),
        SHUTDOWN_DRAIN_SECONDS: String(cfg.drainSeconds),
        LOG_LEVEL: 'info',
        ...props.environment,
      },
      secrets: props.secrets,
      tracing: props.tracing?.enabled ? { sampleRatio: props.tracing.sampleRatio } : undefined,
      container: {
        ...(props.command ? { command: props.command } : {}),
        portMappings: [{ containerPort: port, hostPort: 0, protocol: ecs.Protocol.TCP }],
        // Lets the non-root user bind port 80 inside its own network namespace, with no capabilities.
        systemControls: [{ namespace: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
        healthCheck: {
          // The image has node but no curl.
          command: [
            'CMD',
            'node',
            '-e',
            `fetch('http://127.0.0.1:${port}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
          ],
          interval: Duration.seconds(10),
          timeout: Duration.seconds(5),
          retries: 3,
          startPeriod: Duration.seconds(Math.min(300, Math.max(10, cfg.healthCheckGracePeriodSeconds))),
        },
      },
    }).taskDefinition;
  }

  /**
   * ECS native blue/green (also carries canary): ECS registers the new revision in the alternate target group,
   * then shifts the production rule's weights. ECS only shifts traffic on a listener rule, so production traffic
   * goes through one catching every path. Its weights are whatever is live (see `productionWeights`): CloudFormation
   * sends the whole action whenever the rule changes (e.g. it moves to the HTTPS listener), and weights pinned to
   * 100/0 would then send every request to the group ECS emptied after the last swap.
   */
  private createProductionRule(
    alternate: elbv2.ApplicationTargetGroup,
    weights: ProductionWeights,
  ): elbv2.ApplicationListenerRule {
    return new elbv2.ApplicationListenerRule(this, 'ProductionRule', {
      listener: this.listener,
      priority: this.route.priority,
      conditions: this.conditions(),
      action: elbv2.ListenerAction.weightedForward([
        { targetGroup: this.targetGroup, weight: weights.primary },
        { targetGroup: alternate, weight: weights.alternate },
      ]),
    });
  }

  private attachBlueGreen(
    props: WebServiceProps,
    alternate: elbv2.ApplicationTargetGroup,
    productionRule: elbv2.ApplicationListenerRule,
  ): void {
    const role = new iam.Role(this, 'TrafficShiftRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: 'Lets ECS shift the ALB traffic of this service between its blue and green target groups',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonECSInfrastructureRolePolicyForLoadBalancers'),
      ],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]',
      reason:
        'AWS documents this managed policy for the ECS blue/green infrastructure role and updates it when ECS calls new ' +
        'ELB actions; a hand-trimmed copy would fail a deploy midway the day ECS needs one more action.',
    });

    this.service
      .loadBalancerTarget({
        containerName: this.containerName,
        containerPort: props.service.containerPort,
        alternateTarget: new ecs.AlternateTarget('AlternateTarget', {
          alternateTargetGroup: alternate,
          productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(productionRule),
          role,
        }),
      })
      .attachToApplicationTargetGroup(this.targetGroup);
  }
}

/** Throws with the field, the value and what to change, before any resource is created. */
export function validateWebServiceProps(props: WebServiceProps): void {
  const s = props.service;
  if (!NAME.test(props.name)) {
    throw new Error(
      `web service name "${props.name}" must be lower-case letters, digits and dashes, starting with a letter`,
    );
  }
  const priority = props.route?.priority;
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 1 || priority > 50000)) {
    throw new Error(`route.priority (${priority}) must be an integer from 1 to 50000`);
  }
  const image = props.image;
  if (props.repository === undefined) {
    if (!Token.isUnresolved(image) && !isImageReference(image)) {
      throw new Error(
        `image "${image}" is not an image reference such as nginx:1.27 or <registry>/<name>@sha256:<64 hex>`,
      );
    }
  } else if (
    !Token.isUnresolved(image) &&
    image !== PLACEHOLDER_IMAGE &&
    !DIGEST.test(image) &&
    !TAG.test(image)
  ) {
    throw new Error(
      `image "${image}" is neither a digest (sha256: followed by 64 lowercase hex characters) nor an image tag; ` +
        'pass the digest `berth build` printed',
    );
  }
  if (s.stopTimeoutSeconds > MAX_STOP_TIMEOUT_SECONDS || s.stopTimeoutSeconds < 2) {
    throw new Error(
      `service.stopTimeoutSeconds (${s.stopTimeoutSeconds}) must be from 2 to ${MAX_STOP_TIMEOUT_SECONDS}: ` +
        'ECS on EC2 SIGKILLs after this, and Berth promises shutdown within 30 s',
    );
  }
  if (s.drainSeconds >= s.stopTimeoutSeconds) {
    throw new Error(
      `service.drainSeconds (${s.drainSeconds}) must be < stopTimeoutSeconds (${s.stopTimeoutSeconds}) ` +
        'so the task exits before it is killed',
    );
  }
  if (s.minTasks > s.maxTasks) {
    throw new Error(`service.minTasks (${s.minTasks}) must be <= service.maxTasks (${s.maxTasks})`);
  }
  if (props.envName === 'prod' && s.minTasks < 2) {
    throw new Error(
      `service.minTasks (${s.minTasks}) must be >= 2 in prod so one AZ can fail without an outage`,
    );
  }
  if (s.containerPort !== 80 && s.containerPort < 1024) {
    // Only 80 is covered by the image's non-root setup; other privileged ports are a mistake.
    throw new Error(`service.containerPort (${s.containerPort}) must be 80 or >= 1024`);
  }
  const w = props.productionWeights;
  if (w !== undefined) {
    const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= 999;
    if (!ok(w.primary) || !ok(w.alternate) || w.primary + w.alternate === 0) {
      throw new Error(
        `productionWeights (${w.primary}/${w.alternate}) must be two ALB weights from 0 to 999, not both 0`,
      );
    }
  }
  const d = s.deployment;
  if (d.strategy === 'canary' && (d.canaryPercent < 0.1 || d.canaryPercent > 100)) {
    throw new Error(`service.deployment.canaryPercent (${d.canaryPercent}) must be from 0.1 to 100`);
  }
  if (props.logRetentionDays !== undefined) validateLogRetention(props.logRetentionDays);
}

/** `/api/*` → `/api`; `/*` → `` (the URL of the service's part of the site). */
export function pathPrefix(path: string): string {
  const literal = path.split(/[*?]/)[0] ?? '';
  return literal.endsWith('/') ? literal.slice(0, -1) : literal;
}
