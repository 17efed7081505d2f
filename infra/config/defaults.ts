/**
 * Berth's defaults per environment: what a `berth.config.ts` gets for every field it leaves out. Nothing
 * here belongs to one user (accounts, regions, repositories, addresses live in their config file).
 */
import type {
  ClusterConfig,
  DatabaseConfig,
  EnvName,
  ExecConfig,
  NetworkConfig,
  QueueConfig,
  ServiceCommonConfig as ServiceCommon,
  ServiceConfig,
  TracingConfig,
  WafConfig,
  WorkerServiceConfig,
} from './environments.js';

/** An environment's settings that are not the user's to state: sizing, safety and cost choices. */
export interface EnvironmentDefaults {
  readonly network: NetworkConfig;
  readonly cluster: ClusterConfig;
  /** Everything of a service except what only the user knows (its port and health path). */
  readonly service: Omit<ServiceConfig, 'containerPort'>;
  /** A worker's sizing (its name, command and settings are the user's). */
  readonly worker: Omit<WorkerServiceConfig, keyof ServiceCommon | 'kind'>;
  readonly database: DatabaseConfig;
  readonly waf: WafConfig;
  readonly tracing: TracingConfig;
  readonly logRetentionDays: number;
  readonly exec: ExecConfig;
}

const healthCheck = {
  // The load balancer's own default path (ELB User Guide, "Health checks for Application Load Balancer
  // target groups": HealthCheckPath default `/`); `berth init` writes the one it detects.
  path: '/',
  intervalSeconds: 5,
  timeoutSeconds: 3,
  healthyThreshold: 2,
  // 15 s of failed probes before a target leaves rotation: three misses ride out a GC pause.
  unhealthyThreshold: 3,
} as const;

export const ENVIRONMENT_DEFAULTS: Readonly<Record<EnvName, EnvironmentDefaults>> = {
  test: {
    network: { cidr: '10.0.0.0/16', natGateways: 1, vpcEndpoints: false },
    cluster: {
      instanceType: 't3.small',
      architecture: 'x86_64',
      amiSource: 'berth',
      minInstances: 1,
      maxInstances: 3,
      targetCapacityPercent: 100,
      rootVolumeGiB: 30,
    },
    service: {
      cpu: 256,
      memoryMiB: 512,
      minTasks: 1,
      maxTasks: 4,
      healthCheck,
      drainSeconds: 10,
      deregistrationDelaySeconds: 10,
      stopTimeoutSeconds: 30,
      healthCheckGracePeriodSeconds: 60,
      // Prod's strategy, so every prod deploy path has run in test first; a shorter bake keeps test deploys quick.
      deployment: {
        strategy: 'blue-green',
        minHealthyPercent: 100,
        maxPercent: 200,
        bakeTimeMinutes: 2,
        canaryPercent: 10,
      },
      scaling: { cpuPercent: 60, memoryPercent: 75, requestsPerTarget: 500 },
    },
    worker: {
      cpu: 256,
      memoryMiB: 512,
      minTasks: 1,
      maxTasks: 4,
      stopTimeoutSeconds: 30,
      scaling: { cpuPercent: 60, messagesPerTask: 10 },
      // New tasks start before old ones stop: the work never pauses during a deploy.
      deployment: { minHealthyPercent: 100, maxPercent: 200 },
    },
    database: {
      instanceClass: 't4g.micro',
      engineVersion: '18',
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 50,
      multiAz: false,
      deletionProtection: false,
      backupRetentionDays: 1,
    },
    // Off: test traffic is the team's own, and the web ACL's ~$10/month would be most of what WAF costs here.
    waf: { enabled: false, mode: 'count', ratePerFiveMinutes: 2000 },
    // Every request traced: test traffic is small, and a whole trace is what a failing test run needs.
    tracing: { enabled: true, sampleRatio: 1 },
    logRetentionDays: 14,
    exec: { enabled: true },
  },
  prod: {
    network: { cidr: '10.1.0.0/16', natGateways: 2, vpcEndpoints: false },
    cluster: {
      instanceType: 't3.medium',
      architecture: 'x86_64',
      amiSource: 'berth',
      minInstances: 2,
      // Blue/green places 2 × maxTasks (20) tasks of 1024 MiB; a t3.medium holds 3 (config/instance-capacity.ts).
      maxInstances: 8,
      targetCapacityPercent: 90,
      rootVolumeGiB: 30,
    },
    service: {
      cpu: 512,
      memoryMiB: 1024,
      minTasks: 2,
      maxTasks: 10,
      healthCheck,
      drainSeconds: 15,
      deregistrationDelaySeconds: 15,
      stopTimeoutSeconds: 30,
      healthCheckGracePeriodSeconds: 60,
      deployment: {
        strategy: 'blue-green',
        minHealthyPercent: 100,
        maxPercent: 200,
        bakeTimeMinutes: 5,
        canaryPercent: 10,
      },
      scaling: { cpuPercent: 60, memoryPercent: 75, requestsPerTarget: 500 },
    },
    worker: {
      cpu: 512,
      memoryMiB: 1024,
      // Two tasks, spread over the zones: one zone's outage does not stop the work.
      minTasks: 2,
      maxTasks: 10,
      stopTimeoutSeconds: 30,
      scaling: { cpuPercent: 60, messagesPerTask: 10 },
      deployment: { minHealthyPercent: 100, maxPercent: 200 },
    },
    database: {
      instanceClass: 't4g.small',
      engineVersion: '18',
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
      multiAz: true,
      deletionProtection: true,
      backupRetentionDays: 7,
    },
    waf: { enabled: true, mode: 'block', ratePerFiveMinutes: 2000 },
    // Off until wanted; when on, 5% of new traces keeps X-Ray within cents a day at modest traffic.
    tracing: { enabled: false, sampleRatio: 0.05 },
    logRetentionDays: 90,
    // Off: turn it on for an incident (`environments.prod.exec.enabled: true`, then `berth deploy prod`) and off after.
    exec: { enabled: false },
  },
};

/** The GitHub environment that gates prod deploys when the config names none. */
export const DEFAULT_PROD_GITHUB_ENVIRONMENT = 'prod';

/**
 * A worker's queue, the same in every environment. SQS's own defaults where one exists (SQS Developer Guide,
 * "Amazon SQS queue configuration": visibility timeout 30 s, retention 4 days); 5 receives before the
 * dead-letter queue rides out a few transient failures without retrying a poison message for ever.
 */
export const QUEUE_DEFAULTS: QueueConfig = {
  visibilityTimeoutSeconds: 30,
  retentionDays: 4,
  maxReceiveCount: 5,
  maxMessageAgeMinutes: 15,
};
