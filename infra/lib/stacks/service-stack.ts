import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type {
  EnvironmentConfig,
  ResolvedServiceConfig,
  WebServiceConfig,
  WorkerServiceConfig,
} from '../../config/environments.js';
import { ecrImage } from '../../config/images.js';
import { QUEUE_URL_VARIABLE, sendsToVariable } from '../../config/services.js';
import { Cluster } from '../constructs/cluster.js';
import type { Database } from '../constructs/database.js';
import { Domain } from '../constructs/domain.js';
import { LoadBalancer } from '../constructs/load-balancer.js';
import { ReleaseTask } from '../constructs/release-task.js';
import { WebAcl } from '../constructs/web-acl.js';
import { pathPrefix, WebService } from '../constructs/web-service.js';
import { WorkerQueue } from '../constructs/worker-queue.js';
import { WorkerService } from '../constructs/worker-service.js';
import { buildKeys, imagesFromContext } from '../image.js';
import {
  type AppNames,
  IMAGE_CONTEXT_KEY,
  OUTPUTS,
  PRODUCTION_WEIGHTS_CONTEXT_KEY,
  pascalCase,
  serviceOutputs,
} from '../naming.js';
import { resolveProductionWeights } from '../production-weights.js';
import { ecsSecrets } from '../service-secrets.js';
import { keepOneServiceLogicalIds } from './one-service-logical-ids.js';
import { addReleaseTaskOutputs } from './release-task-outputs.js';

export interface ServiceStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** The app's names (the Berth AMI's parameter, the stacks `berth exec` operators may read). */
  readonly names: AppNames;
  readonly vpc: ec2.IVpc;
  /** The database whose secret the tasks read and whose security group admits them. */
  readonly database: Database;
  /**
   * The shared repository's name; replication gives every region a local copy, so no cross-region reference.
   * @default - none: every service runs a prebuilt image, so no repository is imported or output
   */
  readonly repositoryName?: string;
}

/** A web service and its resolved settings, as the Monitoring stack watches it. */
export interface ComposedWebService {
  readonly config: WebServiceConfig;
  readonly construct: WebService;
}

/** A worker and its resolved settings. */
export interface ComposedWorker {
  readonly config: WorkerServiceConfig;
  readonly construct: WorkerService;
  /** Present when the worker has a `queue`. */
  readonly queue?: WorkerQueue;
}

/**
 * Compute and traffic: the ECS cluster with its EC2 capacity, the environment's one load balancer, every
 * service of the app (web ones behind the load balancer, workers with no ingress), and the release task of
 * the service that has a release command.
 */
export class ServiceStack extends Stack {
  public readonly cluster: Cluster;
  /** Absent when the app has no web service (workers only): nothing to route, no URL. */
  public readonly loadBalancer?: LoadBalancer;
  /** In config order. */
  public readonly webServices: readonly ComposedWebService[];
  /** In config order. */
  public readonly workers: readonly ComposedWorker[];
  /** Present when a service has a release command. */
  public readonly releaseTask?: ReleaseTask;
  public readonly databaseSecret: secretsmanager.ISecret;
  /** Present when `waf.enabled`. */
  public readonly webAcl?: WebAcl;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config } = props;
    // The only place the images are read: from context, so an infra-only synth keeps a placeholder.
    const { images, isPlaceholder } = imagesFromContext(
      this.node.tryGetContext(IMAGE_CONTEXT_KEY),
      buildKeys(config.services),
    );
    if (isPlaceholder) {
      Annotations.of(this).addWarningV2(
        'berth:placeholder-image',
        `No image in context ${IMAGE_CONTEXT_KEY}: synthesized with a placeholder that cannot be deployed. Use \`berth deploy\`, which passes the digest.`,
      );
    }

    const webConfigs = config.services.filter((s): s is WebServiceConfig => s.kind === 'web');
    const workerConfigs = config.services.filter((s): s is WorkerServiceConfig => s.kind === 'worker');
    const firstWeb = webConfigs[0]?.name ?? '';
    const weightsContext = this.node.tryGetContext(PRODUCTION_WEIGHTS_CONTEXT_KEY);
    const missingWeights = webConfigs.filter(
      (s) =>
        s.deployment.strategy !== 'rolling' &&
        resolveProductionWeights(weightsContext, s.name, firstWeb) === undefined,
    );
    if (missingWeights.length > 0) {
      Annotations.of(this).addWarningV2(
        'berth:production-weights',
        `No live weights in context ${PRODUCTION_WEIGHTS_CONTEXT_KEY} for ${missingWeights.map((s) => s.name).join(', ')}: the production rule is rendered 100/0, right only for a first deploy. \`berth deploy\` reads them from the running rule.`,
      );
    }

    this.cluster = new Cluster(this, 'Cluster', {
      envName: config.name,
      names: props.names,
      vpc: props.vpc,
      instanceType: config.cluster.instanceType,
      architecture: config.cluster.architecture,
      amiSource: config.cluster.amiSource,
      minInstances: config.cluster.minInstances,
      maxInstances: config.cluster.maxInstances,
      targetCapacityPercent: config.cluster.targetCapacityPercent,
      rootVolumeGiB: config.cluster.rootVolumeGiB,
      exec: config.exec.enabled
        ? { logRetentionDays: config.logRetentionDays, containerNames: config.services.map((s) => s.name) }
        : undefined,
    });
    this.databaseSecret = props.database.secret;
    // Web tasks run in bridge mode on the instances' network, so their connections come from the instances'
    // group: it is admitted when a web service has the database. Workers and the release task have groups of
    // their own (awsvpc), admitted one by one below. The rules are created in this stack (they reference the
    // Data stack's group), so Data never depends on Service and the two deploy and destroy in order.
    if (webConfigs.some((s) => s.database)) {
      props.database.allowFrom(this.cluster.instanceSecurityGroup);
    }
    const databaseSecretFor = (s: ResolvedServiceConfig) => (s.database ? props.database.secret : undefined);

    const domain = config.domain ? new Domain(this, 'Domain', config.domain) : undefined;
    const repository =
      props.repositoryName === undefined
        ? undefined
        : ecr.Repository.fromRepositoryName(this, 'Repository', props.repositoryName);
    // Once per service: its release task reuses the same (imported) repository.
    const imageByService = new Map<string, ReturnType<typeof serviceImage>>();
    const imageOf = (s: ResolvedServiceConfig) => {
      const found = imageByService.get(s.name) ?? serviceImage(this, s, repository, images);
      imageByService.set(s.name, found);
      return found;
    };
    const loadBalancer =
      webConfigs.length === 0
        ? undefined
        : new LoadBalancer(this, 'LoadBalancer', {
            envName: config.name,
            vpc: props.vpc,
            instanceSecurityGroup: this.cluster.instanceSecurityGroup,
            certificateArn: domain?.certificate.certificateArn,
            accessLogPrefix: props.names.resourcePrefix(config.name),
            deletionProtection: config.name === 'prod',
          });
    this.loadBalancer = loadBalancer;
    const queues = this.createQueues(workerConfigs);
    const tracing = config.tracing.enabled ? { sampleRatio: config.tracing.sampleRatio } : undefined;

    this.webServices = webConfigs.map((s) => {
      const construct = new WebService(this, pascalCase(s.name), {
        envName: config.name,
        name: s.name,
        loadBalancer: loadBalancer!,
        route: s.route,
        vpc: props.vpc,
        cluster: this.cluster.cluster,
        capacityProvider: this.cluster.capacityProvider,
        ...imageOf(s),
        command: s.command ? [...s.command] : undefined,
        databaseSecret: databaseSecretFor(s),
        environment: withQueueUrls(s, queues),
        secrets: ecsSecrets(this, `${pascalCase(s.name)}Secrets`, s.secrets),
        service: s,
        logRetentionDays: config.logRetentionDays,
        tracing: config.tracing,
        productionWeights: resolveProductionWeights(weightsContext, s.name, firstWeb),
        exec: this.cluster.exec,
      });
      grantSends(s, queues, construct.taskDefinition);
      return { config: s, construct };
    });

    this.workers = workerConfigs.map((s) => {
      const construct = new WorkerService(this, pascalCase(s.name), {
        vpc: props.vpc,
        cluster: this.cluster.cluster,
        capacityProvider: this.cluster.capacityProvider,
        name: s.name,
        ...imageOf(s),
        command: s.command ? [...s.command] : undefined,
        cpu: s.cpu,
        memoryMiB: s.memoryMiB,
        logRetentionDays: config.logRetentionDays,
        environment: withQueueUrls(s, queues),
        secrets: ecsSecrets(this, `${pascalCase(s.name)}Secrets`, s.secrets),
        databaseSecret: databaseSecretFor(s),
        tracing,
        minTasks: s.minTasks,
        maxTasks: s.maxTasks,
        cpuTargetPercent: s.scaling.cpuPercent,
        // Consume permissions and the backlog-per-task scaling policy (worker-service.ts).
        queueScaling: queues.has(s.name)
          ? { queue: queues.get(s.name)!.queue, messagesPerTask: s.scaling.messagesPerTask }
          : undefined,
        stopTimeout: Duration.seconds(s.stopTimeoutSeconds),
        minHealthyPercent: s.deployment.minHealthyPercent,
        maxHealthyPercent: s.deployment.maxPercent,
        // The Monitoring stack owns the alarms, beside the topic they notify.
        alarms: false,
      });
      if (s.database) {
        props.database.allowFrom(construct.securityGroup, `PostgreSQL from the ${s.name} worker`);
      }
      grantSends(s, queues, construct.taskDefinition);
      return { config: s, construct, queue: queues.get(s.name) };
    });

    const released = config.services.find((s) => s.release !== undefined);
    if (released?.release) {
      const logGroup = [...this.webServices, ...this.workers].find((c) => c.config.name === released.name)!
        .construct.logGroup;
      this.releaseTask = new ReleaseTask(this, 'ReleaseTask', {
        vpc: props.vpc,
        capacityProvider: this.cluster.capacityProvider,
        ...imageOf(released),
        command: [...released.release.command],
        logGroup,
        cpu: released.release.cpu,
        memoryMiB: released.release.memoryMiB,
        databaseSecret: databaseSecretFor(released),
        environment: released.environment,
        secrets: ecsSecrets(this, 'ReleaseTaskSecrets', released.secrets),
      });
      if (released.database) {
        props.database.allowFrom(this.releaseTask.securityGroup, 'PostgreSQL from the release task');
      }
      addReleaseTaskOutputs(this, this.releaseTask);
    }

    // resolve.ts turns WAF off for an app without web services (no load balancer).
    if (config.waf.enabled && loadBalancer) {
      this.webAcl = new WebAcl(this, 'Waf', {
        envName: config.name,
        name: props.names.resourcePrefix(config.name),
        loadBalancerArn: loadBalancer.loadBalancer.loadBalancerArn,
        mode: config.waf.mode,
        ratePerFiveMinutes: config.waf.ratePerFiveMinutes,
        logRetentionDays: config.waf.logRetentionDays ?? config.logRetentionDays,
      });
    }

    if (loadBalancer) {
      // checkServices refuses a domain without a web service, so a domain always has the load balancer.
      domain?.routeTo(loadBalancer.loadBalancer);
      // An environment deployed when the app had one service keeps its load balancer (and so its URL).
      keepOneServiceLogicalIds(loadBalancer);
    }

    // With a domain, the URL is the name the certificate covers: the load balancer's own DNS name fails TLS checks.
    // No load balancer (workers only): no URL at all, and the CLI prints and checks none.
    const environmentUrl = domain?.url ?? loadBalancer?.url ?? '';
    if (loadBalancer) new CfnOutput(this, OUTPUTS.serviceUrl, { value: environmentUrl });
    if (repository) new CfnOutput(this, OUTPUTS.repositoryUri, { value: repository.repositoryUri });
    new CfnOutput(this, OUTPUTS.clusterName, { value: this.cluster.cluster.clusterName });
    for (const { config: s, construct } of this.webServices) {
      const keys = serviceOutputs(s.name);
      new CfnOutput(this, keys.serviceName, { value: construct.service.serviceName });
      new CfnOutput(this, keys.logGroupName, { value: construct.logGroup.logGroupName });
      new CfnOutput(this, keys.targetGroupArn, { value: construct.targetGroup.targetGroupArn });
      if (construct.productionRule) {
        new CfnOutput(this, keys.productionRuleArn, { value: construct.productionRule.listenerRuleArn });
      }
      new CfnOutput(this, keys.url, { value: serviceUrl(environmentUrl, s) });
    }
    for (const { config: s, construct, queue } of this.workers) {
      const keys = serviceOutputs(s.name);
      new CfnOutput(this, keys.serviceName, { value: construct.service.serviceName });
      new CfnOutput(this, keys.logGroupName, { value: construct.logGroup.logGroupName });
      if (queue) {
        new CfnOutput(this, keys.queueUrl, { value: queue.queue.queueUrl });
        new CfnOutput(this, keys.deadLetterQueueUrl, { value: queue.deadLetterQueue.queueUrl });
      }
    }
    if (this.cluster.exec) {
      // What operators attach to use `berth exec` here (docs/runbook-exec.md).
      new CfnOutput(this, 'ExecOperatorPolicyArn', {
        value: this.cluster.exec.operatorPolicy.managedPolicyArn,
      });
    }
    new CfnOutput(this, OUTPUTS.autoScalingGroupName, {
      value: this.cluster.autoScalingGroup.autoScalingGroupName,
    });
  }

  /** Each worker's queue (the workers that have one), by worker name. */
  private createQueues(workers: readonly WorkerServiceConfig[]): Map<string, WorkerQueue> {
    const queues = new Map<string, WorkerQueue>();
    for (const s of workers) {
      if (s.queue === undefined) continue;
      // `-Queue`: a Pascal-case service id never has a hyphen, so no service's construct can take this id.
      const queue = new WorkerQueue(this, `${pascalCase(s.name)}-Queue`, {
        visibilityTimeout: Duration.seconds(s.queue.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(s.queue.retentionDays),
        maxReceiveCount: s.queue.maxReceiveCount,
      });
      queues.set(s.name, queue);
    }
    return queues;
  }
}

/** The user's environment plus the queue URLs Berth sets: the worker's own QUEUE_URL, a sender's <NAME>_QUEUE_URL. */
function withQueueUrls(
  s: ResolvedServiceConfig,
  queues: ReadonlyMap<string, WorkerQueue>,
): Record<string, string> {
  const own = queues.get(s.name);
  return {
    ...s.environment,
    ...(s.kind === 'worker' && own ? { [QUEUE_URL_VARIABLE]: own.queue.queueUrl } : {}),
    ...Object.fromEntries(s.sendsTo.map((to) => [sendsToVariable(to), queues.get(to)!.queue.queueUrl])),
  };
}

/** Send permission on exactly the queues the service lists (checkServices: each has one), to its task role. */
function grantSends(
  s: ResolvedServiceConfig,
  queues: ReadonlyMap<string, WorkerQueue>,
  taskDefinition: ecs.TaskDefinition,
): void {
  for (const to of s.sendsTo) queues.get(to)!.queue.grantSendMessages(taskDefinition.taskRole);
}

/**
 * Where a web service answers: `http(s)://<host>` for a host route (the scheme of the environment's URL), else
 * the environment's URL with the literal start of its path (`/api/*` → `<url>/api`).
 */
function serviceUrl(environmentUrl: string, service: WebServiceConfig): string {
  const scheme = environmentUrl.startsWith('https://') ? 'https' : 'http';
  if (service.route.host !== undefined) return `${scheme}://${service.route.host}`;
  return `${environmentUrl}${pathPrefix(service.route.path)}`;
}

/**
 * Where a service's image comes from, as the task constructs take it: a built image by its digest (or tag) in
 * the app's repository; a prebuilt one in a private ECR repository by its digest or tag there, so the
 * execution role is granted pull on exactly that repository; any other prebuilt one as its full reference
 * (a public registry: no permission to grant).
 */
function serviceImage(
  scope: Construct,
  service: ResolvedServiceConfig,
  repository: ecr.IRepository | undefined,
  images: Readonly<Record<string, string>>,
): { repository?: ecr.IRepository; image: string } {
  // A built image implies the app's repository (resolve.ts names one whenever a service builds).
  if ('build' in service.image) return { repository: repository!, image: images[service.image.build]! };
  const reference = service.image.prebuilt;
  const ecrReference = ecrImage(reference);
  if (ecrReference === undefined) return { image: reference };
  const { partition, account, region, repositoryName, tagOrDigest } = ecrReference;
  return {
    repository: ecr.Repository.fromRepositoryAttributes(scope, `${pascalCase(service.name)}ImageRepository`, {
      repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${repositoryName}`,
      repositoryName,
    }),
    image: tagOrDigest,
  };
}
