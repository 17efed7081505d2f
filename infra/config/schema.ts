/**
 * The schema of `berth.config.ts`, the file a user owns at the root of their repository. These doc
 * comments are the config reference: `npm run docs:config` turns them into docs/config-reference.md.
 * Everything optional here has a default Berth chooses per environment (infra/config/defaults.ts).
 */
import type {
  AmiSource,
  Architecture,
  DeployStrategy,
  DomainConfig,
  EnvName,
  Region,
  WafMode,
} from './environments.js';

/** The whole file: `export default defineConfig({ ... })`. */
export interface BerthConfig {
  /**
   * The application's name: lower-case letters, digits and hyphens, starting with a letter (at most 20).
   * It names the stacks (`shop` → `Shop-Test-eu-west-1-Network`, `Shop-Global`), the SSM parameters
   * (`/shop/test/image-digest`) and the image repository (`shop/<service>`). Changing it later creates new
   * stacks beside the old ones.
   */
  readonly app: string;
  /** The GitHub repository whose workflows deploy (through OIDC roles, no stored keys). */
  readonly github: GithubConfig;
  /**
   * The account-wide stack (`<App>-Global`): the GitHub OIDC provider, the CI roles and the image registry.
   * @default - prod's account and first region
   */
  readonly global?: GlobalAccountConfig;
  /**
   * The services to run, by name (lower-case letters, digits and hyphens): `web` ones behind the environment's
   * load balancer, `worker` ones with no inbound traffic. Each runs the image of its `build` (services with the
   * same build share it) or a prebuilt `image`. The name is the container's name, its log stream prefix and
   * its stack outputs' prefix.
   */
  readonly services: Readonly<Record<string, ServiceDefinition>>;
  /** Where and how big each environment is: `test` (built from `main`) and `prod` (promoted by digest). */
  readonly environments: Readonly<Record<EnvName, EnvironmentDefinition>>;
}

export interface GithubConfig {
  /** `owner/name` of the repository allowed to assume the deploy roles, e.g. `acme/shop`. */
  readonly repository: string;
  /**
   * The GitHub environment (with required reviewers) that gates prod deploys.
   * @default 'prod'
   */
  readonly prodEnvironment?: string;
}

export interface GlobalAccountConfig {
  /** The 12-digit AWS account of the account-wide stack and the image registry. */
  readonly account: string;
  /** Its region: the registry's home (other regions in use get replicas). */
  readonly region: Region;
  /**
   * The account's existing GitHub OIDC provider (an account has at most one per URL): find it with
   * `aws iam list-open-id-connect-providers`.
   * @default - the Global stack creates the provider
   */
  readonly oidcProviderArn?: string;
}

/** One service: `type: 'web'` behind the load balancer, or `type: 'worker'` with no inbound traffic. */
export type ServiceDefinition = WebServiceDefinition | WorkerServiceDefinition;

/** What web and worker services share: the image, the process, its settings and what it may reach. */
export interface ServiceCommon {
  /**
   * How this service's image is built: `docker buildx build -f <dockerfile> [--target <target>] [--build-arg
   * NAME=VALUE …] <context>`, paths relative to the directory of berth.config.ts. Services with the same build
   * share one image, built once per commit (for test) and promoted to prod by digest; services differ by
   * `command`. Give `image` instead to run a prebuilt image.
   * @default - `{ dockerfile: 'Dockerfile', context: '.' }`, unless `image` is given
   */
  readonly build?: BuildConfig;
  /**
   * A prebuilt image to run instead of building one: a reference as `docker pull` takes it, e.g. `nginx:1.27`,
   * `public.ecr.aws/nginx/nginx:1.27` or `…@sha256:<64 hex>`. Nothing is built or promoted: every environment
   * runs exactly this reference, so pin it by digest for repeatable deploys (a tag can move). An image in a
   * private ECR repository (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`) gets pull permission on that
   * repository (another account's must also allow it in its repository policy); any other must be public.
   * When every service gives one, Berth creates no image repository and builds nothing: the references are the
   * release `berth status` shows, and a rollback is a config change.
   * @default - built from `build`
   */
  readonly image?: string;
  /**
   * The process to run instead of the image's CMD, e.g. `['node', 'dist/worker.js']`.
   * @default - the image's CMD
   */
  readonly command?: readonly string[];
  /**
   * Plain settings, by variable name (`[A-Z_][A-Z0-9_]*`). Never a password or a key: those go in `secrets`.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Secret settings, by variable name: references that ECS resolves when the task starts (injected as ECS
   * `secrets`, never written into the task definition). The task's execution role may read exactly these.
   * @default - none
   */
  readonly secrets?: Readonly<Record<string, SecretReference>>;
  /**
   * Give the service the environment's PostgreSQL: its credentials are injected from Secrets Manager (PGHOST,
   * PGUSER, PGPASSWORD, …) and its tasks are admitted to the database. `false`: neither.
   * @default true
   */
  readonly database?: boolean;
  /**
   * A one-off task `berth deploy` runs with the new image before the rollout starts (migrations); a failure
   * stops the deploy before any task is replaced. At most one service of the app has one.
   * @default - no release step
   */
  readonly release?: ReleaseDefinition;
  /**
   * What `berth up` runs for this service instead of its container: your own dev command, given PORT and
   * DATABASE_URL.
   * @default - the container, built from `build`
   */
  readonly dev?: DevDefinition;
  /**
   * Workers whose `queue` this service sends messages to, by name, e.g. `['jobs']`: it gets the queue's URL as
   * `<NAME>_QUEUE_URL` (`jobs` → `JOBS_QUEUE_URL`, `cart-expiry` → `CART_EXPIRY_QUEUE_URL`) and permission to
   * send to that queue only. A service that does not list a queue cannot send to it.
   * @default - none
   */
  readonly sendsTo?: readonly string[];
}

/** A service behind the environment's one Application Load Balancer. */
export interface WebServiceDefinition extends ServiceCommon, ServiceSizing {
  /** `web`: tasks behind the environment's one Application Load Balancer. */
  readonly type: 'web';
  /** The port the container listens on; the load balancer sends traffic and health checks there. */
  readonly port: number;
  /** The load balancer's health check of each task. */
  readonly healthCheck?: HealthCheckDefinition;
  /**
   * Which requests reach the service. At most one web service is the catch-all (path `/*` with no host).
   * @default - `{ path: '/*' }`
   */
  readonly route?: RouteDefinition;
}

/** A background service: no load balancer, no inbound traffic, scaled on CPU (and on its queue's backlog). */
export interface WorkerServiceDefinition extends ServiceCommon, WorkerSizing {
  /** `worker`: tasks that receive no traffic (queue consumers, schedulers, expiry jobs). */
  readonly type: 'worker';
  /**
   * An SQS queue Berth creates for this worker to consume (`queue: {}` takes every default): encrypted, with a
   * dead-letter queue for messages that keep failing. Its URL is the worker's `QUEUE_URL`; the worker may
   * receive and delete its messages, the services that list the worker in `sendsTo` may send to it. The
   * worker then scales on the backlog per task (`scaling.messagesPerTask`) as well as on CPU, and alarms
   * fire on messages in the dead-letter queue and on a message waiting too long.
   * @default - no queue: the worker scales on CPU only
   */
  readonly queue?: QueueDefinition;
}

/** A worker's SQS queue and its dead-letter queue. */
export interface QueueDefinition {
  /**
   * Seconds a received message stays hidden from other consumers (0 to 43200): longer than the worker takes
   * to process one, or another task receives it again meanwhile.
   * @default 30
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Days an unprocessed message is kept (1 to 14). The dead-letter queue keeps its messages 14 days.
   * @default 4
   */
  readonly retentionDays?: number;
  /**
   * Receives without a delete (failed attempts) after which a message moves to the dead-letter queue (1 to 1000).
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Minutes the oldest message may wait before the alarm fires (1 to 20160): the worker is down or cannot keep up.
   * @default 15
   */
  readonly maxMessageAgeMinutes?: number;
}

/**
 * A secret ECS reads when the task starts: an SSM parameter (`{ ssm: '/shop/stripe-key' }`, a SecureString or
 * String, by name or ARN) or a Secrets Manager secret (`{ secretsManager: 'shop/stripe' }` by name or ARN, with
 * `key` to take one field of a JSON secret).
 */
export type SecretReference = SsmSecretReference | SecretsManagerSecretReference;

export interface SsmSecretReference {
  /** The parameter's name (`/shop/stripe-key`, in the environment's account and region) or its full ARN. */
  readonly ssm: string;
}

export interface SecretsManagerSecretReference {
  /** The secret's name (`shop/stripe`, in the environment's account and region) or its full ARN. */
  readonly secretsManager: string;
  /**
   * One field of a JSON secret.
   * @default - the whole secret string
   */
  readonly key?: string;
}

export interface ReleaseDefinition {
  /** The release command, run in the service's image with its environment and secrets, e.g. `['node', 'dist/migrate.js']`. */
  readonly command: readonly string[];
  /** CPU units of the release task. @default - the service's cpu in that environment */
  readonly cpu?: number;
  /** Memory of the release task in MiB. @default - the service's memoryMiB in that environment */
  readonly memoryMiB?: number;
}

export interface DevDefinition {
  /** The command `berth up` runs, e.g. `['npm', 'run', 'dev']`. */
  readonly command: readonly string[];
  /** Its working directory, relative to the directory of berth.config.ts. @default '.' */
  readonly cwd?: string;
}

export interface BuildConfig {
  /**
   * The Dockerfile, relative to the directory of berth.config.ts.
   * @default 'Dockerfile'
   */
  readonly dockerfile?: string;
  /**
   * The build context, relative to the directory of berth.config.ts.
   * @default '.'
   */
  readonly context?: string;
  /**
   * The Dockerfile stage to build (`--target`), e.g. `runtime`: several services can build different stages
   * of one Dockerfile.
   * @default - the Dockerfile's last stage
   */
  readonly target?: string;
  /**
   * Build arguments (`--build-arg NAME=VALUE`), by the name of an `ARG` in the Dockerfile. Never a secret:
   * build arguments stay readable in the image's history.
   * @default - none
   */
  readonly args?: Readonly<Record<string, string>>;
  /**
   * The app's one image repository: `<app>/<repository>`, shared by every environment and every build (each
   * image gets tags of its own). Set it to keep the repository (and the images in it) when you rename or
   * reorder services; the builds that name it must name the same one.
   * @default - the name of the first service that builds an image
   */
  readonly repository?: string;
}

export interface RouteDefinition {
  /**
   * The listener path pattern (ALB syntax: `*` and `?` wildcards), e.g. `/api/*`.
   * @default '/*'
   */
  readonly path?: string;
  /** The host name requests must carry (`Host` header), e.g. `admin.example.org`. @default - any host */
  readonly host?: string;
  /**
   * The listener rule's priority, 1 to 50000 (lower is evaluated first). Set it when you insert a service
   * between others: the defaults follow the order of `services`.
   * @default - 10, 20, 30, … in the order of the web services that are not the catch-all; the catch-all 50000
   */
  readonly priority?: number;
}

export interface HealthCheckDefinition {
  /**
   * The path the load balancer probes; answer 200 while the task can serve, 503 while it drains.
   * @default '/' (the load balancer's own default)
   */
  readonly path?: string;
  /** @default 5 */
  readonly intervalSeconds?: number;
  /** Must be shorter than intervalSeconds. @default 3 */
  readonly timeoutSeconds?: number;
  /** Consecutive passes before a new task receives traffic. @default 2 */
  readonly healthyThreshold?: number;
  /** Consecutive failures before a task leaves rotation. @default 3 */
  readonly unhealthyThreshold?: number;
}

/** What an environment may change about a web service: its size, scaling, deployment and shutdown timing. */
export interface ServiceSizing {
  /**
   * CPU units per task (1024 = one vCPU): 256, 512, 1024, 2048 or 4096.
   * @default - test 256, prod 512
   */
  readonly cpu?: number;
  /**
   * Memory per task in MiB (the hard limit; the task is stopped beyond it).
   * @default - test 512, prod 1024
   */
  readonly memoryMiB?: number;
  /** How many tasks run, and when to add more. */
  readonly scaling?: ScalingDefinition;
  /** How a new revision replaces the running one. */
  readonly deployment?: DeploymentDefinition;
  /**
   * Seconds the service keeps serving after SIGTERM (passed as SHUTDOWN_DRAIN_SECONDS) while the load
   * balancer deregisters it; must be shorter than stopTimeoutSeconds.
   * @default - test 10, prod 15
   */
  readonly drainSeconds?: number;
  /**
   * The target group's deregistration delay; at most drainSeconds.
   * @default - test 10, prod 15
   */
  readonly deregistrationDelaySeconds?: number;
  /**
   * ECS sends SIGKILL this long after SIGTERM (2 to 30 seconds on EC2).
   * @default 30
   */
  readonly stopTimeoutSeconds?: number;
  /**
   * Seconds a new task gets to start before failed health checks count.
   * @default 60
   */
  readonly healthCheckGracePeriodSeconds?: number;
}

export interface ScalingDefinition {
  /** Fewest tasks (prod: at least 2, one per availability zone). @default - test 1, prod 2 */
  readonly minTasks?: number;
  /** Most tasks. @default - test 4, prod 10 */
  readonly maxTasks?: number;
  /** Target average CPU use, percent. @default 60 */
  readonly cpuPercent?: number;
  /** Target average memory use, percent. @default 75 */
  readonly memoryPercent?: number;
  /** Target requests per task per minute at the load balancer. @default 500 */
  readonly requestsPerTarget?: number;
}

export interface DeploymentDefinition {
  /**
   * `blue-green`: a full new revision beside the old one, traffic switched after health checks and kept
   * switchable back through the bake. `canary`: canaryPercent of traffic first. `rolling`: tasks replaced
   * in place.
   * @default 'blue-green'
   */
  readonly strategy?: DeployStrategy;
  /** Rolling: the share of tasks that must stay healthy. @default 100 */
  readonly minHealthyPercent?: number;
  /** Rolling: the most tasks, as a share of the desired count, during a deploy. @default 200 */
  readonly maxPercent?: number;
  /** Blue/green and canary: minutes the new revision serves before the old one is retired. @default - test 2, prod 5 */
  readonly bakeTimeMinutes?: number;
  /** Canary: the share of traffic the new revision gets during the bake, 1 to 99. @default 10 */
  readonly canaryPercent?: number;
}

/** What an environment may change about a worker: its size, scaling, deployment and shutdown timing. */
export interface WorkerSizing {
  /**
   * CPU units per task (1024 = one vCPU): 256, 512, 1024, 2048 or 4096.
   * @default - test 256, prod 512
   */
  readonly cpu?: number;
  /**
   * Memory per task in MiB (the hard limit; the task is stopped beyond it).
   * @default - test 512, prod 1024
   */
  readonly memoryMiB?: number;
  /**
   * ECS sends SIGKILL this long after SIGTERM: the worker finishes the job in hand within it (2 to 120).
   * @default 30
   */
  readonly stopTimeoutSeconds?: number;
  /** How many tasks run, and when to add more. */
  readonly scaling?: WorkerScalingDefinition;
  /** How a new revision replaces the running one (rolling). */
  readonly deployment?: WorkerDeploymentDefinition;
}

export interface WorkerScalingDefinition {
  /** Fewest tasks. @default - test 1, prod 2 */
  readonly minTasks?: number;
  /** Most tasks. @default - test 4, prod 10 */
  readonly maxTasks?: number;
  /** Target average CPU use, percent. @default 60 */
  readonly cpuPercent?: number;
  /**
   * With a `queue`: the backlog each task should have at most (messages waiting per running task); tasks are
   * added above it and removed below it. Set it to how many messages one task processes within the delay you
   * accept (AWS: acceptable latency ÷ average processing time per message). @default 10
   */
  readonly messagesPerTask?: number;
}

export interface WorkerDeploymentDefinition {
  /** The share of tasks that must keep running during a deploy. @default 100 */
  readonly minHealthyPercent?: number;
  /** The most tasks, as a share of the desired count, during a deploy. @default 200 */
  readonly maxPercent?: number;
}

/** One environment. Only `account` and `regions` are required; everything else has Berth's defaults for it. */
export interface EnvironmentDefinition {
  /** The 12-digit AWS account the environment deploys to. */
  readonly account: string;
  /** The regions it runs in; the first is the primary one. */
  readonly regions: readonly Region[];
  /**
   * The CDK bootstrap qualifier of this environment's deploy roles (lower-case letters and digits, at most 10).
   * Test and prod need different ones when they share an account.
   * @default - the app name and the environment name, e.g. `shoptest` (cut to 10 characters)
   */
  readonly bootstrapQualifier?: string;
  /** The VPC. */
  readonly network?: NetworkDefinition;
  /** The EC2 instances the tasks run on. */
  readonly cluster?: ClusterDefinition;
  /** The environment's PostgreSQL (RDS). */
  readonly database?: DatabaseDefinition;
  /**
   * Serve the environment at a name of yours over HTTPS (an alias record in your Route 53 zone, a
   * DNS-validated certificate, HTTP redirected to HTTPS).
   * @default - plain HTTP on the load balancer's DNS name
   */
  readonly domain?: DomainConfig;
  /** AWS WAF in front of the load balancer: AWS managed rule groups and a per-IP rate limit. */
  readonly waf?: WafDefinition;
  /** Request tracing to AWS X-Ray through an OpenTelemetry collector sidecar. */
  readonly tracing?: TracingDefinition;
  /** Shell access into running tasks with `berth exec` (Session Manager, KMS-encrypted and logged). */
  readonly exec?: ExecDefinition;
  /** Who hears the alarms. Prod needs an address, or a waiver with a reason. */
  readonly alarms?: AlarmsDefinition;
  /**
   * Days CloudWatch keeps the logs: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, ….
   * @default - test 14, prod 90
   */
  readonly logRetentionDays?: number;
  /**
   * Per-service changes for this environment, by service name, e.g. `{ web: { cpu: 512 } }`. A worker takes
   * only the worker fields (cpu, memoryMiB, stopTimeoutSeconds, scaling.minTasks/maxTasks/cpuPercent/messagesPerTask,
   * deployment.minHealthyPercent/maxPercent).
   */
  readonly services?: Readonly<Record<string, ServiceSizing | WorkerSizing>>;
}

export interface NetworkDefinition {
  /** The VPC's /16; subnets are /24s carved from it. @default - test 10.0.0.0/16, prod 10.1.0.0/16 */
  readonly cidr?: string;
  /** 1 shares one NAT gateway (cheaper, one zone of egress); 2 gives each zone its own. @default - test 1, prod 2 */
  readonly natGateways?: 1 | 2;
  /** Interface endpoints for ECR, ECS, logs and Session Manager instead of NAT egress (~$7 each per zone a month). @default false */
  readonly vpcEndpoints?: boolean;
}

export interface ClusterDefinition {
  /** The EC2 instance type. @default - test t3.small, prod t3.medium */
  readonly instanceType?: string;
  /** Must match the instance type and be the same in test and prod (the image is promoted). @default 'x86_64' */
  readonly architecture?: Architecture;
  /**
   * `berth`: the AMI `berth ami` publishes to `/<app>/<env>/ami/<arch>` (publish one before the first deploy).
   * `aws-ecs-al2023`: AWS's ECS-optimized Amazon Linux 2023, read from AWS's public parameter.
   * @default 'berth'
   */
  readonly amiSource?: AmiSource;
  /** @default - test 1, prod 2 */
  readonly minInstances?: number;
  /** Large enough for a deployment at maxTasks (Berth checks). @default - test 3, prod 8 */
  readonly maxInstances?: number;
  /** Share of the group's capacity ECS keeps in use (below 100 keeps room warm). @default - test 100, prod 90 */
  readonly targetCapacityPercent?: number;
  /** @default 30 */
  readonly rootVolumeGiB?: number;
}

export interface DatabaseDefinition {
  /** RDS instance class without the `db.` prefix. @default - test t4g.micro, prod t4g.small */
  readonly instanceClass?: string;
  /** @default 20 */
  readonly allocatedStorageGiB?: number;
  /** Storage autoscaling ceiling. @default - test 50, prod 100 */
  readonly maxAllocatedStorageGiB?: number;
  /** A standby in a second zone (required in prod). @default - test false, prod true */
  readonly multiAz?: boolean;
  /** Required in prod. @default - test false, prod true */
  readonly deletionProtection?: boolean;
  /** @default - test 1, prod 7 */
  readonly backupRetentionDays?: number;
}

export interface WafDefinition {
  /** @default - test false, prod true */
  readonly enabled?: boolean;
  /** `count` only counts matches (try the rules on real traffic first); `block` answers 403. @default - test 'count', prod 'block' */
  readonly mode?: WafMode;
  /** Requests one client IP may send in 5 minutes before the rate rule acts. @default 2000 */
  readonly ratePerFiveMinutes?: number;
  /** @default - the environment's logRetentionDays */
  readonly logRetentionDays?: number;
}

export interface TracingDefinition {
  /** @default - test true, prod false */
  readonly enabled?: boolean;
  /** Share of new traces recorded, 0 to 1. @default - test 1, prod 0.05 */
  readonly sampleRatio?: number;
}

export interface ExecDefinition {
  /** Turning it on or off reaches running tasks at the next deploy. @default - test true, prod false */
  readonly enabled?: boolean;
}

export interface AlarmsDefinition {
  /** Alarm notifications go to this address (confirm the SNS subscription e-mail). @default - nobody */
  readonly email?: string;
  /**
   * Why this environment may run with alarms that notify nobody; `berth plan` repeats it as a warning.
   * @default - no waiver: prod without `email` is a config error
   */
  readonly waiveSubscriber?: string;
}

/** Types `berth.config.ts` for completion and checks in your editor; returns the config unchanged. */
export function defineConfig(config: BerthConfig): BerthConfig {
  return config;
}
