/**
 * The resolved, internal shape of an environment: what `berth.config.ts` (schema.ts) becomes once Berth's
 * defaults are filled in (resolve.ts). Stacks receive these plain typed values, never env lookups.
 */

export const ENV_NAMES = ['test', 'prod'] as const;
export type EnvName = (typeof ENV_NAMES)[number];

export const REGIONS = ['us-east-1', 'eu-west-1', 'eu-west-2'] as const;
export type Region = (typeof REGIONS)[number];

/** How a new task definition replaces the old one. */
export type DeployStrategy = 'rolling' | 'blue-green' | 'canary';

/** Which AMI the container instances boot from. */
export type AmiSource =
  /**
   * The parameter `/berth/<env>/ami/<arch>`: the AMI our Packer pipeline publishes (docs/ami.md). It
   * must exist before the first deploy (CloudFormation cannot fall back from a missing parameter):
   * publish the first Packer AMI, or AWS's current ECS-optimized one with
   * `berth ami publish <env> --aws-recommended`; the monthly pipeline replaces it (docs/deploy.md).
   */
  | 'berth'
  /** AWS's ECS-optimized Amazon Linux 2023 public SSM parameter, read directly: no Berth AMI ever. */
  | 'aws-ecs-al2023';

export type Architecture = 'x86_64' | 'arm64';

export interface HealthCheckConfig {
  /** Path the load balancer probes; the service answers 503 while draining. */
  readonly path: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface DeploymentConfig {
  readonly strategy: DeployStrategy;
  readonly minHealthyPercent: number;
  readonly maxPercent: number;
  /** Blue/green and canary: how long the new revision serves before the old one is retired. */
  readonly bakeTimeMinutes: number;
  /** Canary only: share of traffic sent to the new revision during the bake. */
  readonly canaryPercent: number;
}

export interface NetworkConfig {
  /** VPC CIDR, a /16 by default; subnets are /24s carved from it in order (public a, public b, private a, private b). */
  readonly cidr: string;
  /** 1 shares one NAT gateway (cheap, one AZ of egress); 2 gives each AZ its own. */
  readonly natGateways: 1 | 2;
  /**
   * Interface endpoints for ECR, ECS, logs, Secrets Manager, Session Manager (ssm, ssmmessages, ec2messages)
   * and CloudWatch metrics (+ S3 gateway): private egress at ~$7/endpoint/AZ/month.
   */
  readonly vpcEndpoints: boolean;
}

export interface ClusterConfig {
  readonly instanceType: string;
  readonly architecture: Architecture;
  readonly amiSource: AmiSource;
  readonly minInstances: number;
  readonly maxInstances: number;
  /** Capacity provider managed scaling target: % of the group's capacity ECS tries to keep in use. */
  readonly targetCapacityPercent: number;
  readonly rootVolumeGiB: number;
}

export interface ServiceConfig {
  readonly containerPort: number;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly healthCheck: HealthCheckConfig;
  /** Seconds the service keeps serving after SIGTERM (SHUTDOWN_DRAIN_SECONDS) while the LB deregisters it. */
  readonly drainSeconds: number;
  /** Target group deregistration delay; matched to drainSeconds. */
  readonly deregistrationDelaySeconds: number;
  /** ECS stopTimeout: SIGKILL this long after SIGTERM; <= 30 s on EC2 is what we promise. */
  readonly stopTimeoutSeconds: number;
  /** Time the service gets to start (migrations) before failing health checks count. */
  readonly healthCheckGracePeriodSeconds: number;
  readonly deployment: DeploymentConfig;
  /** Autoscaling targets. */
  readonly scaling: {
    readonly cpuPercent: number;
    readonly memoryPercent: number;
    readonly requestsPerTarget: number;
  };
}

/** A secret ECS injects when the task starts (schema.ts `SecretReference`, as the user wrote it). */
export type SecretReferenceConfig =
  | { readonly ssm: string }
  | { readonly secretsManager: string; readonly key?: string };

/** The one-off release task of a service, sized for the environment. */
export interface ReleaseConfig {
  readonly command: readonly string[];
  readonly cpu: number;
  readonly memoryMiB: number;
}

/** Which requests the load balancer sends to a web service. */
export interface RouteConfig {
  /** ALB path pattern; `/*` with no host is the catch-all. */
  readonly path: string;
  /** Host header condition. @default - any host */
  readonly host?: string;
  /** Listener rule priority (1 to 50000, lower first). */
  readonly priority: number;
}

/**
 * Where a service's image comes from: `{ build: key }`, the image Berth builds from the build of that key
 * (ResolvedConfig.images) and deploys by digest, or `{ prebuilt: reference }`, an image reference run as given.
 */
export type ServiceImageConfig = { readonly build: string } | { readonly prebuilt: string };

/** What every resolved service has, whatever its kind. */
export interface ServiceCommonConfig {
  /** Its name in `services`: the container's name, its log stream prefix, its construct id (Pascal case). */
  readonly name: string;
  /** The image its tasks (and its release task) run. */
  readonly image: ServiceImageConfig;
  /** Overrides the image's CMD. @default - the image's CMD */
  readonly command?: readonly string[];
  /** Plain settings the user gave (Berth adds its own: PORT, PG*, …). */
  readonly environment: Readonly<Record<string, string>>;
  /** Secret settings by variable name, injected as ECS secrets. */
  readonly secrets: Readonly<Record<string, SecretReferenceConfig>>;
  /** Database credentials injected and the service's tasks admitted to the database. */
  readonly database: boolean;
  /** The release task this service's image runs before each rollout. @default - none */
  readonly release?: ReleaseConfig;
  /** Workers whose queue it may send to (each has a `queue`), in the order the user listed them. */
  readonly sendsTo: readonly string[];
}

/** A web service in an environment: today's ServiceConfig plus its name, route and settings. */
export interface WebServiceConfig extends ServiceConfig, ServiceCommonConfig {
  readonly kind: 'web';
  readonly route: RouteConfig;
}

/** A worker in an environment: no port, no route, no health check; rolling deployments. */
export interface WorkerServiceConfig extends ServiceCommonConfig {
  readonly kind: 'worker';
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  /** SIGTERM to SIGKILL, 2 to 120 s (ECS on EC2). */
  readonly stopTimeoutSeconds: number;
  /** `messagesPerTask`: the backlog per task the queue scaling holds (used only with a queue). */
  readonly scaling: { readonly cpuPercent: number; readonly messagesPerTask: number };
  readonly deployment: { readonly minHealthyPercent: number; readonly maxPercent: number };
  /** The SQS queue it consumes. @default - none: scaled on CPU only */
  readonly queue?: QueueConfig;
}

/** A worker's SQS queue (schema.ts `QueueDefinition`, defaults filled in). */
export interface QueueConfig {
  readonly visibilityTimeoutSeconds: number;
  readonly retentionDays: number;
  /** Failed receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Age of the oldest message above which the alarm fires. */
  readonly maxMessageAgeMinutes: number;
}

export type ResolvedServiceConfig = WebServiceConfig | WorkerServiceConfig;

export interface DatabaseConfig {
  /** RDS instance class without the `db.` prefix handling: e.g. `t4g.micro`. */
  readonly instanceClass: string;
  /** PostgreSQL major version; the local embedded server runs the same major (docs/architecture.md: upgrading from 16). */
  readonly engineVersion: '18';
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly multiAz: boolean;
  readonly deletionProtection: boolean;
  readonly backupRetentionDays: number;
}

/** A public Route 53 hosted zone that already exists (Berth does not create or own it). */
export interface HostedZoneConfig {
  /** The zone's id as Route 53 prints it, without the `/hostedzone/` prefix: e.g. `Z0123456789ABCDEFGHIJ`. */
  readonly id: string;
  /** The zone's domain name, e.g. `example.org`; the service's `name` must be this or a name inside it. */
  readonly name: string;
}

/**
 * Serve the environment at a real name over HTTPS: an alias record in `hostedZone` points `name` at the load
 * balancer, 443 serves with a modern TLS policy and 80 redirects to it. `ServiceUrl`, the URL `berth deploy`
 * prints and smoke-tests, becomes `https://<name>`.
 */
export interface DomainConfig {
  /** The fully qualified name the service answers on, e.g. `shop.example.org` (lower case, no trailing dot). */
  readonly name: string;
  /** The existing public zone that holds `name`; it also holds the certificate's DNS validation record. */
  readonly hostedZone: HostedZoneConfig;
  /**
   * An ACM certificate for `name` in the environment's region, when you manage certificates yourself.
   * @default - the stack creates a public certificate for `name`, validated by DNS in `hostedZone`
   */
  readonly certificateArn?: string;
}

/** Whether a WAF rule acts on what it matches, or only counts it (to try the rules on real traffic first). */
export type WafMode = 'count' | 'block';

export interface WafConfig {
  /** A regional AWS WAF web ACL in front of the ALB (~$10/month + $0.60 per million requests, `berth plan`). */
  readonly enabled: boolean;
  /**
   * `block`: matching requests get a 403. `count`: every rule only counts (CloudWatch metrics and the WAF
   * log show what would have been blocked): turn it on this way, read the log, then switch to `block`.
   */
  readonly mode: WafMode;
  /** Requests one client IP may send in any 5 minutes before the rate rule acts (AWS allows 10 to 2,000,000,000). */
  readonly ratePerFiveMinutes: number;
  /** Retention of the WAF request log (`aws-waf-logs-…`). @default - the environment's logRetentionDays */
  readonly logRetentionDays?: number;
}

/**
 * ECS Exec: `berth exec <env>` opens a shell (or runs one command) in a running task through Session Manager,
 * with no SSH and no open port (docs/runbook-exec.md). Every session is encrypted with a KMS key and its output
 * logged to a CloudWatch log group; CloudTrail records each ExecuteCommand call.
 */
export interface ExecConfig {
  /**
   * On: the cluster gets the exec configuration (KMS key, encrypted log group), the service
   * `enableExecuteCommand`, the task role the Session Manager channel permissions. Off: none of it exists.
   * Turning it on or off reaches running tasks only after they are replaced (the next deploy).
   */
  readonly enabled: boolean;
}

export interface EnvironmentConfig {
  readonly name: EnvName;
  /** The AWS account the environment deploys to. */
  readonly account: string;
  /**
   * CDK bootstrap qualifier of this environment's bootstrap roles (`cdk-<qualifier>-deploy-role-…`). Test
   * and prod each get their own, bootstrapped with a restricted execution policy, so the test CI role
   * cannot deploy prod even in a shared account (`bootstrapCommand` in infra/lib/bootstrap.ts prints how).
   * Lower-case letters and digits, at most 10 (what `cdk bootstrap --qualifier` accepts).
   */
  readonly bootstrapQualifier: string;
  /** First region is the primary one (registry home, global resources). */
  readonly regions: readonly Region[];
  readonly network: NetworkConfig;
  readonly cluster: ClusterConfig;
  /** Every service of the app, sized for this environment, in the order of `services` in berth.config.ts. */
  readonly services: readonly ResolvedServiceConfig[];
  readonly database: DatabaseConfig;
  /** A name with HTTPS for this environment. @default - plain HTTP on the load balancer's DNS name */
  readonly domain?: DomainConfig;
  /** AWS WAF on the load balancer: managed rule groups and a per-IP rate limit. */
  readonly waf: WafConfig;
  /** Request tracing: the service's OpenTelemetry spans go through an ADOT collector sidecar to AWS X-Ray. */
  readonly tracing: TracingConfig;
  /** Who hears the alarms. Prod refuses to deploy with no subscriber unless the gap is waived with a reason. */
  readonly alarms?: AlarmsConfig;
  readonly logRetentionDays: number;
  /** Shell access into running tasks (`berth exec`): on in test, off in prod until an incident needs it. */
  readonly exec: ExecConfig;
}

export interface TracingConfig {
  /** Adds the collector sidecar and the X-Ray write permissions, and turns the service's tracing on (TRACING=otlp). */
  readonly enabled: boolean;
  /**
   * Share of new traces recorded, 0..1 (TRACING_SAMPLE_RATIO). Requests arriving with a sampled W3C traceparent
   * are always recorded. X-Ray charges per trace recorded (`berth plan` prices it).
   */
  readonly sampleRatio: number;
}

export interface AlarmsConfig {
  /** Alarm notifications go to this address (confirm the SNS subscription e-mail). @default - nobody is notified */
  readonly email?: string;
  /**
   * Why this environment may run with alarms that notify nobody (prod refuses otherwise). `berth plan` prints it
   * as a warning on every run, so the waiver stays visible until an address is set.
   * @default - no waiver: prod without `email` is a config error
   */
  readonly waiveSubscriber?: string;
}

/** Account-wide settings: where the shared image registry lives and which repository CI deploys from. */
export interface GlobalConfig {
  readonly account: string;
  readonly primaryRegion: Region;
  /** `owner/name` of the GitHub repository allowed to assume the deploy roles. */
  readonly githubRepository: string;
  /** GitHub environment whose protection rules gate prod deploys. */
  readonly githubProdEnvironment: string;
  /**
   * The app's image repository (`<app>/<name>`), created by Berth-Global.
   * @default - no repository: every service runs a prebuilt image, so Berth builds and pushes nothing
   */
  readonly repositoryName?: string;
  /**
   * The account's existing GitHub OIDC provider (an account has at most one per URL). Find it with
   * `aws iam list-open-id-connect-providers`; leave unset and Berth-Global creates one.
   * @default - Berth-Global creates the provider
   */
  readonly githubOidcProviderArn?: string;
}

/** Fixed so synth never looks availability zones up (no credentials, no network). */
export const AVAILABILITY_ZONES: Record<Region, readonly [string, string]> = {
  'us-east-1': ['us-east-1a', 'us-east-1b'],
  'eu-west-1': ['eu-west-1a', 'eu-west-1b'],
  'eu-west-2': ['eu-west-2a', 'eu-west-2b'],
};
