import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type {
  EnvironmentConfig,
  ResolvedServiceConfig,
  WebServiceConfig,
  WorkerServiceConfig,
} from '../../config/environments.js';
import { ecrImage } from '../../config/images.js';
import { Cluster } from '../constructs/cluster.js';
import type { Database } from '../constructs/database.js';
import { Domain } from '../constructs/domain.js';
import { LoadBalancer } from '../constructs/load-balancer.js';
import { ReleaseTask } from '../constructs/release-task.js';
import { WebAcl } from '../constructs/web-acl.js';
import { pathPrefix, WebService } from '../constructs/web-service.js';
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
import { addReleaseTaskOutputs } from './release-task-outputs.js';

export interface ServiceStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** The app's names (the Berth AMI's parameter, the stacks `berth exec` operators may read). */
  readonly names: AppNames;
  readonly vpc: ec2.IVpc;
  /** The database whose secret the tasks read and whose security group admits them. */
  readonly database: Database;
  /** The shared repository's name; replication gives every region a local copy, so no cross-region reference. */
  readonly repositoryName: string;
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
}

/**
 * Compute and traffic: the ECS cluster with its EC2 capacity, the environment's one load balancer, every
 * service of the app (web ones behind the load balancer, workers with no ingress), and the release task of
 * the service that has a release command.
 */
export class ServiceStack extends Stack {
  public readonly cluster: Cluster;
  public readonly loadBalancer: LoadBalancer;
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

    // Transition: the deprecated `config.service` is the first web service's sizing (resolve.ts makes them
    // equal), so code of the one-service era that edits it still reaches the stack. Goes with `service`.
    const webConfigs = config.services
      .filter((s): s is WebServiceConfig => s.kind === 'web')
      .map((s, i) => (i === 0 ? { ...s, ...config.service } : s));
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
    const repository = ecr.Repository.fromRepositoryName(this, 'Repository', props.repositoryName);
    // Once per service: its release task reuses the same (imported) repository.
    const imageByService = new Map<string, ReturnType<typeof serviceImage>>();
    const imageOf = (s: ResolvedServiceConfig) => {
      const found = imageByService.get(s.name) ?? serviceImage(this, s, repository, images);
      imageByService.set(s.name, found);
      return found;
    };
    this.loadBalancer = new LoadBalancer(this, 'LoadBalancer', {
      envName: config.name,
      vpc: props.vpc,
      instanceSecurityGroup: this.cluster.instanceSecurityGroup,
      certificateArn: domain?.certificate.certificateArn,
      accessLogPrefix: props.names.resourcePrefix(config.name),
      deletionProtection: config.name === 'prod',
    });
    const tracing = config.tracing.enabled ? { sampleRatio: config.tracing.sampleRatio } : undefined;

    this.webServices = webConfigs.map((s) => {
      const construct = new WebService(this, pascalCase(s.name), {
        envName: config.name,
        name: s.name,
        loadBalancer: this.loadBalancer,
        route: s.route,
        vpc: props.vpc,
        cluster: this.cluster.cluster,
        capacityProvider: this.cluster.capacityProvider,
        ...imageOf(s),
        command: s.command ? [...s.command] : undefined,
        databaseSecret: databaseSecretFor(s),
        environment: s.environment,
        secrets: ecsSecrets(this, `${pascalCase(s.name)}Secrets`, s.secrets),
        service: s,
        logRetentionDays: config.logRetentionDays,
        tracing: config.tracing,
        productionWeights: resolveProductionWeights(weightsContext, s.name, firstWeb),
        exec: this.cluster.exec,
      });
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
        environment: s.environment,
        secrets: ecsSecrets(this, `${pascalCase(s.name)}Secrets`, s.secrets),
        databaseSecret: databaseSecretFor(s),
        tracing,
        minTasks: s.minTasks,
        maxTasks: s.maxTasks,
        cpuTargetPercent: s.scaling.cpuPercent,
        stopTimeout: Duration.seconds(s.stopTimeoutSeconds),
        minHealthyPercent: s.deployment.minHealthyPercent,
        maxHealthyPercent: s.deployment.maxPercent,
        // The Monitoring stack owns the alarms, beside the topic they notify.
        alarms: false,
      });
      if (s.database) {
        props.database.allowFrom(construct.securityGroup, `PostgreSQL from the ${s.name} worker`);
      }
      return { config: s, construct };
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

    if (config.waf.enabled) {
      this.webAcl = new WebAcl(this, 'Waf', {
        envName: config.name,
        name: props.names.resourcePrefix(config.name),
        loadBalancerArn: this.loadBalancer.loadBalancer.loadBalancerArn,
        mode: config.waf.mode,
        ratePerFiveMinutes: config.waf.ratePerFiveMinutes,
        logRetentionDays: config.waf.logRetentionDays ?? config.logRetentionDays,
      });
    }

    domain?.routeTo(this.loadBalancer.loadBalancer);

    // With a domain, the URL is the name the certificate covers: the load balancer's own DNS name fails TLS checks.
    const environmentUrl = domain?.url ?? this.loadBalancer.url;
    new CfnOutput(this, OUTPUTS.serviceUrl, { value: environmentUrl });
    new CfnOutput(this, OUTPUTS.repositoryUri, { value: repository.repositoryUri });
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
    for (const { config: s, construct } of this.workers) {
      const keys = serviceOutputs(s.name);
      new CfnOutput(this, keys.serviceName, { value: construct.service.serviceName });
      new CfnOutput(this, keys.logGroupName, { value: construct.logGroup.logGroupName });
    }
    this.addLegacyOutputs();
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

  /** @deprecated The first web service (what one-service code read); use `webServices`. */
  get web(): WebService {
    return this.webServices[0]!.construct;
  }

  /**
   * The one-service outputs, for the first web service, while the CLI still reads them (naming.ts marks the
   * keys deprecated); removed once every command reads `serviceOutputs(name)`.
   */
  private addLegacyOutputs(): void {
    const web = this.web;
    new CfnOutput(this, OUTPUTS.serviceName, { value: web.service.serviceName });
    new CfnOutput(this, OUTPUTS.logGroupName, { value: web.logGroup.logGroupName });
    new CfnOutput(this, OUTPUTS.targetGroupArn, { value: web.targetGroup.targetGroupArn });
    if (web.productionRule) {
      new CfnOutput(this, OUTPUTS.productionRuleArn, { value: web.productionRule.listenerRuleArn });
    }
  }
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
  repository: ecr.IRepository,
  images: Readonly<Record<string, string>>,
): { repository?: ecr.IRepository; image: string } {
  if ('build' in service.image) return { repository, image: images[service.image.build]! };
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
