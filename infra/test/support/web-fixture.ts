/**
 * A minimal stack holding what WebService and Monitoring are composed with in the real app
 * (VPC, cluster with an ASG capacity provider, ECR repository, database secret and instance),
 * so their tests synthesize offline in one place.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AVAILABILITY_ZONES, type EnvName, type ServiceConfig } from '../../config/environments.js';
import { LoadBalancer, type LoadBalancerProps } from '../../lib/constructs/load-balancer.js';
import { WebService, type WebServiceProps } from '../../lib/constructs/web-service.js';
import { ENVIRONMENTS } from '../fixtures/cart-config.js';
import { webService } from './web-services.js';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const DIGEST = `sha256:${'ab12'.repeat(16)}`;
export const CERTIFICATE_ARN = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0f3c2e6a-1111-2222-3333-444455556666`;
export const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:berth/db-AbCdEf`;

/** The context the real cdk.json must carry too: fixed AZs (no lookups) and the feature flags we rely on. */
export const APP_CONTEXT = {
  [`availability-zones:account=${ACCOUNT}:region=${REGION}`]: [...AVAILABILITY_ZONES[REGION]],
  '@aws-cdk/aws-autoscaling:generateLaunchTemplateInsteadOfLaunchConfig': true,
  '@aws-cdk/core:validateAgainstDefaultRules': true,
  '@aws-cdk/aws-ecs:removeDefaultDesiredCount': true,
};

export interface WebFixture {
  readonly app: App;
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly capacityProvider: ecs.AsgCapacityProvider;
  readonly instanceSecurityGroup: ec2.SecurityGroup;
  readonly repository: ecr.IRepository;
  readonly databaseSecret: secretsmanager.ISecret;
  readonly database: rds.IDatabaseInstance;
}

/** GIVEN an app with cdk-nag's AWS Solutions checks and a stack holding the shared platform pieces. */
export function createWebFixture(stackId = 'Fixture'): WebFixture {
  const app = new App({ context: APP_CONTEXT });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, stackId, { env: { account: ACCOUNT, region: REGION } });

  const vpc = new ec2.Vpc(stack, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
    ],
    flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.REJECT } },
  });

  const cluster = new ecs.Cluster(stack, 'Cluster', {
    vpc,
    containerInsightsV2: ecs.ContainerInsights.ENABLED,
  });
  const instanceSecurityGroup = new ec2.SecurityGroup(stack, 'InstanceSecurityGroup', {
    vpc,
    description: 'Container instances',
  });
  const autoScalingGroup = new autoscaling.AutoScalingGroup(stack, 'Instances', {
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    instanceType: new ec2.InstanceType('t3.small'),
    machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
    securityGroup: instanceSecurityGroup,
    minCapacity: 1,
    maxCapacity: 3,
    requireImdsv2: true,
  });
  const capacityProvider = new ecs.AsgCapacityProvider(stack, 'CapacityProvider', {
    autoScalingGroup,
    enableManagedTerminationProtection: false,
    // ECS drains instances itself, so no drain-hook Lambda and SNS topic end up in the fixture.
    enableManagedDraining: true,
  });
  cluster.addAsgCapacityProvider(capacityProvider);

  const repository = ecr.Repository.fromRepositoryName(stack, 'Repository', 'berth/service');
  const databaseSecret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'DatabaseSecret', SECRET_ARN);
  const databaseSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'DbSg', 'sg-0123456789abcdef0');
  const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Database', {
    instanceIdentifier: 'berth-test-db',
    instanceEndpointAddress: 'berth-test-db.abc.eu-west-1.rds.amazonaws.com',
    port: 5432,
    securityGroups: [databaseSecurityGroup],
  });

  // The fixture stands in for the Network and Cluster constructs, which carry their own acknowledgements.
  for (const [id, reason] of [
    ['AwsSolutions-AS3', 'Fixture ASG: scaling notifications belong to the real Cluster construct.'],
    ['AwsSolutions-EC26', 'Fixture ASG: EBS encryption belongs to the real Cluster construct.'],
    ['AwsSolutions-IAM5[Action::ecs:Submit*]', 'Fixture: the ECS agent policy comes from aws-cdk-lib.'],
    ['AwsSolutions-IAM5[Resource::*]', 'Fixture: the ECS agent policy comes from aws-cdk-lib.'],
  ] as const) {
    Validations.of(autoScalingGroup).acknowledge({ id: `AwsSolutions::${id}`, reason });
  }

  return {
    app,
    stack,
    vpc,
    cluster,
    autoScalingGroup,
    capacityProvider,
    instanceSecurityGroup,
    repository,
    databaseSecret,
    database,
  };
}

/** What a WebService takes from the platform the fixture stands in for, and the image it runs. */
export function platformProps(fixture: WebFixture) {
  return {
    vpc: fixture.vpc,
    cluster: fixture.cluster,
    capacityProvider: fixture.capacityProvider,
    repository: fixture.repository,
    image: DIGEST,
    databaseSecret: fixture.databaseSecret,
  };
}

/**
 * A valid rolling service whose values are all distinct from each other and from the shipped environments, so a
 * swapped or dropped value shows as a wrong literal.
 */
export const DISTINCT_SERVICE: ServiceConfig = {
  containerPort: 8080,
  cpu: 384,
  memoryMiB: 768,
  minTasks: 2,
  maxTasks: 6,
  healthCheck: {
    path: '/readyz',
    intervalSeconds: 6,
    timeoutSeconds: 4,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
  },
  drainSeconds: 11,
  deregistrationDelaySeconds: 9,
  stopTimeoutSeconds: 25,
  healthCheckGracePeriodSeconds: 45,
  deployment: {
    strategy: 'rolling',
    minHealthyPercent: 50,
    maxPercent: 200,
    bakeTimeMinutes: 4,
    canaryPercent: 20,
  },
  scaling: { cpuPercent: 55, memoryPercent: 70, requestsPerTarget: 300 },
};

export type WebServiceOverrides = Partial<Omit<WebServiceProps, 'service' | 'loadBalancer'>> & {
  service?: Partial<ServiceConfig>;
} & Partial<Pick<LoadBalancerProps, 'certificateArn' | 'accessLogRetentionDays' | 'accessLogPrefix'>>;

/** The environment's shared load balancer on the fixture, as the Service stack creates it. */
export function addLoadBalancer(
  fixture: WebFixture,
  envName: EnvName,
  props: Partial<
    Pick<LoadBalancerProps, 'certificateArn' | 'accessLogRetentionDays' | 'accessLogPrefix'>
  > = {},
): LoadBalancer {
  return new LoadBalancer(fixture.stack, 'LoadBalancer', {
    envName,
    vpc: fixture.vpc,
    instanceSecurityGroup: fixture.instanceSecurityGroup,
    accessLogPrefix: `berth-${envName}`,
    deletionProtection: envName === 'prod',
    ...props,
  });
}

/**
 * WHEN a WebService named `web` is composed on the fixture the way the Service stack does, behind a new shared
 * load balancer, with the env's config.
 */
export function addWebService(fixture: WebFixture, envName: EnvName, overrides: WebServiceOverrides = {}) {
  const { certificateArn, accessLogRetentionDays, accessLogPrefix, ...rest } = overrides;
  const loadBalancer = addLoadBalancer(fixture, envName, {
    ...(certificateArn === undefined ? {} : { certificateArn }),
    ...(accessLogRetentionDays === undefined ? {} : { accessLogRetentionDays }),
    ...(accessLogPrefix === undefined ? {} : { accessLogPrefix }),
  });
  return new WebService(fixture.stack, 'Web', {
    envName,
    name: 'web',
    loadBalancer,
    ...platformProps(fixture),
    logRetentionDays: ENVIRONMENTS[envName].logRetentionDays,
    ...rest,
    service: { ...webService(ENVIRONMENTS[envName]), ...overrides.service },
  });
}

/**
 * Synthesizes the whole app once (running cdk-nag and the CloudFormation schema checks, which throw on any
 * unacknowledged finding) and returns the fixture stack's template; Template.fromStack would synthesize again.
 */
export function synthesize(fixture: WebFixture): Template {
  const assembly = fixture.app.synth();
  return Template.fromJSON(assembly.getStackByName(fixture.stack.stackName).template);
}
