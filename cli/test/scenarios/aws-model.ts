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
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ExecuteCommandCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type TaskDefinition,
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
  type EnvName,
  GLOBAL_STACK_ENV,
  IMAGE_CONTEXT_KEY,
  imagesFromContext,
  type LoadedConfig,
  OUTPUTS,
  PRODUCTION_WEIGHTS_CONTEXT_KEY,
  parseImageSet,
  qualifierOf,
  RELEASE_CONTAINER,
  type ResolvedServiceConfig,
  releaseLogStreamName,
  serviceOutputs,
} from '@berth/infra';
import { mockClient } from 'aws-sdk-client-mock';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import type { StackDeployer } from '../../src/deploy/stack-deployer.js';
import type { CfnTemplate, StackTemplate } from '../../src/plan/template.js';
import type { FakeClock } from '../fixtures/aws.js';
import { CART } from '../fixtures/cart-config.js';

/**
 * What a deployed image does once it runs, so scenarios can ship good and bad releases: `crashes` (every
 * service's process exits at start), `worker-crashes` (only the worker services' process does: the web
 * services start and pass their health checks).
 */
export type ImageBehaviour = 'healthy' | 'crashes' | 'worker-crashes' | 'breaks-api' | 'fails-release';

/** Whether a service of `kind` starts with an image of `behaviour`, or its process exits at once. */
const crashesAsA = (behaviour: ImageBehaviour, kind: ResolvedServiceConfig['kind']) =>
  behaviour === 'crashes' || (behaviour === 'worker-crashes' && kind === 'worker');

/** What a service's process writes before it exits at start (the service's JSON log lines, exit code 1). */
const CRASH_LINES = [
  '{"level":60,"msg":"config: CART_EXPIRY_HOURS must be a whole number of hours, got \\"three days\\""}',
];

/** What the release command of each behaviour writes before it exits (the service's JSON log lines). */
const RELEASE_OUTPUT: Record<ImageBehaviour, { exitCode: number; lines: string[] }> = {
  healthy: { exitCode: 0, lines: ['{"level":30,"msg":"release: applied 1 migrations"}'] },
  crashes: { exitCode: 0, lines: ['{"level":30,"msg":"release: the schema is up to date"}'] },
  'worker-crashes': { exitCode: 0, lines: ['{"level":30,"msg":"release: the schema is up to date"}'] },
  'breaks-api': { exitCode: 0, lines: ['{"level":30,"msg":"release: the schema is up to date"}'] },
  'fails-release': {
    exitCode: 1,
    lines: [
      '{"level":30,"msg":"migrations: connecting"}',
      '{"level":50,"msg":"release failed: database migration 0004-orders-index failed: column \\"placed_at\\" does not exist"}',
    ],
  },
};

/** A one-off task started with RunTask (the release task); service tasks are ModelTask. */
export interface ModelRunTask {
  arn: string;
  cluster: string;
  taskDefinition: string;
  input: RunTaskCommandInput;
  startedAt: number;
  /** Clock time at which it reaches STOPPED on its own (its command exits). */
  exitsAt: number;
  exitCode?: number;
  stopCode?: string;
  stoppedReason?: string;
  /** Set by StopTask. */
  stoppedAt?: number;
  logLines: string[];
}

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

/** A running task of a service; only the fields ECS Exec and the deploy's diagnosis look at. */
interface ModelTask {
  arn: string;
  taskDefinition: string;
  /** Clock time at which it entered PENDING (ECS API Reference, "Task": createdAt). */
  createdAt: number;
  /** The Docker id of the service's container, part of the Session Manager target. */
  runtimeId: string;
  /** Fixed when the task starts: the service's setting at that moment. */
  enableExecuteCommand: boolean;
}

/**
 * A task of a service that stopped: replaced by a deployment (stop code ServiceSchedulerInitiated), or ended by
 * its own essential container (EssentialContainerExited, with the container's exit code) (ECS Developer Guide,
 * "Amazon ECS stopped tasks error codes"; ECS API Reference, "Task": stopCode, stoppedReason).
 */
interface ModelStoppedTask {
  arn: string;
  taskDefinition: string;
  createdAt: number;
  stoppedAt: number;
  stopCode: 'ServiceSchedulerInitiated' | 'EssentialContainerExited';
  stoppedReason: string;
  exitCode?: number;
  /** What it logged to its awslogs stream. */
  logLines: string[];
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
  /** The ECS service's name (the stack output `<Service>ServiceName`). */
  name: string;
  /** Its name in the config: the container's name, its log stream prefix, its outputs' prefix. */
  configName: string;
  kind: ResolvedServiceConfig['kind'];
  /** Web only: the container port the load balancer forwards to. */
  containerPort?: number;
  /** Where its tasks log (awslogs-group). */
  logGroupName: string;
  desiredCount: number;
  taskDefinition: string;
  deployments: Deployment[];
  /** Web only: the live (production) group; the blue/green alternate second. A worker has no load balancer. */
  live?: string;
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
  /** RUNNING tasks; replaced on every deployment. */
  tasks: ModelTask[];
  /** Tasks that stopped, oldest first. */
  stopped: ModelStoppedTask[];
}

/** `cart-expiry` → `CartExpiry`, as the Service stack names a service's constructs. */
const pascal = (name: string) =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** AWS's error shape as the SDK surfaces it: `name` is the error code. */
function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

const taskId = (arn: string) => arn.split('/').at(-1) ?? arn;

const unmodelled = (client: string) => (input: unknown) => {
  throw new Error(`AWS model: unmodelled ${client} call with ${JSON.stringify(input)}`);
};

export class AwsModel {
  readonly account: string;
  readonly stacks = new Map<string, ModelStack>();
  readonly parameters = new Map<string, ParameterHistory[]>();
  /** ECR `berth/service`: tag → digest. Exists once the Global stack does. */
  readonly images = new Map<string, string>();
  readonly behaviours = new Map<string, ImageBehaviour>();
  readonly services = new Map<string, ModelService>();
  /**
   * Task definitions by ARN. `definition` holds the full definition of those registered with one (the
   * release task's); the services' revisions only carry their image and their one container's name.
   */
  readonly taskDefinitions = new Map<
    string,
    { image: string; container?: string; definition?: TaskDefinition; inactive?: boolean }
  >();
  /** The services the Service stacks' deletion took with them, by config name, with their desired count then. */
  readonly deletedServices: { name: string; desiredCount: number }[] = [];
  /** Tasks started with RunTask, in order. */
  readonly runTasks: ModelRunTask[] = [];
  /** RunTask answers with this placement failure instead of a task (ECS API Reference, "RunTask": failures). */
  runTaskFailure?: { reason: string; detail?: string };
  /** How long a release command runs before it exits. */
  releaseDurationMs = 20_000;
  readonly targetGroups = new Map<string, ModelTarget[]>();
  /** Every ECS ExecuteCommand, in order. */
  readonly execCalls: ModelExecCall[] = [];
  /** Every AWS call, `Client.Command`, in order. */
  readonly calls: string[] = [];
  /** The password GetAuthorizationToken hands out; docker login must present it. */
  readonly registryPassword = 'ecr-password-from-token';
  private readonly clients = new Map<string, AwsClients>();
  private sequence = 0;

  /**
   * @param config the app whose stacks the model holds (its names, environments and services): the cart's by
   * default; a scenario may bring its own (cli/test/scenarios/two-services.ts).
   */
  /** The app as berth.config.ts says now (editConfig changes it). */
  config: LoadedConfig;

  constructor(
    readonly clock: FakeClock,
    config: LoadedConfig = CART,
  ) {
    this.config = config;
    this.account = config.global.account;
  }

  /** The user edits berth.config.ts (same app, same account): later commands and deploys read the new one. */
  editConfig(next: LoadedConfig): void {
    if (next.app !== this.config.app || next.global.account !== this.account) {
      throw new Error('AWS model: editConfig keeps the app and its account');
    }
    this.config = next;
  }

  /**
   * What `cdk bootstrap --qualifier <env's>` leaves behind that deploys check (CDK Developer Guide,
   * "Bootstrapping your environment": the `/cdk-bootstrap/<qualifier>/version` parameter).
   */
  /** Berth-Global as prod's deploy (or an administrator) leaves it: the shared registry, termination-protected. */
  createGlobal(): void {
    this.stacks.set(this.config.names.globalStackName, {
      status: 'CREATE_COMPLETE',
      // An app that builds nothing has no registry, so no repository output (infra/lib/stacks/global-stack.ts).
      outputs: this.config.global.repositoryName === undefined ? {} : { RepositoryUri: this.repositoryUri() },
      terminationProtection: true,
    });
  }

  bootstrap(region: string, env: EnvName): void {
    this.putParameter(
      region,
      `/cdk-bootstrap/${qualifierOf(this.config, env)}/version`,
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

  registryHost(region: string = this.config.global.primaryRegion): string {
    return `${this.account}.dkr.ecr.${region}.amazonaws.com`;
  }

  repositoryUri(): string {
    return `${this.registryHost()}/${this.config.global.repositoryName}`;
  }

  nextId(): number {
    this.sequence += 1;
    return this.sequence;
  }

  /** A service of an env by its config name, as the Service stack created it; without a name, its first web service. */
  service(env: EnvName, name?: string): ModelService | undefined {
    return this.servicesOf(env).find((s) => (name === undefined ? s.kind === 'web' : s.configName === name));
  }

  /** The services of an env, in the order the Service stack created them (the config's). */
  servicesOf(env: EnvName): ModelService[] {
    return [...this.services.values()].filter((s) => s.env === env);
  }

  /** A running task of a cluster, by ARN or id, with its service. */
  findTask(cluster: string | undefined, ref: string): (ModelTask & { service: ModelService }) | undefined {
    for (const service of this.services.values()) {
      if (service.cluster !== cluster) continue;
      const task = service.tasks.find((t) => t.arn === ref || taskId(t.arn) === ref);
      if (task) return { ...task, service };
    }
    return undefined;
  }

  /** A stopped task of a cluster, by ARN or id, with its service. */
  findStoppedTask(
    cluster: string | undefined,
    ref: string,
  ): (ModelStoppedTask & { service: ModelService }) | undefined {
    for (const service of this.services.values()) {
      if (service.cluster !== cluster) continue;
      const task = service.stopped.find((t) => t.arn === ref || taskId(t.arn) === ref);
      if (task) return { ...task, service };
    }
    return undefined;
  }

  /** The digest a service of `env` runs (its first web service without a name). */
  runningImage(env: EnvName, name?: string): string | undefined {
    const service = this.service(env, name);
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
          if (
            input.repositoryName !== this.config.global.repositoryName ||
            !this.stacks.has(this.config.names.globalStackName)
          ) {
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
                repositoryName: this.config.global.repositoryName,
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
            // A service without a load balancer (a worker) has none in its configuration (ECS API
            // Reference, "Service": loadBalancers).
            loadBalancers: service.live
              ? [
                  {
                    targetGroupArn: service.live,
                    containerName: service.configName,
                    containerPort: service.containerPort,
                    ...(service.alternate
                      ? { advancedConfiguration: { alternateTargetGroupArn: service.alternate } }
                      : {}),
                  },
                ]
              : [],
            events: [],
          },
        ],
        failures: [],
      };
    });
    ecs
      .on(DescribeTaskDefinitionCommand)
      .callsFake((input: { taskDefinition?: string; include?: string[] }) => {
        log('ECS.DescribeTaskDefinition');
        const td = this.taskDefinitions.get(input.taskDefinition ?? '');
        if (!td) throw awsError('ClientException', 'Unable to describe task definition.');
        if (td.definition) {
          // Tags come back only when asked for with include: ["TAGS"] (ECS API Reference, "DescribeTaskDefinition").
          const env = td.definition.family?.includes('Prod') ? 'prod' : 'test';
          return {
            taskDefinition: { ...td.definition, status: td.inactive ? 'INACTIVE' : 'ACTIVE' },
            ...(input.include?.includes('TAGS') ? { tags: [{ key: 'Environment', value: env }] } : {}),
          };
        }
        return {
          taskDefinition: {
            taskDefinitionArn: input.taskDefinition,
            containerDefinitions: [{ name: td.container, image: td.image }],
          },
        };
      });
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: RegisterTaskDefinitionCommandInput) => {
      log('ECS.RegisterTaskDefinition');
      // family and containerDefinitions are required, each container with a name and an image; each
      // registration of a family is its next revision, family:1 first (ECS API Reference,
      // "RegisterTaskDefinition"; ECS Developer Guide, "Updating a task definition").
      const containers = input.containerDefinitions ?? [];
      if (!input.family || containers.length === 0 || containers.some((c) => !c.name || !c.image)) {
        throw awsError('ClientException', 'family and containerDefinitions (name, image) are required.');
      }
      const revision =
        [...this.taskDefinitions.values()].filter((td) => td.definition?.family === input.family).length + 1;
      const arn = `arn:aws:ecs:${region}:${this.account}:task-definition/${input.family}:${revision}`;
      const definition: TaskDefinition = {
        taskDefinitionArn: arn,
        family: input.family,
        revision,
        taskRoleArn: input.taskRoleArn,
        executionRoleArn: input.executionRoleArn,
        networkMode: input.networkMode,
        containerDefinitions: containers,
        requiresCompatibilities: input.requiresCompatibilities,
      };
      const release = containers.find((c) => c.name === RELEASE_CONTAINER.name) ?? containers[0]!;
      this.taskDefinitions.set(arn, { image: release.image!, definition });
      return { taskDefinition: { ...definition, status: 'ACTIVE' }, tags: input.tags };
    });
    ecs.on(DeregisterTaskDefinitionCommand).callsFake((input: { taskDefinition?: string }) => {
      log('ECS.DeregisterTaskDefinition');
      // The revision becomes INACTIVE: no new task may use it, tasks already started are unaffected
      // (ECS API Reference, "DeregisterTaskDefinition").
      const td = this.taskDefinitions.get(input.taskDefinition ?? '');
      if (!td?.definition) throw awsError('ClientException', 'The specified task definition does not exist.');
      td.inactive = true;
      return { taskDefinition: { ...td.definition, status: 'INACTIVE' } };
    });
    ecs.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => {
      log('ECS.RunTask');
      return this.runTask(region, input);
    });
    ecs.on(StopTaskCommand).callsFake((input: { cluster?: string; task?: string; reason?: string }) => {
      log('ECS.StopTask');
      const task = this.runTasks.find((t) => t.cluster === input.cluster && t.arn === input.task);
      // An unknown task is InvalidParameterException; the task is sent SIGTERM and stops, with stop code
      // UserInitiated and the reason given (ECS API Reference, "StopTask"; "Task": stopCode).
      if (!task) throw awsError('InvalidParameterException', 'The referenced task was not found.');
      if (this.runTaskStatus(task) !== 'STOPPED') {
        Object.assign(task, {
          stoppedAt: this.clock.now(),
          stopCode: 'UserInitiated',
          stoppedReason: input.reason ?? 'Task stopped by user',
          // Docker reports a process ended by SIGTERM as 128 + 15.
          exitCode: 143,
        });
      }
      return { task: this.describeRunTask(region, task) };
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
      .callsFake(
        (input: {
          cluster?: string;
          serviceName?: string;
          desiredStatus?: string;
          maxResults?: number;
          nextToken?: string;
        }) => {
          log('ECS.ListTasks');
          // desiredStatus defaults to RUNNING; serviceName filters to that service's tasks; at most maxResults
          // (default 100) per page, with a nextToken for the rest (ECS API Reference, "ListTasks"). Stopped tasks are listed for at least an
          // hour after they stop (ECS Developer Guide, "Viewing Amazon ECS stopped task errors"); the model
          // keeps exactly an hour. The API promises no order: the model lists the newest first.
          const services = [...this.services.values()].filter(
            (s) =>
              s.cluster === input.cluster &&
              (input.serviceName === undefined || s.name === input.serviceName),
          );
          const status = input.desiredStatus ?? 'RUNNING';
          const arns =
            status === 'RUNNING'
              ? services.flatMap((s) => s.tasks.map((t) => t.arn))
              : status === 'STOPPED'
                ? services
                    .flatMap((s) => s.stopped)
                    .filter((t) => t.stoppedAt > this.clock.now() - 3_600_000)
                    .sort((a, b) => b.stoppedAt - a.stoppedAt)
                    .map((t) => t.arn)
                : [];
          const start = Number(input.nextToken ?? 0);
          const end = start + (input.maxResults ?? 100);
          return {
            taskArns: arns.slice(start, end),
            ...(end < arns.length ? { nextToken: String(end) } : {}),
          };
        },
      );
    ecs.on(DescribeTasksCommand).callsFake((input: { cluster?: string; tasks?: string[] }) => {
      log('ECS.DescribeTasks');
      // Tasks are named by ARN or id; unknown ones come back as failures with reason MISSING (ECS API
      // Reference, "DescribeTasks"). A task launched with exec on runs the ExecuteCommandAgent managed agent
      // in each container (ECS API Reference, "ManagedAgent"; ECS Developer Guide, "Monitor Amazon ECS
      // containers with ECS Exec": exec applies to tasks started after it is turned on).
      const oneOff = (input.tasks ?? []).flatMap((ref) =>
        this.runTasks.filter((t) => t.cluster === input.cluster && (t.arn === ref || taskId(t.arn) === ref)),
      );
      if (oneOff.length > 0) {
        return { tasks: oneOff.map((task) => this.describeRunTask(region, task)), failures: [] };
      }
      const clusterArn = `arn:aws:ecs:${region}:${this.account}:cluster/${input.cluster}`;
      const found = (input.tasks ?? []).map((ref) => {
        const running = this.findTask(input.cluster, ref);
        if (running) {
          return {
            ref,
            task: {
              taskArn: running.arn,
              clusterArn,
              taskDefinitionArn: running.taskDefinition,
              createdAt: new Date(running.createdAt),
              lastStatus: 'RUNNING',
              desiredStatus: 'RUNNING',
              enableExecuteCommand: running.enableExecuteCommand,
              containers: [
                {
                  name: running.service.configName,
                  runtimeId: running.runtimeId,
                  lastStatus: 'RUNNING',
                  managedAgents: running.enableExecuteCommand
                    ? [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }]
                    : [],
                },
              ],
            },
          };
        }
        const stopped = this.findStoppedTask(input.cluster, ref);
        if (!stopped) return { ref, task: undefined };
        // A stopped task keeps its stop code, reason and times, and each container its exit code
        // (ECS API Reference, "Task", "Container").
        return {
          ref,
          task: {
            taskArn: stopped.arn,
            clusterArn,
            taskDefinitionArn: stopped.taskDefinition,
            createdAt: new Date(stopped.createdAt),
            stoppedAt: new Date(stopped.stoppedAt),
            lastStatus: 'STOPPED',
            desiredStatus: 'STOPPED',
            stopCode: stopped.stopCode,
            stoppedReason: stopped.stoppedReason,
            containers: [
              {
                name: stopped.service.configName,
                lastStatus: 'STOPPED',
                ...(stopped.exitCode === undefined ? {} : { exitCode: stopped.exitCode }),
              },
            ],
          },
        };
      });
      return {
        tasks: found.flatMap(({ task }) => (task ? [task] : [])),
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
      if (input.container !== task.service.configName) {
        throw awsError('InvalidParameterException', `The container ${input.container} is not found.`);
      }
      const sessionId = `ecs-execute-command-${this.nextId()}`;
      // The session the Session Manager plugin opens: its id, the ssmmessages data channel URL and a token
      // (ECS API Reference, "ExecuteCommand" → Session).
      return {
        clusterArn: `arn:aws:ecs:${region}:${this.account}:cluster/${input.cluster}`,
        containerArn: `arn:aws:ecs:${region}:${this.account}:container/${input.cluster}/${taskId(task.arn)}/c1`,
        containerName: task.service.configName,
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
    logs
      .on(GetLogEventsCommand)
      .callsFake(
        (input: {
          logGroupName?: string;
          logStreamName?: string;
          limit?: number;
          startFromHead?: boolean;
        }) => {
          log('CloudWatchLogs.GetLogEvents');
          // The release tasks' streams and the stopped service tasks' ones are modelled: awslogs names a stream
          // `<prefix>/<container name>/<task id>` (ECS Developer Guide, "Using the awslogs log driver":
          // awslogs-stream-prefix), the prefix being the service's name. startFromHead defaults to false: the
          // newest `limit` events, oldest first within the page (CloudWatch Logs API Reference, "GetLogEvents").
          const stream = this.logStream(input.logGroupName, input.logStreamName);
          if (!stream)
            throw awsError('ResourceNotFoundException', 'The specified log stream does not exist.');
          const limit = input.limit ?? 10_000;
          const page = input.startFromHead ? stream.lines.slice(0, limit) : stream.lines.slice(-limit);
          return {
            events: page.map((message, i) => ({
              timestamp: stream.startedAt + i,
              message,
              ingestionTime: stream.startedAt + i,
            })),
          };
        },
      );
    const cloudwatch = mockClient(clients.cloudwatch);
    cloudwatch.onAnyCommand().callsFake(unmodelled('CloudWatch'));
    cloudwatch.on(DescribeAlarmsCommand).callsFake(() => ({ MetricAlarms: [] }));
    const autoscaling = mockClient(clients.autoscaling);
    autoscaling.onAnyCommand().callsFake(unmodelled('AutoScaling'));

    this.clients.set(region, clients);
    return clients;
  }

  /** The lines of a log stream, or undefined when it does not exist (a task that never started writes none). */
  private logStream(
    group: string | undefined,
    stream: string | undefined,
  ): { lines: string[]; startedAt: number } | undefined {
    const release = this.runTasks.find(
      (t) =>
        releaseLogStreamName(taskId(t.arn)) === stream &&
        this.stacks.get(this.stackOfCluster(t.cluster))?.outputs[OUTPUTS.releaseLogGroupName] === group,
    );
    if (release) {
      return this.runTaskStatus(release) === 'PROVISIONING'
        ? undefined
        : { lines: release.logLines, startedAt: release.startedAt };
    }
    for (const service of this.services.values()) {
      if (service.logGroupName !== group) continue;
      const task = service.stopped.find(
        (t) => `${service.configName}/${service.configName}/${taskId(t.arn)}` === stream,
      );
      if (task && task.logLines.length > 0) return { lines: task.logLines, startedAt: task.createdAt };
    }
    return undefined;
  }

  /** The Service stack whose cluster this is. */
  stackOfCluster(cluster: string): string {
    return [...this.stacks].find(([, stack]) => stack.outputs[OUTPUTS.clusterName] === cluster)?.[0] ?? '';
  }

  /**
   * RunTask as the ECS API Reference ("RunTask") describes it: the cluster must exist (ClusterNotFoundException);
   * the task definition must exist and be ACTIVE (ClientException); launchType and capacityProviderStrategy
   * exclude each other; an awsvpc task definition needs networkConfiguration with subnets
   * (InvalidParameterException). A task that cannot be placed comes back in `failures`, not as an error.
   * The task then runs its command: CannotPullContainerError if the registry has no such image (stopCode
   * TaskFailedToStart, no exit code), else the image's release behaviour, exiting after releaseDurationMs.
   */
  private runTask(region: string, input: RunTaskCommandInput) {
    const stackName = this.stackOfCluster(input.cluster ?? '');
    if (!stackName) throw awsError('ClusterNotFoundException', 'Cluster not found.');
    const td = this.taskDefinitions.get(input.taskDefinition ?? '');
    if (!td?.definition) throw awsError('ClientException', 'TaskDefinition not found.');
    if (td.inactive) throw awsError('ClientException', 'TaskDefinition is inactive');
    if (input.launchType && input.capacityProviderStrategy) {
      throw awsError(
        'InvalidParameterException',
        'launchType and capacityProviderStrategy cannot both be specified.',
      );
    }
    const expectedProvider = this.stacks.get(stackName)?.outputs[OUTPUTS.releaseCapacityProviderName];
    const provider = input.capacityProviderStrategy?.[0]?.capacityProvider;
    if (input.capacityProviderStrategy && provider !== expectedProvider) {
      throw awsError(
        'InvalidParameterException',
        `The specified capacity provider ${provider} is not in the cluster.`,
      );
    }
    const vpc = input.networkConfiguration?.awsvpcConfiguration;
    if (td.definition.networkMode === 'awsvpc' && (!vpc || (vpc.subnets ?? []).length === 0)) {
      throw awsError(
        'InvalidParameterException',
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    }
    if (this.runTaskFailure) return { tasks: [], failures: [{ ...this.runTaskFailure }] };
    const id = createHash('sha256').update(`run-${this.nextId()}`).digest('hex').slice(0, 32);
    const now = this.clock.now();
    const digest = td.image.split('@')[1] ?? '';
    // The model holds only the app's registry: an image from elsewhere (a prebuilt one) pulls.
    const pulled = !td.image.startsWith(this.registryHost()) || [...this.images.values()].includes(digest);
    const outcome = RELEASE_OUTPUT[this.behaviours.get(digest) ?? 'healthy'];
    const task: ModelRunTask = {
      arn: `arn:aws:ecs:${region}:${this.account}:task/${input.cluster}/${id}`,
      cluster: input.cluster!,
      taskDefinition: input.taskDefinition!,
      input,
      startedAt: now,
      exitsAt: now + (pulled ? this.releaseDurationMs : 5_000),
      ...(pulled
        ? {
            exitCode: outcome.exitCode,
            stopCode: 'EssentialContainerExited',
            stoppedReason: 'Essential container in task exited',
          }
        : {
            stopCode: 'TaskFailedToStart',
            stoppedReason: `CannotPullContainerError: pull image manifest has been retried 5 time(s): ${td.image} not found`,
          }),
      logLines: pulled ? outcome.lines : [],
    };
    this.runTasks.push(task);
    return { tasks: [this.describeRunTask(region, task)], failures: [] };
  }

  /** PROVISIONING for the first seconds, RUNNING until its command exits (or StopTask), then STOPPED (ECS Developer Guide, "Amazon ECS task lifecycle"). */
  runTaskStatus(task: ModelRunTask): 'PROVISIONING' | 'RUNNING' | 'STOPPED' {
    const now = this.clock.now();
    if (task.stoppedAt !== undefined || now >= task.exitsAt) return 'STOPPED';
    return now < task.startedAt + 2_000 ? 'PROVISIONING' : 'RUNNING';
  }

  private describeRunTask(region: string, task: ModelRunTask) {
    const status = this.runTaskStatus(task);
    const stopped = status === 'STOPPED';
    return {
      taskArn: task.arn,
      clusterArn: `arn:aws:ecs:${region}:${this.account}:cluster/${task.cluster}`,
      taskDefinitionArn: task.taskDefinition,
      lastStatus: status,
      desiredStatus: stopped || task.stoppedAt !== undefined ? 'STOPPED' : 'RUNNING',
      startedBy: task.input.startedBy,
      ...(stopped ? { stopCode: task.stopCode, stoppedReason: task.stoppedReason } : {}),
      containers: [
        {
          name: RELEASE_CONTAINER.name,
          lastStatus: status === 'PROVISIONING' ? 'PENDING' : status,
          ...(stopped && task.exitCode !== undefined ? { exitCode: task.exitCode } : {}),
        },
      ],
    };
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
    if (oldGroup !== undefined) {
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
    }
    const deploymentId = `ecs-svc/${this.nextId()}`;
    // The replaced tasks stop at the scheduler's request (stop code ServiceSchedulerInitiated).
    service.stopped.push(
      ...service.tasks.map(
        (t): ModelStoppedTask => ({
          arn: t.arn,
          taskDefinition: t.taskDefinition,
          createdAt: t.createdAt,
          stoppedAt: now,
          stopCode: 'ServiceSchedulerInitiated',
          stoppedReason: `Scaling activity initiated by (deployment ${deploymentId})`,
          exitCode: 0,
          logLines: [],
        }),
      ),
    );
    service.taskDefinition = taskDefinition;
    // The new revision's tasks replace the old ones and take the service's exec setting as they start.
    service.tasks = newTargets.map(() => {
      const id = this.taskIdFor('task');
      return {
        arn: `arn:aws:ecs:eu-west-1:${this.account}:task/${service.cluster}/${id}`,
        taskDefinition,
        createdAt: now,
        runtimeId: `${id}-${this.nextId()}`,
        enableExecuteCommand: service.enableExecuteCommand,
      };
    });
    service.deployments = [
      {
        id: deploymentId,
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
   * A deployment of `taskDefinition` whose tasks exit at start: the circuit breaker counts failed tasks up to
   * its threshold (0.5 x the desired count, at least 3 and at most 200: ECS API Reference,
   * "ServiceDeploymentCircuitBreaker": threshold; ECS Developer Guide, "How the Amazon ECS deployment circuit
   * breaker detects failures"), fails the deployment and rolls the service back to the last completed one. The model keeps the tasks that ran before; the failed ones are stopped tasks with their essential
   * container's exit code and last log lines.
   */
  tripCircuitBreaker(service: ModelService, taskDefinition: string): void {
    const now = this.clock.now();
    const threshold = Math.min(200, Math.max(3, Math.ceil(service.desiredCount / 2)));
    for (let i = 0; i < threshold; i++) {
      // One after the other: each starts, crashes within a second, and the scheduler starts the next.
      service.stopped.push({
        arn: `arn:aws:ecs:eu-west-1:${this.account}:task/${service.cluster}/${this.taskIdFor('failed')}`,
        taskDefinition,
        createdAt: now + i * 1_000,
        stoppedAt: now + i * 1_000 + 500,
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        exitCode: 1,
        logLines: CRASH_LINES,
      });
    }
  }

  private taskIdFor(kind: string): string {
    return createHash('sha256').update(`${kind}-${this.nextId()}`).digest('hex').slice(0, 32);
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
      const base = this.stacks.get(this.config.names.stackName(e, 'eu-west-1', 'Service'))?.outputs[
        OUTPUTS.serviceUrl
      ];
      return base !== undefined && url.startsWith(base);
    });
    const running = env ? this.runningImage(env) : undefined;
    if (!running) throw new TypeError('fetch failed');
    const behaviour = this.behaviours.get(running) ?? 'healthy';
    // breaks-api: ECS counts its tasks healthy, but what users reach through the load balancer fails, the
    // health path the smoke test requests included.
    if (behaviour === 'breaks-api') return new Response('{"error":"internal"}', { status: 503 });
    if (url.endsWith('/readyz')) return new Response('{"status":"ready"}', { status: 200 });
    return new Response('[{"id":"p1","name":"Mug","priceCents":1200}]', {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };

  /** The environment a stack belongs to, from its name (`Berth-Test-…`); none for the Global stack. */
  envOf(stackName: string): EnvName | undefined {
    return (['test', 'prod'] as const).find((env) =>
      stackName.startsWith(this.config.names.envStackPrefix(env)),
    );
  }

  digestFor(seed: string): string {
    return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
  }
}

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
   * The Service stack has a release task (infra/lib/constructs/release-task.ts) and outputs it, as a
   * service with a release command will; unset, the stacks are today's, without one.
   */
  withReleaseTask = false;
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
    // In the call log too, so a scenario can tell what ran before the stacks were touched.
    this.model.calls.push(`CDK.deploy ${stackNames.join(' ')}`);
    this.deployed.push({
      stacks: stackNames,
      image: context[IMAGE_CONTEXT_KEY],
      weights: context[PRODUCTION_WEIGHTS_CONTEXT_KEY],
    });
    const applied: StackTemplate[] = [];
    for (const name of stackNames) {
      await this.deployStack(name, context);
      applied.push({
        stackName: name,
        region: this.model.config.global.primaryRegion,
        template: this.templateOf(name),
      });
    }
    return applied;
  }

  templateOf(stackName: string): CfnTemplate {
    return this.app.get(stackName) ?? { Resources: {} };
  }

  private async deployStack(name: string, context: Record<string, unknown>): Promise<void> {
    const model = this.model;
    const region = this.model.config.global.primaryRegion;
    // Each stack's synthesizer carries its environment's qualifier; Berth-Global uses prod's (infra/lib/app.ts).
    const owner = model.envOf(name) ?? GLOBAL_STACK_ENV;
    const qualifier = qualifierOf(model.config, owner);
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
    const env = model.envOf(name);
    const stack: ModelStack = existing ?? {
      status: 'CREATE_IN_PROGRESS',
      outputs: {},
      terminationProtection:
        name === model.config.names.globalStackName || (env === 'prod' && /-(Network|Data)$/.test(name)),
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
    if (name === model.config.names.globalStackName && model.config.global.repositoryName !== undefined)
      stack.outputs[OUTPUTS.repositoryUri] = model.repositoryUri();
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
    // The release the template carries: each built image's digest by image key (infra/lib/image.ts). An app
    // that builds nothing carries none, and its synth refuses an image context.
    const keys = model.config.images.map((i) => i.key);
    const release =
      keys.length === 0
        ? imagesFromContext(context[IMAGE_CONTEXT_KEY], keys).images
        : parseImageSet(String(context[IMAGE_CONTEXT_KEY]), keys);
    const missing = Object.values(release).find((digest) => ![...model.images.values()].includes(digest));
    if (missing !== undefined) {
      // ECS cannot pull an image the registry does not have: tasks stop with CannotPullContainerError.
      stack.status = create ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE';
      throw new Error(`The stack named ${name} failed to deploy: CannotPullContainerError for ${missing}`);
    }
    const config = model.config.environments[env];
    // A built service runs its build's digest from the app's repository; a prebuilt one its reference as written.
    const imageOf = (settings: ResolvedServiceConfig) =>
      'build' in settings.image
        ? `${model.repositoryUri()}@${release[settings.image.build]}`
        : settings.image.prebuilt;
    // One cluster and one load balancer (the environment's URL) per Service stack, shared by its services.
    if (create || stack.outputs[OUTPUTS.clusterName] === undefined) {
      const id = model.nextId();
      Object.assign(stack.outputs, {
        [OUTPUTS.clusterName]: `${name}-Cluster-${id}`,
        // An app of workers only gets no load balancer, so no URL (service-stack.ts).
        ...(config.services.some((s) => s.kind === 'web')
          ? { [OUTPUTS.serviceUrl]: `http://berth-${env}-${id}.eu-west-1.elb.amazonaws.com` }
          : {}),
      });
    }
    const services = config.services.map((settings) => {
      const found = model.service(env, settings.name);
      const initial = create || !found;
      const service = found && !initial ? found : this.createService(name, env, stack, settings);
      // The template sets enableExecuteCommand from the config; running tasks keep theirs until replaced.
      service.enableExecuteCommand = config.exec.enabled;
      return { service, initial };
    });
    const settingsOf = (service: ModelService) => config.services.find((s) => s.name === service.configName)!;
    const releasing = config.services.find((s) => s.release !== undefined) ?? config.services[0]!;
    if (this.withReleaseTask) this.deployReleaseTask(env, stack, imageOf(releasing));

    // A prebuilt image is not in the model's registry: it runs healthy.
    const behaviourOf = (service: ModelService) =>
      model.behaviours.get(imageOf(settingsOf(service)).split('@')[1] ?? '') ?? 'healthy';
    // Same image, same template: CloudFormation changes nothing and ECS starts no deployment.
    const changed = services.filter(
      ({ service }) =>
        model.taskDefinitions.get(service.taskDefinition)?.image !== imageOf(settingsOf(service)),
    );
    const revisions = new Map(
      changed.map(({ service }) => {
        const family = `${model.config.names.taskFamilyPrefix(env)}${pascal(service.configName)}`;
        const arn = `arn:aws:ecs:eu-west-1:${model.account}:task-definition/${family}:${model.nextId()}`;
        return [service, arn] as const;
      }),
    );
    const failing = changed.filter(({ service }) => crashesAsA(behaviourOf(service), service.kind));
    if (failing.length > 0) {
      // The circuit breaker fails each crashing service's deployment and returns it to the last completed one
      // (ECS Developer Guide, "Deployment circuit breaker"); the service resource fails, so CloudFormation rolls
      // the whole stack back, every other service with it, to its previous state (CloudFormation User Guide,
      // "Choose how to handle failures when provisioning resources"): the model leaves those where they were.
      for (const { service, initial } of failing) {
        if (!initial) model.tripCircuitBreaker(service, revisions.get(service)!);
      }
      stack.status = create ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE';
      throw new Error(
        `The stack named ${name} failed to deploy: ${stack.status}: Resource handler returned message: "Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'."`,
      );
    }
    for (const { service, initial } of changed) {
      const arn = revisions.get(service)!;
      model.taskDefinitions.set(arn, { image: imageOf(settingsOf(service)), container: service.configName });
      model.settle(service, arn, initial);
    }
  }

  /**
   * A service as the Service stack creates it from its settings, with its stack outputs (serviceOutputs): a web
   * service behind the load balancer with its target group(s) (two and a production rule for blue/green), a
   * worker with none.
   */
  private createService(
    name: string,
    env: EnvName,
    stack: ModelStack,
    settings: ResolvedServiceConfig,
  ): ModelService {
    const model = this.model;
    const id = model.nextId();
    const keys = serviceOutputs(settings.name);
    const service: ModelService = {
      env,
      cluster: stack.outputs[OUTPUTS.clusterName]!,
      name: `${name}-${pascal(settings.name)}Service-${id}`,
      configName: settings.name,
      kind: settings.kind,
      logGroupName: `${name}-${pascal(settings.name)}Logs-${id}`,
      desiredCount: settings.minTasks,
      taskDefinition: '',
      deployments: [],
      blueGreen: false,
      drainMs: 0,
      bakeMs: 0,
      enableExecuteCommand: false,
      tasks: [],
      stopped: [],
    };
    stack.outputs[keys.serviceName] = service.name;
    stack.outputs[keys.logGroupName] = service.logGroupName;
    if (settings.kind === 'worker' && settings.queue) {
      // SQS queue URLs are https://sqs.<region>.amazonaws.com/<account>/<queue name> (SQS Developer Guide,
      // "Amazon SQS queue and message identifiers"); CloudFormation names the queues after stack and id.
      const queue = (what: string) =>
        `https://sqs.eu-west-1.amazonaws.com/${model.account}/${name}-${pascal(settings.name)}${what}-${id}`;
      stack.outputs[keys.queueUrl] = queue('Queue');
      stack.outputs[keys.deadLetterQueueUrl] = queue('DeadLetterQueue');
    }
    if (settings.kind === 'web') {
      const group = (color: string) =>
        `arn:aws:elasticloadbalancing:eu-west-1:${model.account}:targetgroup/Berth-${env}-${settings.name}-${color}/${id}`;
      const blueGreen = settings.deployment.strategy !== 'rolling';
      Object.assign(service, {
        containerPort: settings.containerPort,
        live: group('blue'),
        ...(blueGreen ? { alternate: group('green') } : {}),
        blueGreen,
        drainMs: settings.deregistrationDelaySeconds * 1000,
        bakeMs: blueGreen ? settings.deployment.bakeTimeMinutes * 60_000 : 0,
      });
      model.targetGroups.set(service.live!, []);
      // The construct outputs the group it attached first (blue); it is live only every other deploy.
      stack.outputs[keys.targetGroupArn] = service.live!;
      if (service.alternate) {
        model.targetGroups.set(service.alternate, []);
        service.productionRule = {
          arn: `arn:aws:elasticloadbalancing:eu-west-1:${model.account}:listener-rule/app/berth-${env}/${id}/${settings.name}/${id}`,
          blue: service.live!,
          green: service.alternate,
        };
        stack.outputs[keys.productionRuleArn] = service.productionRule.arn;
      }
      // A host route answers at that host; a path route at the environment's URL with the path's prefix.
      const base = stack.outputs[OUTPUTS.serviceUrl]!;
      stack.outputs[keys.url] = settings.route.host
        ? `http://${settings.route.host}`
        : `${base}${settings.route.path.replace(/\/?\*$/, '')}`;
    }
    model.services.set(`${service.cluster}/${service.name}`, service);
    return service;
  }

  /**
   * The release task definition as CloudFormation keeps it: a new revision whenever the image changes
   * (AWS::ECS::TaskDefinition: an update replaces it), and the stack's release outputs.
   */
  private deployReleaseTask(env: EnvName, stack: ModelStack, image: string): void {
    const model = this.model;
    const current = stack.outputs[OUTPUTS.releaseTaskDefinitionArn];
    if (current !== undefined && model.taskDefinitions.get(current)?.image === image) return;
    // The service that has the release command (at most one); stacks from before the config said so ran the cart's.
    const settings = model.config.environments[env].services;
    const releasing = settings.find((s) => s.release !== undefined) ?? settings[0]!;
    const service = model.service(env, releasing.name)!;
    const family = `${model.config.names.taskFamilyPrefix(env)}ServiceReleaseTaskDefinition`;
    const revision =
      [...model.taskDefinitions.values()].filter((td) => td.definition?.family === family).length + 1;
    const arn = `arn:aws:ecs:eu-west-1:${model.account}:task-definition/${family}:${revision}`;
    model.taskDefinitions.set(arn, {
      image,
      definition: {
        taskDefinitionArn: arn,
        family,
        revision,
        networkMode: 'awsvpc',
        taskRoleArn: `arn:aws:iam::${model.account}:role/Berth-${env}-ReleaseTaskRole`,
        executionRoleArn: `arn:aws:iam::${model.account}:role/Berth-${env}-ReleaseExecutionRole`,
        requiresCompatibilities: ['EC2'],
        containerDefinitions: [
          {
            name: RELEASE_CONTAINER.name,
            image,
            command: [...(releasing.release?.command ?? ['node', 'dist/migrate-command.js'])],
            essential: true,
          },
        ],
      },
    });
    Object.assign(stack.outputs, {
      [OUTPUTS.releaseTaskDefinitionArn]: arn,
      [OUTPUTS.releaseCapacityProviderName]: `${service.cluster}-CapacityProvider`,
      [OUTPUTS.releaseSubnetIds]: 'subnet-0a1b2c3d4e5f60001,subnet-0a1b2c3d4e5f60002',
      [OUTPUTS.releaseSecurityGroupId]: 'sg-0release0000000001',
      [OUTPUTS.releaseLogGroupName]: service.logGroupName,
      ...(model.config.global.repositoryName === undefined
        ? {}
        : { [OUTPUTS.repositoryUri]: model.repositoryUri() }),
    });
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
      const env = this.model.envOf(name);
      if (env && name.endsWith('-Service')) {
        for (const service of this.model.servicesOf(env)) {
          this.model.deletedServices.push({ name: service.configName, desiredCount: service.desiredCount });
          this.model.services.delete(`${service.cluster}/${service.name}`);
        }
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
  /** What the next pushed image whose tag starts with a key (e.g. `admin-`) does instead of `behaviour`. */
  readonly behaviourByTagPrefix = new Map<string, ImageBehaviour>();
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
        stdout: `tag invalid: The image tag '${tag}' already exists in the '${this.model.config.global.repositoryName}' repository and cannot be overwritten because the repository is immutable.`,
      };
    }
    // Each build yields a new digest (timestamps in the layers), as a real rebuild does.
    const digest = this.model.digestFor(`${tag}#${this.builds}#${args.join(' ')}`);
    this.model.images.set(tag, digest);
    const prefix = [...this.behaviourByTagPrefix.keys()].find((p) => tag.startsWith(p));
    this.model.behaviours.set(
      digest,
      prefix === undefined ? this.behaviour : this.behaviourByTagPrefix.get(prefix)!,
    );
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      args[args.indexOf('--metadata-file') + 1]!,
      JSON.stringify({ 'containerimage.digest': digest }),
    );
    return { code: 0, stdout: '' };
  }
}
