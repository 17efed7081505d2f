/**
 * A small in-memory model of the AWS state the CLI reads and writes, behind the real SDK clients
 * (aws-sdk-client-mock answers each command from the state, not from canned results). Every
 * behaviour is written from the AWS documentation page cited next to it; a call the model does not
 * know fails the scenario loudly instead of answering `undefined`.
 */
import { createHash } from 'node:crypto';
import {
  CancelUpdateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeImagesCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  type Deployment,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ExecuteCommandCommand,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  type ParameterHistory,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  CONTAINER,
  type EnvName,
  GLOBAL_STACK_ENV,
  IMAGE_CONTEXT_KEY,
  OUTPUTS,
  PRODUCTION_WEIGHTS_CONTEXT_KEY,
  qualifierOf,
} from '@berth/infra';
import { mockClient } from 'aws-sdk-client-mock';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import type { StackDeployer } from '../../src/deploy/stack-deployer.js';
import type { CfnTemplate, StackTemplate } from '../../src/plan/template.js';
import type { FakeClock } from '../fixtures/aws.js';
import { CART, ENVIRONMENTS, GLOBAL, GLOBAL_STACK_NAME } from '../fixtures/cart-config.js';

/** What a deployed image does once it runs, so scenarios can ship good and bad releases. */
export type ImageBehaviour = 'healthy' | 'crashes' | 'breaks-api';

interface ModelStack {
  status: string;
  outputs: Record<string, string>;
  terminationProtection: boolean;
  /** The template CloudFormation last applied. */
  template?: CfnTemplate;
}

interface ModelTarget {
  id: string;
  port: number;
  state: 'healthy' | 'draining';
  /** Clock time at which a draining target is gone. */
  goneAt?: number;
}

/** A task of a service; only the fields ECS Exec looks at. */
interface ModelTask {
  arn: string;
  /** The Docker id of the `web` container, part of the Session Manager target. */
  runtimeId: string;
  /** Fixed when the task starts: the service's setting at that moment. */
  enableExecuteCommand: boolean;
}

/** An ExecuteCommand call as ECS received it. */
export interface ModelExecCall {
  cluster?: string;
  task?: string;
  container?: string;
  command?: string;
  interactive?: boolean;
}

interface ModelService {
  env: EnvName;
  cluster: string;
  name: string;
  desiredCount: number;
  taskDefinition: string;
  deployments: Deployment[];
  /** Live (production) group first; the blue/green alternate second. */
  live: string;
  alternate?: string;
  /** Blue/green: the production listener rule ECS shifts, forwarding to `blue` (the group the stack attached first) and `green`. */
  productionRule?: { arn: string; blue: string; green: string };
  blueGreen: boolean;
  drainMs: number;
  bakeMs: number;
  /** During a blue/green bake: when it ends, and the blue revision that still runs until then. */
  baking?: { until: number; blue: string };
  /** The service's `enableExecuteCommand`, as the template set it. */
  enableExecuteCommand: boolean;
  /** RUNNING tasks; replaced on every deployment (stopped tasks are not modelled). */
  tasks: ModelTask[];
}

/** AWS's error shape as the SDK surfaces it: `name` is the error code. */
function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

const taskId = (arn: string) => arn.split('/').at(-1) ?? arn;

const unmodelled = (client: string) => (input: unknown) => {
  throw new Error(`AWS model: unmodelled ${client} call with ${JSON.stringify(input)}`);
};

export class AwsModel {
  readonly account = GLOBAL.account;
  readonly stacks = new Map<string, ModelStack>();
  readonly parameters = new Map<string, ParameterHistory[]>();
  /** ECR `berth/service`: tag → digest. Exists once the Global stack does. */
  readonly images = new Map<string, string>();
  readonly behaviours = new Map<string, ImageBehaviour>();
  readonly services = new Map<string, ModelService>();
  readonly taskDefinitions = new Map<string, { image: string }>();
  readonly targetGroups = new Map<string, ModelTarget[]>();
  /** Every ECS ExecuteCommand, in order. */
  readonly execCalls: ModelExecCall[] = [];
  /** Every AWS call, `Client.Command`, in order. */
  readonly calls: string[] = [];
  /** The password GetAuthorizationToken hands out; docker login must present it. */
  readonly registryPassword = 'ecr-password-from-token';
  private readonly clients = new Map<string, AwsClients>();
  private sequence = 0;

  constructor(readonly clock: FakeClock) {}

  /**
   * What `cdk bootstrap --qualifier <env's>` leaves behind that deploys check (CDK Developer Guide,
   * "Bootstrapping your environment": the `/cdk-bootstrap/<qualifier>/version` parameter).
   */
  /** Berth-Global as prod's deploy (or an administrator) leaves it: the shared registry, termination-protected. */
  createGlobal(): void {
    this.stacks.set('Berth-Global', {
      status: 'CREATE_COMPLETE',
      outputs: { RepositoryUri: this.repositoryUri() },
      terminationProtection: true,
    });
  }

  bootstrap(region: string, env: EnvName): void {
    this.putParameter(
      region,
      `/cdk-bootstrap/${qualifierOf(CART, env)}/version`,
      '27',
      'CDK bootstrap version',
    );
  }

  stackStatus(name: string): string | undefined {
    return this.stacks.get(name)?.status;
  }

  parameterValues(region: string, name: string): string[] {
    return (this.parameters.get(`${region}|${name}`) ?? []).map((p) => p.Value!);
  }

  registryHost(region: string = GLOBAL.primaryRegion): string {
    return `${this.account}.dkr.ecr.${region}.amazonaws.com`;
  }

  repositoryUri(): string {
    return `${this.registryHost()}/${GLOBAL.repositoryName}`;
  }

  nextId(): number {
    this.sequence += 1;
    return this.sequence;
  }

  /** The service of an env, as the Service stack created it. */
  service(env: EnvName): ModelService | undefined {
    return [...this.services.values()].find((s) => s.env === env);
  }

  /** A running task of a cluster, by ARN or id. */
  findTask(cluster: string | undefined, ref: string): ModelTask | undefined {
    return [...this.services.values()]
      .filter((s) => s.cluster === cluster)
      .flatMap((s) => s.tasks)
      .find((t) => t.arn === ref || taskId(t.arn) === ref);
  }

  runningImage(env: EnvName): string | undefined {
    const service = this.service(env);
    return service ? this.taskDefinitions.get(service.taskDefinition)?.image.split('@')[1] : undefined;
  }

  private putParameter(region: string, name: string, value: string, description?: string): number {
    const key = `${region}|${name}`;
    const versions = this.parameters.get(key) ?? [];
    versions.push({
      Name: name,
      Value: value,
      Version: versions.length + 1,
      Type: 'String',
      LastModifiedDate: new Date(this.clock.now() + versions.length),
      ...(description ? { Description: description } : {}),
    });
    this.parameters.set(key, versions);
    return versions.length;
  }

  /** Real SDK clients for one region, every command answered from this model's state. */
  clientsFor(region: string): AwsClients {
    const existing = this.clients.get(region);
    if (existing) return existing;
    const clients = createAwsClients(region, {
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const log = (name: string) => this.calls.push(name);

    const sts = mockClient(clients.sts);
    sts.onAnyCommand().callsFake(unmodelled('STS'));
    sts.on(GetCallerIdentityCommand).callsFake(() => {
      log('STS.GetCallerIdentity');
      return { Account: this.account, Arn: `arn:aws:sts::${this.account}:assumed-role/berth-admin/dev` };
    });

    const cfn = mockClient(clients.cfn);
    cfn.onAnyCommand().callsFake(unmodelled('CloudFormation'));
    cfn.on(DescribeStacksCommand).callsFake((input: { StackName?: string }) => {
      log('CloudFormation.DescribeStacks');
      const name = input.StackName ?? '';
      const stack = this.stacks.get(name);
      // A deleted or never-created stack is a ValidationError when asked for by name
      // (CloudFormation API Reference, "DescribeStacks").
      if (!stack) throw awsError('ValidationError', `Stack with id ${name} does not exist`);
      return {
        Stacks: [
          {
            StackName: name,
            StackStatus: stack.status,
            CreationTime: new Date(this.clock.now()),
            EnableTerminationProtection: stack.terminationProtection,
            Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({
              OutputKey,
              OutputValue,
            })),
          },
        ],
      };
    });
    cfn.on(DescribeStackResourcesCommand).callsFake((input: { StackName?: string }) => {
      log('CloudFormation.DescribeStackResources');
      if (!this.stacks.has(input.StackName ?? '')) {
        throw awsError('ValidationError', `Stack with id ${input.StackName} does not exist`);
      }
      return { StackResources: [] };
    });
    cfn.on(GetTemplateCommand).callsFake((input: { StackName?: string; TemplateStage?: string }) => {
      log('CloudFormation.GetTemplate');
      const stack = this.stacks.get(input.StackName ?? '');
      // TemplateBody is the template as submitted, a JSON string for a JSON template; an unknown stack
      // is a ValidationError "does not exist" (CloudFormation API Reference, "GetTemplate").
      if (!stack) throw awsError('ValidationError', `Stack with id ${input.StackName} does not exist`);
      return {
        TemplateBody: JSON.stringify(stack.template ?? {}),
        StagesAvailable: ['Original', 'Processed'],
      };
    });
    cfn.on(CancelUpdateStackCommand).callsFake((input: { StackName?: string }) => {
      log('CloudFormation.CancelUpdateStack');
      const stack = this.stacks.get(input.StackName ?? '');
      // "You can cancel only stacks that are in the UPDATE_IN_PROGRESS state"; the stack then rolls
      // back (CloudFormation API Reference, "CancelUpdateStack").
      if (stack?.status !== 'UPDATE_IN_PROGRESS') {
        throw awsError(
          'ValidationError',
          `CancelUpdateStack cannot be called from current stack status ${stack?.status ?? 'DOES_NOT_EXIST'}`,
        );
      }
      stack.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
      return {};
    });

    const ssm = mockClient(clients.ssm);
    ssm.onAnyCommand().callsFake(unmodelled('SSM'));
    ssm.on(GetParameterCommand).callsFake((input: { Name?: string }) => {
      log(`SSM.GetParameter ${input.Name}`);
      const versions = this.parameters.get(`${region}|${input.Name}`);
      // Unknown names answer ParameterNotFound (Systems Manager API Reference, "GetParameter").
      if (!versions) throw awsError('ParameterNotFound', `Parameter ${input.Name} not found.`);
      const { Description: _, ...latest } = versions.at(-1)!;
      return { Parameter: latest };
    });
    ssm
      .on(PutParameterCommand)
      .callsFake(
        (input: {
          Name?: string;
          Value?: string;
          Overwrite?: boolean;
          Description?: string;
          Type?: string;
        }) => {
          log(`SSM.PutParameter ${input.Name}`);
          const exists = this.parameters.has(`${region}|${input.Name}`);
          // Overwriting needs Overwrite: true, else ParameterAlreadyExists; each put adds a version
          // (Systems Manager API Reference, "PutParameter").
          if (exists && !input.Overwrite)
            throw awsError('ParameterAlreadyExists', 'The parameter already exists.');
          if (!input.Name || input.Value === undefined)
            throw awsError('ValidationException', 'Name and Value are required');
          return {
            Version: this.putParameter(region, input.Name, input.Value, input.Description),
            Tier: 'Standard',
          };
        },
      );
    ssm
      .on(GetParameterHistoryCommand)
      .callsFake((input: { Name?: string; MaxResults?: number; NextToken?: string }) => {
        log(`SSM.GetParameterHistory ${input.Name}`);
        const versions = this.parameters.get(`${region}|${input.Name}`);
        if (!versions) throw awsError('ParameterNotFound', `Parameter ${input.Name} not found.`);
        // Oldest first, at most MaxResults (≤ 50) per page with a NextToken (API Reference,
        // "GetParameterHistory"); each version keeps its Description.
        const start = Number(input.NextToken ?? 0);
        const size = Math.min(input.MaxResults ?? 50, 50);
        const page = versions.slice(start, start + size);
        const next = start + size < versions.length ? String(start + size) : undefined;
        return { Parameters: page, ...(next ? { NextToken: next } : {}) };
      });

    const ecr = mockClient(clients.ecr);
    ecr.onAnyCommand().callsFake(unmodelled('ECR'));
    ecr.on(GetAuthorizationTokenCommand).callsFake(() => {
      log('ECR.GetAuthorizationToken');
      // "a base64-encoded string that contains authorization credentials ... user name AWS"
      // (ECR API Reference, "GetAuthorizationToken"; User Guide "Private registry authentication").
      return {
        authorizationData: [
          {
            authorizationToken: Buffer.from(`AWS:${this.registryPassword}`).toString('base64'),
            proxyEndpoint: `https://${this.registryHost(region)}`,
            expiresAt: new Date(this.clock.now() + 12 * 3_600_000),
          },
        ],
      };
    });
    ecr
      .on(DescribeImagesCommand)
      .callsFake(
        (input: { repositoryName?: string; imageIds?: { imageTag?: string; imageDigest?: string }[] }) => {
          log('ECR.DescribeImages');
          if (input.repositoryName !== GLOBAL.repositoryName || !this.stacks.has(GLOBAL_STACK_NAME)) {
            throw awsError(
              'RepositoryNotFoundException',
              `The repository '${input.repositoryName}' does not exist`,
            );
          }
          const tag = input.imageIds?.[0]?.imageTag;
          if (!tag || input.imageIds?.length !== 1)
            throw new Error('AWS model: DescribeImages expects one imageTag');
          const digest = this.images.get(tag);
          // A missing tag is ImageNotFoundException (ECR API Reference, "DescribeImages").
          if (!digest)
            throw awsError(
              'ImageNotFoundException',
              `The image with imageId {imageTag:'${tag}'} does not exist`,
            );
          return {
            imageDetails: [
              {
                repositoryName: GLOBAL.repositoryName,
                imageDigest: digest,
                imageTags: [...this.images].filter(([, d]) => d === digest).map(([t]) => t),
              },
            ],
          };
        },
      );

    const ecs = mockClient(clients.ecs);
    ecs.onAnyCommand().callsFake(unmodelled('ECS'));
    ecs.on(DescribeServicesCommand).callsFake((input: { cluster?: string; services?: string[] }) => {
      log('ECS.DescribeServices');
      const name = input.services?.[0] ?? '';
      const service = this.services.get(`${input.cluster}/${name}`);
      // Unknown services come back as failures with reason MISSING (ECS API Reference, "DescribeServices").
      if (!service) return { services: [], failures: [{ arn: name, reason: 'MISSING' }] };
      const deployments = this.deploymentsOf(service);
      const running = deployments.reduce((n, d) => n + (d.runningCount ?? 0), 0);
      return {
        services: [
          {
            serviceName: service.name,
            clusterArn: `arn:aws:ecs:${region}:${this.account}:cluster/${service.cluster}`,
            status: 'ACTIVE',
            desiredCount: service.desiredCount,
            runningCount: running,
            pendingCount: 0,
            taskDefinition: service.taskDefinition,
            enableExecuteCommand: service.enableExecuteCommand,
            deployments,
            loadBalancers: [
              {
                targetGroupArn: service.live,
                containerName: CONTAINER.name,
                containerPort: 80,
                ...(service.alternate
                  ? { advancedConfiguration: { alternateTargetGroupArn: service.alternate } }
                  : {}),
              },
            ],
            events: [],
          },
        ],
        failures: [],
      };
    });
    ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition?: string }) => {
      log('ECS.DescribeTaskDefinition');
      const td = this.taskDefinitions.get(input.taskDefinition ?? '');
      if (!td) throw awsError('ClientException', 'Unable to describe task definition.');
      return {
        taskDefinition: {
          taskDefinitionArn: input.taskDefinition,
          containerDefinitions: [{ name: CONTAINER.name, image: td.image }],
        },
      };
    });
    ecs
      .on(UpdateServiceCommand)
      .callsFake(
        (input: { cluster?: string; service?: string; desiredCount?: number; taskDefinition?: string }) => {
          log('ECS.UpdateService');
          const service = this.services.get(`${input.cluster}/${input.service}`);
          if (!service) throw awsError('ServiceNotFoundException', 'Service not found.');
          if (input.desiredCount !== undefined) {
            service.desiredCount = input.desiredCount;
            for (const d of service.deployments)
              Object.assign(d, { desiredCount: input.desiredCount, runningCount: input.desiredCount });
          }
          if (input.taskDefinition) this.settle(service, input.taskDefinition);
          return { service: { serviceName: service.name } };
        },
      );
    ecs
      .on(ListTasksCommand)
      .callsFake((input: { cluster?: string; serviceName?: string; desiredStatus?: string }) => {
        log('ECS.ListTasks');
        // desiredStatus defaults to RUNNING; serviceName filters to that service's tasks (ECS API Reference,
        // "ListTasks"). Stopped tasks are not modelled, so a STOPPED listing is empty.
        if ((input.desiredStatus ?? 'RUNNING') !== 'RUNNING') return { taskArns: [] };
        const services = [...this.services.values()].filter(
          (s) =>
            s.cluster === input.cluster && (input.serviceName === undefined || s.name === input.serviceName),
        );
        return { taskArns: services.flatMap((s) => s.tasks.map((t) => t.arn)) };
      });
    ecs.on(DescribeTasksCommand).callsFake((input: { cluster?: string; tasks?: string[] }) => {
      log('ECS.DescribeTasks');
      // Tasks are named by ARN or id; unknown ones come back as failures with reason MISSING (ECS API
      // Reference, "DescribeTasks"). A task launched with exec on runs the ExecuteCommandAgent managed agent
      // in each container (ECS API Reference, "ManagedAgent"; ECS Developer Guide, "Monitor Amazon ECS
      // containers with ECS Exec": exec applies to tasks started after it is turned on).
      const found = (input.tasks ?? []).map((ref) => ({ ref, task: this.findTask(input.cluster, ref) }));
      return {
        tasks: found.flatMap(({ task }) =>
          task
            ? [
                {
                  taskArn: task.arn,
                  clusterArn: `arn:aws:ecs:${region}:${this.account}:cluster/${input.cluster}`,
                  lastStatus: 'RUNNING',
                  desiredStatus: 'RUNNING',
                  enableExecuteCommand: task.enableExecuteCommand,
                  containers: [
                    {
                      name: CONTAINER.name,
                      runtimeId: task.runtimeId,
                      lastStatus: 'RUNNING',
                      managedAgents: task.enableExecuteCommand
                        ? [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }]
                        : [],
                    },
                  ],
                },
              ]
            : [],
        ),
        failures: found.filter(({ task }) => !task).map(({ ref }) => ({ arn: ref, reason: 'MISSING' })),
      };
    });
    ecs.on(ExecuteCommandCommand).callsFake((input: ModelExecCall) => {
      log('ECS.ExecuteCommand');
      this.execCalls.push({ ...input });
      const task = this.findTask(input.cluster, input.task ?? '');
      if (!task) throw awsError('InvalidParameterException', 'The specified task is not found.');
      // Only interactive mode is supported; a task without the agent refuses the session (ECS API Reference,
      // "ExecuteCommand": interactive, and errors InvalidParameterException / TargetNotConnectedException).
      if (input.interactive !== true) {
        throw awsError('InvalidParameterException', 'Interactive is the only mode supported currently.');
      }
      if (!task.enableExecuteCommand) {
        throw awsError(
          'InvalidParameterException',
          'The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running.',
        );
      }
      if (input.container !== CONTAINER.name) {
        throw awsError('InvalidParameterException', `The container ${input.container} is not found.`);
      }
      const sessionId = `ecs-execute-command-${this.nextId()}`;
      // The session the Session Manager plugin opens: its id, the ssmmessages data channel URL and a token
      // (ECS API Reference, "ExecuteCommand" → Session).
      return {
        clusterArn: `arn:aws:ecs:${region}:${this.account}:cluster/${input.cluster}`,
        containerArn: `arn:aws:ecs:${region}:${this.account}:container/${input.cluster}/${taskId(task.arn)}/c1`,
        containerName: CONTAINER.name,
        interactive: true,
        taskArn: task.arn,
        session: {
          sessionId,
          streamUrl: `wss://ssmmessages.${region}.amazonaws.com/v1/data-channel/${sessionId}?role=publish_subscribe`,
          tokenValue: `token-for-${sessionId}`,
        },
      };
    });
    ecs.on(DescribeClustersCommand).callsFake((input: { clusters?: string[] }) => {
      log('ECS.DescribeClusters');
      // Not modelled: capacity providers and their Auto Scaling groups (the cluster reports none,
      // so destroy's capacity release has nothing to do here; capacity.ts has its own tests).
      return {
        clusters: (input.clusters ?? []).map((clusterName) => ({ clusterName, capacityProviders: [] })),
      };
    });

    const elbv2 = mockClient(clients.elbv2);
    elbv2.onAnyCommand().callsFake(unmodelled('ELBv2'));
    elbv2.on(DescribeRulesCommand).callsFake((input: { RuleArns?: string[] }) => {
      log('ELBv2.DescribeRules');
      const arn = input.RuleArns?.[0];
      const service = [...this.services.values()].find((s) => s.productionRule?.arn === arn);
      // An unknown ARN is RuleNotFound (ELBv2 API Reference, "DescribeRules").
      if (!service?.productionRule || input.RuleArns?.length !== 1) {
        throw awsError('RuleNotFound', `One or more rules not found`);
      }
      const { blue, green } = service.productionRule;
      // A weighted forward lists its groups with weights in ForwardConfig.TargetGroups (ELBv2 API
      // Reference, "Action", "ForwardActionConfig"). ECS shifts all production traffic to the new
      // revision's group on each blue/green deploy (ECS Developer Guide, "Amazon ECS blue/green
      // service deployments workflow"), so the live group carries 100 and the other 0.
      const weight = (group: string) => (service.live === group ? 100 : 0);
      return {
        Rules: [
          {
            RuleArn: arn,
            Priority: '1',
            IsDefault: false,
            Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
            Actions: [
              {
                Type: 'forward',
                Order: 1,
                ForwardConfig: {
                  TargetGroups: [
                    { TargetGroupArn: blue, Weight: weight(blue) },
                    { TargetGroupArn: green, Weight: weight(green) },
                  ],
                },
              },
            ],
          },
        ],
      };
    });
    elbv2.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn?: string }) => {
      log('ELBv2.DescribeTargetHealth');
      const targets = this.targetGroups.get(input.TargetGroupArn ?? '');
      if (!targets)
        throw awsError('TargetGroupNotFound', `Target groups '${input.TargetGroupArn}' not found`);
      // A deregistered target stays `draining` for the deregistration delay, then disappears
      // (ELB User Guide for ALBs, "Target groups: Deregistration delay").
      const now = this.clock.now();
      const present = targets.filter((t) => t.goneAt === undefined || t.goneAt > now);
      return {
        TargetHealthDescriptions: present.map((t) => ({
          Target: { Id: t.id, Port: t.port },
          TargetHealth:
            t.state === 'healthy'
              ? { State: 'healthy' }
              : {
                  State: 'draining',
                  Reason: 'Target.DeregistrationInProgress',
                  Description: 'Target deregistration is in progress',
                },
        })),
      };
    });

    const logs = mockClient(clients.logs);
    logs.onAnyCommand().callsFake(unmodelled('CloudWatchLogs'));
    logs.on(GetLogEventsCommand).callsFake(() => {
      throw awsError('ResourceNotFoundException', 'The specified log stream does not exist.');
    });
    const cloudwatch = mockClient(clients.cloudwatch);
    cloudwatch.onAnyCommand().callsFake(unmodelled('CloudWatch'));
    cloudwatch.on(DescribeAlarmsCommand).callsFake(() => ({ MetricAlarms: [] }));
    const autoscaling = mockClient(clients.autoscaling);
    autoscaling.onAnyCommand().callsFake(unmodelled('AutoScaling'));

    this.clients.set(region, clients);
    return clients;
  }

  /**
   * Ends an ECS deployment of `taskDefinition` the way ECS documents it: rolling replaces the old
   * tasks in the same group (ECS Developer Guide, "Deploy Amazon ECS services by replacing tasks");
   * blue/green starts the new revision in the alternate group, shifts production traffic to it and
   * from then on treats it as the production group, so the two roles swap on every deployment
   * (ECS Developer Guide, "Amazon ECS blue/green service deployments workflow"). Old targets drain
   * for the deregistration delay.
   */
  settle(service: ModelService, taskDefinition: string, initial = false): void {
    const now = this.clock.now();
    const newTargets: ModelTarget[] = Array.from({ length: service.desiredCount }, () => ({
      id: `i-0${this.nextId()}`,
      port: 32768 + this.nextId(),
      state: 'healthy',
    }));
    const oldGroup = service.live;
    for (const t of this.targetGroups.get(oldGroup) ?? []) {
      if (t.state === 'healthy') Object.assign(t, { state: 'draining', goneAt: now + service.drainMs });
    }
    // A new service has no blue revision yet: its first tasks register in the production group.
    if (service.blueGreen && service.alternate && !initial) {
      this.targetGroups.set(service.alternate, newTargets);
      [service.live, service.alternate] = [service.alternate, service.live];
      service.baking = { until: now + service.bakeMs, blue: service.taskDefinition };
    } else {
      this.targetGroups.get(oldGroup)!.push(...newTargets);
    }
    service.taskDefinition = taskDefinition;
    // The new revision's tasks replace the old ones and take the service's exec setting as they start.
    service.tasks = newTargets.map(() => {
      const id = createHash('sha256').update(`task-${this.nextId()}`).digest('hex').slice(0, 32);
      return {
        arn: `arn:aws:ecs:eu-west-1:${this.account}:task/${service.cluster}/${id}`,
        runtimeId: `${id}-${this.nextId()}`,
        enableExecuteCommand: service.enableExecuteCommand,
      };
    });
    service.deployments = [
      {
        id: `ecs-svc/${this.nextId()}`,
        status: 'PRIMARY',
        taskDefinition,
        desiredCount: service.desiredCount,
        runningCount: service.desiredCount,
        pendingCount: 0,
        failedTasks: 0,
        rolloutState: 'COMPLETED',
        rolloutStateReason: 'ECS deployment completed.',
      },
    ];
  }

  /**
   * A blue/green deployment stays IN_PROGRESS through the bake time, "the duration when both blue and
   * green service revisions are running simultaneously after the production traffic has shifted"
   * (ECS Developer Guide, "Amazon ECS blue/green deployments"); only then does the blue revision stop.
   */
  private deploymentsOf(service: ModelService): Deployment[] {
    const current = service.deployments.map((d) => ({ ...d }));
    if (!service.baking || this.clock.now() >= service.baking.until) return current;
    return [
      ...current.map((d) => ({
        ...d,
        rolloutState: 'IN_PROGRESS' as const,
        rolloutStateReason: 'ECS deployment in progress: bake time.',
      })),
      {
        id: `ecs-svc/blue-${service.baking.blue}`,
        status: 'ACTIVE',
        taskDefinition: service.baking.blue,
        desiredCount: service.desiredCount,
        runningCount: service.desiredCount,
        pendingCount: 0,
        failedTasks: 0,
        rolloutState: 'COMPLETED',
      },
    ];
  }

  /** A smoke-test client: the load balancer URL answers with what that env's service runs. */
  fetch = async (url: string): Promise<Response> => {
    const env = (['test', 'prod'] as const).find((e) => {
      const base = this.stacks.get(`Berth-${e === 'test' ? 'Test' : 'Prod'}-eu-west-1-Service`)?.outputs[
        OUTPUTS.serviceUrl
      ];
      return base !== undefined && url.startsWith(base);
    });
    const running = env ? this.runningImage(env) : undefined;
    if (!running) throw new TypeError('fetch failed');
    const behaviour = this.behaviours.get(running) ?? 'healthy';
    if (url.endsWith('/readyz')) return new Response('{"status":"ready"}', { status: 200 });
    if (behaviour === 'breaks-api') return new Response('{"error":"internal"}', { status: 500 });
    return new Response('[{"id":"p1","name":"Mug","priceCents":1200}]', {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };

  digestFor(seed: string): string {
    return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
  }
}

const ENV_OF = (stackName: string): EnvName | undefined =>
  stackName.startsWith('Berth-Test-') ? 'test' : stackName.startsWith('Berth-Prod-') ? 'prod' : undefined;

/**
 * The CDK side of a deploy, acting on the model as CloudFormation would: a stack that does not
 * exist (or is REVIEW_IN_PROGRESS) is created, an existing one updated; an ECS service update
 * completes only when the ECS deployment does (CloudFormation waits for the service to stabilize,
 * AWS::ECS::Service "Update requires"/ECS Developer Guide "Deployment circuit breaker"), and a failed
 * one is rolled back with the stack.
 */
export class ModelDeployer implements StackDeployer {
  /** Stack whose next deploy hangs in progress (a slow RDS, a stuck drain) to exercise --timeout. */
  hangOn?: string;
  /** Stack whose next deploy fails with this CloudFormation reason. */
  failNext?: { stack: string; reason: string };
  readonly deployed: { stacks: readonly string[]; image?: unknown; weights?: unknown }[] = [];
  /**
   * The deploying credentials may assume only this qualifier's `cdk-<qualifier>-*` roles, as test's CI
   * role (infra/lib/constructs/ci-access.ts); unset: an administrator, who may assume any.
   */
  assumableQualifier?: string;
  /**
   * The CDK app as synthesized: a stack's template by name (none: an empty template). A scenario
   * edits it to change what the next deploy applies; the change-safety gate synthesizes from it too.
   */
  readonly app = new Map<string, CfnTemplate>();

  constructor(private readonly model: AwsModel) {}

  async deploy(stackNames: readonly string[], context: Record<string, unknown>): Promise<StackTemplate[]> {
    this.deployed.push({
      stacks: stackNames,
      image: context[IMAGE_CONTEXT_KEY],
      weights: context[PRODUCTION_WEIGHTS_CONTEXT_KEY],
    });
    const applied: StackTemplate[] = [];
    for (const name of stackNames) {
      await this.deployStack(name, context);
      applied.push({ stackName: name, region: GLOBAL.primaryRegion, template: this.templateOf(name) });
    }
    return applied;
  }

  templateOf(stackName: string): CfnTemplate {
    return this.app.get(stackName) ?? { Resources: {} };
  }

  private async deployStack(name: string, context: Record<string, unknown>): Promise<void> {
    const model = this.model;
    const region = GLOBAL.primaryRegion;
    // Each stack's synthesizer carries its environment's qualifier; Berth-Global uses prod's (infra/lib/app.ts).
    const owner = ENV_OF(name) ?? GLOBAL_STACK_ENV;
    const qualifier = qualifierOf(CART, owner);
    // toolkit-lib reads the bootstrap version before deploying (CDK Developer Guide, "Bootstrapping").
    if (!model.parameters.has(`${region}|/cdk-bootstrap/${qualifier}/version`)) {
      throw new Error(
        `${name}: SSM parameter /cdk-bootstrap/${qualifier}/version not found. Has the environment been bootstrapped? Please run 'cdk bootstrap'`,
      );
    }
    // The toolkit assumes the qualifier's deploy role (CDK Developer Guide, "Bootstrapping": roles
    // `cdk-<qualifier>-deploy-role-<account>-<region>`); STS refuses a role the caller may not assume.
    if (this.assumableQualifier !== undefined && this.assumableQualifier !== qualifier) {
      throw new Error(
        `${name}: AccessDenied: User is not authorized to perform: sts:AssumeRole on resource: ` +
          `arn:aws:iam::${model.account}:role/cdk-${qualifier}-deploy-role-${model.account}-${region}`,
      );
    }
    const existing = model.stacks.get(name);
    const create = existing === undefined || existing.status === 'REVIEW_IN_PROGRESS';
    if (existing && !create && !/_COMPLETE$/.test(existing.status)) {
      throw new Error(`Stack:${name} is in ${existing.status} state and can not be updated.`);
    }
    if (existing?.status === 'ROLLBACK_COMPLETE') {
      throw new Error(`Stack:${name} is in ROLLBACK_COMPLETE state and can not be updated.`);
    }
    const env = ENV_OF(name);
    const stack: ModelStack = existing ?? {
      status: 'CREATE_IN_PROGRESS',
      outputs: {},
      terminationProtection: name === GLOBAL_STACK_NAME || (env === 'prod' && /-(Network|Data)$/.test(name)),
    };
    stack.status = create ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS';
    model.stacks.set(name, stack);
    if (this.hangOn === name) {
      this.hangOn = undefined;
      return new Promise<never>(() => undefined);
    }
    if (this.failNext?.stack === name) {
      const reason = this.failNext.reason;
      this.failNext = undefined;
      stack.status = create ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE';
      throw new Error(`The stack named ${name} failed to deploy: ${stack.status}: ${reason}`);
    }
    if (name === GLOBAL_STACK_NAME) stack.outputs[OUTPUTS.repositoryUri] = model.repositoryUri();
    if (env && name.endsWith('-Service')) this.deployService(name, env, stack, create, context);
    stack.template = this.templateOf(name);
    stack.status = create ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE';
  }

  private deployService(
    name: string,
    env: EnvName,
    stack: ModelStack,
    create: boolean,
    context: Record<string, unknown>,
  ): void {
    const model = this.model;
    const digest = String(context[IMAGE_CONTEXT_KEY]);
    if (![...model.images.values()].includes(digest)) {
      // ECS cannot pull an image the registry does not have: tasks stop with CannotPullContainerError.
      stack.status = create ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE';
      throw new Error(`The stack named ${name} failed to deploy: CannotPullContainerError for ${digest}`);
    }
    const config = ENVIRONMENTS[env];
    const image = `${model.repositoryUri()}@${digest}`;
    const found = model.service(env);
    const initial = create || !found;
    let service: ModelService;
    if (found && !initial) {
      service = found;
    } else {
      const id = model.nextId();
      const group = (color: string) =>
        `arn:aws:elasticloadbalancing:eu-west-1:${model.account}:targetgroup/Berth-${env}-${color}/${id}`;
      const blueGreen = config.service.deployment.strategy !== 'rolling';
      service = {
        env,
        cluster: `${name}-Cluster-${id}`,
        name: `${name}-WebService-${id}`,
        desiredCount: config.service.minTasks,
        taskDefinition: '',
        deployments: [],
        live: group('blue'),
        ...(blueGreen ? { alternate: group('green') } : {}),
        blueGreen,
        drainMs: config.service.deregistrationDelaySeconds * 1000,
        bakeMs: blueGreen ? config.service.deployment.bakeTimeMinutes * 60_000 : 0,
        enableExecuteCommand: config.exec.enabled,
        tasks: [],
      };
      if (service.alternate) {
        service.productionRule = {
          arn: `arn:aws:elasticloadbalancing:eu-west-1:${model.account}:listener-rule/app/berth-${env}/${id}/prod/${id}`,
          blue: service.live,
          green: service.alternate,
        };
        stack.outputs[OUTPUTS.productionRuleArn] = service.productionRule.arn;
      }
      model.targetGroups.set(service.live, []);
      if (service.alternate) model.targetGroups.set(service.alternate, []);
      model.services.set(`${service.cluster}/${service.name}`, service);
      Object.assign(stack.outputs, {
        [OUTPUTS.clusterName]: service.cluster,
        [OUTPUTS.serviceName]: service.name,
        [OUTPUTS.serviceUrl]: `http://berth-${env}-${id}.eu-west-1.elb.amazonaws.com`,
        // The construct outputs the group it attached first (blue); it is live only every other deploy.
        [OUTPUTS.targetGroupArn]: service.live,
        [OUTPUTS.logGroupName]: `${name}-Logs-${id}`,
      });
    }
    // The template sets enableExecuteCommand from the config; running tasks keep theirs until replaced.
    service.enableExecuteCommand = config.exec.enabled;
    const current = model.taskDefinitions.get(service.taskDefinition)?.image;
    // Same image, same template: CloudFormation changes nothing and ECS starts no deployment.
    if (current === image) return;
    if ((model.behaviours.get(digest) ?? 'healthy') === 'crashes') {
      // The circuit breaker fails the deployment and returns to the last completed one
      // (ECS Developer Guide, "Deployment circuit breaker"); CloudFormation rolls the stack back.
      stack.status = create ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE';
      throw new Error(
        `The stack named ${name} failed to deploy: ${stack.status}: Resource handler returned message: "Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'."`,
      );
    }
    const arn = `arn:aws:ecs:eu-west-1:${model.account}:task-definition/Berth${env}Web:${model.nextId()}`;
    model.taskDefinitions.set(arn, { image });
    model.settle(service, arn, initial);
  }

  async destroy(stackNames: readonly string[]): Promise<void> {
    for (const name of stackNames) {
      const stack = this.model.stacks.get(name);
      if (!stack) continue;
      // DeleteStack fails while termination protection is on (CloudFormation User Guide,
      // "Protect a CloudFormation stack from being deleted").
      if (stack.terminationProtection) {
        throw new Error(`Stack [${name}] cannot be deleted while TerminationProtection is enabled`);
      }
      if (name.endsWith('-Service')) {
        const env = ENV_OF(name);
        const service = env ? this.model.service(env) : undefined;
        if (service) this.model.services.delete(`${service.cluster}/${service.name}`);
      }
      this.model.stacks.delete(name);
    }
  }
}

/**
 * git and docker as the CLI runs them: commands are recorded, `docker login` must present the
 * registry password, and a push writes the tag into the model's ECR, whose tags are IMMUTABLE
 * (infra's registry construct; ECR User Guide, "Image tag mutability": pushing an existing tag fails).
 */
export class ModelDocker {
  readonly commands: string[] = [];
  readonly loggedIn = new Set<string>();
  sha = '3f9c2ab41d07';
  /** What the next pushed image does when it runs. */
  behaviour: ImageBehaviour = 'healthy';
  builds = 0;

  constructor(private readonly model: AwsModel) {}

  run = async (
    command: string,
    args: readonly string[],
    options: { cwd: string; input?: string },
  ): Promise<{ code: number; stdout: string }> => {
    this.commands.push([command, ...args].join(' '));
    if (command === 'git' && args[0] === 'rev-parse') return { code: 0, stdout: `${this.sha}\n` };
    if (command !== 'docker') throw new Error(`docker model: unexpected command ${command}`);
    if (args[0] === 'buildx' && args[1] === 'version')
      return { code: 0, stdout: 'github.com/docker/buildx v0.19.0' };
    if (args[0] === 'login') {
      const registry = args.at(-1)!;
      const ok =
        args.includes('--password-stdin') &&
        args[args.indexOf('--username') + 1] === 'AWS' &&
        options.input === this.model.registryPassword;
      if (ok) this.loggedIn.add(registry);
      return { code: ok ? 0 : 1, stdout: ok ? 'Login Succeeded' : '' };
    }
    if (args[0] === 'buildx' && args[1] === 'build') return this.build(args);
    throw new Error(`docker model: unexpected docker ${args.join(' ')}`);
  };

  private async build(args: readonly string[]): Promise<{ code: number; stdout: string }> {
    const ref = args[args.indexOf('--tag') + 1]!;
    const [repository, tag] = ref.split(/:(?=[^:]+$)/) as [string, string];
    const registry = repository.split('/')[0]!;
    if (!args.includes('--push')) throw new Error('docker model: build without --push');
    this.builds += 1;
    // An unauthenticated push is refused (ECR User Guide, "Private registry authentication").
    if (!this.loggedIn.has(registry)) return { code: 1, stdout: 'ERROR: failed to push: 401 Unauthorized' };
    if (this.model.images.has(tag)) {
      return {
        code: 1,
        stdout: `tag invalid: The image tag '${tag}' already exists in the '${GLOBAL.repositoryName}' repository and cannot be overwritten because the repository is immutable.`,
      };
    }
    // Each build yields a new digest (timestamps in the layers), as a real rebuild does.
    const digest = this.model.digestFor(`${tag}#${this.builds}#${args.join(' ')}`);
    this.model.images.set(tag, digest);
    this.model.behaviours.set(digest, this.behaviour);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      args[args.indexOf('--metadata-file') + 1]!,
      JSON.stringify({ 'containerimage.digest': digest }),
    );
    return { code: 0, stdout: '' };
  }
}
