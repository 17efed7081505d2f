/**
 * A web service that is not the catch-all: its listener rule (host and path conditions, priority), the URL it
 * answers on, and the props no other construct-level suite sets (name and priority checks, ECS Exec, a command,
 * user settings over Berth's, the health check's start period at its bounds).
 * Expected values are literals from AWS's documentation: the listener rule's conditions and limits ("Listener
 * rules for your Application Load Balancer": priority 1-50000, `host-header` and `path-pattern` conditions), the
 * ECS Exec task role statements ("Task IAM role": ECS Exec permissions; "Monitor Amazon ECS containers with ECS
 * Exec": logging and KMS key), the container health check's StartPeriod range ("HealthCheck", 0-300 s), and
 * Berth's design (docs/architecture.md: a service answers on its host, or on the load balancer under its path).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { ServiceConfig } from '../config/environments.js';
import {
  pathPrefix,
  WebService,
  type WebServiceProps,
  type WebServiceRoute,
} from '../lib/constructs/web-service.js';
import {
  addLoadBalancer,
  CERTIFICATE_ARN,
  createWebFixture,
  DIGEST,
  platformProps,
  synthesize,
  type WebFixture,
} from './support/web-fixture.js';

/** A valid service, with values distinct from each other and from the shipped environments. */
const SERVICE: ServiceConfig = {
  containerPort: 8081,
  cpu: 320,
  memoryMiB: 640,
  minTasks: 2,
  maxTasks: 5,
  healthCheck: {
    path: '/readyz',
    intervalSeconds: 7,
    timeoutSeconds: 3,
    healthyThreshold: 2,
    unhealthyThreshold: 4,
  },
  drainSeconds: 12,
  deregistrationDelaySeconds: 8,
  stopTimeoutSeconds: 24,
  healthCheckGracePeriodSeconds: 5,
  deployment: {
    strategy: 'rolling',
    minHealthyPercent: 50,
    maxPercent: 200,
    bakeTimeMinutes: 6,
    canaryPercent: 20,
  },
  scaling: { cpuPercent: 55, memoryPercent: 70, requestsPerTarget: 300 },
};

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

type Overrides = Partial<Omit<WebServiceProps, 'service'>> & { service?: Partial<ServiceConfig> };

let stacks = 0;
function build(overrides: Overrides = {}, certificateArn?: string): { fixture: WebFixture; web: WebService } {
  const fixture = createWebFixture(`Routing${stacks++}`);
  const web = new WebService(fixture.stack, 'Web', {
    envName: 'test',
    name: 'api',
    loadBalancer: addLoadBalancer(fixture, 'test', certificateArn === undefined ? {} : { certificateArn }),
    ...platformProps(fixture),
    logRetentionDays: 30,
    ...overrides,
    service: { ...SERVICE, ...overrides.service },
  });
  return { fixture, web };
}

function synthesized(overrides: Overrides = {}, certificateArn?: string) {
  const built = build(overrides, certificateArn);
  const resources = synthesize(built.fixture).toJSON().Resources as Record<string, Json>;
  return { ...built, resources };
}

function ofType(resources: Record<string, Json>, type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function only(resources: Record<string, Json>, type: string): { id: string; properties: Json } {
  const found = ofType(resources, type);
  assert.equal(found.length, 1, `one ${type}, found ${found.length}`);
  const [id, resource] = found[0]!;
  return { id, properties: resource.Properties };
}

/** The logical id of the target group whose construct path ends in `name`. */
function targetGroupId(resources: Record<string, Json>, name: string): string {
  const found = ofType(resources, 'AWS::ElasticLoadBalancingV2::TargetGroup').filter(([id]) =>
    id.includes(name),
  );
  assert.equal(found.length, 1, `one target group named ${name}`);
  return found[0]![0];
}

/** GIVEN a key and a log group for ECS Exec sessions, as the Cluster construct makes them. */
function execSetup(fixture: WebFixture) {
  const key = new kms.Key(fixture.stack, 'ExecKey', { enableKeyRotation: true });
  const logGroup = new logs.LogGroup(fixture.stack, 'ExecLogs', {
    encryptionKey: key,
    retention: logs.RetentionDays.ONE_MONTH,
  });
  return { key, logGroup };
}

// GIVEN a rolling service on its own host and path, with ECS Exec, its own command and settings.
const HOST_ROUTE: WebServiceRoute = { path: '/api/*', host: 'api.example.com', priority: 7 };
const hostRouted = (() => {
  const fixture = createWebFixture(`Routing${stacks++}`);
  const exec = execSetup(fixture);
  const web = new WebService(fixture.stack, 'Web', {
    envName: 'test',
    name: 'api',
    loadBalancer: addLoadBalancer(fixture, 'test'),
    ...platformProps(fixture),
    logRetentionDays: 30,
    service: SERVICE,
    route: HOST_ROUTE,
    exec,
    command: ['node', 'dist/api.js'],
    environment: { LOG_LEVEL: 'debug', FEATURE_X: 'on' },
  });
  const resources = synthesize(fixture).toJSON().Resources as Record<string, Json>;
  return { fixture, web, resources };
})();
// GIVEN a rolling service on a path of the load balancer's own host, with a long grace period.
const pathRouted = synthesized({
  route: { path: '/shop/*', priority: 12 },
  service: { healthCheckGracePeriodSeconds: 420 },
});
// GIVEN a blue/green service on its own host, behind HTTPS.
const blueGreenRouted = synthesized(
  {
    route: { path: '/admin/*', host: 'admin.example.com', priority: 21 },
    service: { deployment: { ...SERVICE.deployment, strategy: 'blue-green' } },
  },
  CERTIFICATE_ARN,
);

describe('WebService routing: a service that is not the catch-all', () => {
  test('host and path: one rule at its priority, matching the host and the path, forwarding to its group', () => {
    const rule = only(hostRouted.resources, 'AWS::ElasticLoadBalancingV2::ListenerRule').properties;
    assert.equal(rule.Priority, 7);
    assert.deepEqual(rule.Conditions, [
      { Field: 'host-header', HostHeaderConfig: { Values: ['api.example.com'] } },
      { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } },
    ]);
    assert.deepEqual(rule.Actions, [
      { Type: 'forward', TargetGroupArn: { Ref: targetGroupId(hostRouted.resources, 'TargetGroup') } },
    ]);
  });

  test('path only: the rule matches the path alone, at its priority', () => {
    const rule = only(pathRouted.resources, 'AWS::ElasticLoadBalancingV2::ListenerRule').properties;
    assert.equal(rule.Priority, 12);
    assert.deepEqual(rule.Conditions, [
      { Field: 'path-pattern', PathPatternConfig: { Values: ['/shop/*'] } },
    ]);
  });

  test('requests no rule matches still get the load balancer 404: a routed service never takes the default', () => {
    for (const { resources } of [hostRouted, pathRouted]) {
      const listener = only(resources, 'AWS::ElasticLoadBalancingV2::Listener').properties;
      assert.equal(listener.DefaultActions.length, 1);
      assert.equal(listener.DefaultActions[0].Type, 'fixed-response');
      assert.equal(listener.DefaultActions[0].FixedResponseConfig.StatusCode, '404');
    }
  });

  test('the service knows its route and that it is not the catch-all', () => {
    assert.deepEqual(hostRouted.web.route, HOST_ROUTE);
    assert.equal(hostRouted.web.catchAll, false);
    assert.equal(pathRouted.web.catchAll, false);
    assert.equal(hostRouted.web.listenerRule !== undefined, true);
  });

  test('a catch-all path on a host is not the catch-all: it gets a rule of its own', () => {
    const { web } = build({ route: { path: '/*', host: 'www.example.com', priority: 30 } });
    assert.equal(web.catchAll, false);
    assert.ok(web.listenerRule, 'a rule for the host');
  });

  test('without a route a service is the catch-all at priority 50000, with no rule of its own', () => {
    const { web } = build();
    assert.deepEqual(web.route, { path: '/*', priority: 50000 });
    assert.equal(web.catchAll, true);
    assert.equal(web.listenerRule, undefined);
  });

  test('a second catch-all on the same load balancer is refused', () => {
    const fixture = createWebFixture(`Routing${stacks++}`);
    const loadBalancer = addLoadBalancer(fixture, 'test');
    const props = (name: string) => ({
      envName: 'test' as const,
      name,
      loadBalancer,
      vpc: fixture.vpc,
      cluster: fixture.cluster,
      capacityProvider: fixture.capacityProvider,
      repository: fixture.repository,
      image: DIGEST,
      logRetentionDays: 30,
      service: SERVICE,
    });
    new WebService(fixture.stack, 'First', props('first'));
    assert.throws(() => new WebService(fixture.stack, 'Second', props('second')), {
      message: 'LoadBalancer: only one web service can be the catch-all',
    });
  });

  test('blue/green on a host: the production rule carries the route, its priority and both groups', () => {
    const rule = only(blueGreenRouted.resources, 'AWS::ElasticLoadBalancingV2::ListenerRule').properties;
    assert.equal(rule.Priority, 21);
    assert.deepEqual(rule.Conditions, [
      { Field: 'host-header', HostHeaderConfig: { Values: ['admin.example.com'] } },
      { Field: 'path-pattern', PathPatternConfig: { Values: ['/admin/*'] } },
    ]);
    const groups = rule.Actions[0].ForwardConfig.TargetGroups;
    assert.deepEqual(groups, [
      { TargetGroupArn: { Ref: targetGroupId(blueGreenRouted.resources, 'WebTargetGroup') }, Weight: 100 },
      {
        TargetGroupArn: { Ref: targetGroupId(blueGreenRouted.resources, 'AlternateTargetGroup') },
        Weight: 0,
      },
    ]);
    assert.equal(blueGreenRouted.web.listenerRule, undefined, 'the production rule is the only rule');
  });
});

describe('WebService URL', () => {
  test('a host route answers on its host, with the listener scheme', () => {
    assert.equal(hostRouted.web.url, 'http://api.example.com');
    assert.equal(blueGreenRouted.web.url, 'https://admin.example.com');
  });

  test('a path route answers on the load balancer, under the path prefix', () => {
    const dnsName = pathRouted.web.loadBalancer.loadBalancerDnsName;
    assert.equal(pathRouted.web.url, `http://${dnsName}/shop`);
  });

  test('the catch-all answers on the load balancer URL itself', () => {
    const { web } = build();
    assert.equal(web.url, `http://${web.loadBalancer.loadBalancerDnsName}`);
  });

  test('pathPrefix: the literal part of a path pattern, without its trailing slash', () => {
    assert.equal(pathPrefix('/api/*'), '/api');
    assert.equal(pathPrefix('/*'), '');
    assert.equal(pathPrefix('/v1/items?'), '/v1/items');
    assert.equal(pathPrefix('/static/img*'), '/static/img');
    assert.equal(pathPrefix('/health'), '/health');
    assert.equal(pathPrefix('/a/b/*/c'), '/a/b');
    assert.equal(pathPrefix('*'), '');
  });
});

describe('WebService name and route priority', () => {
  const message = (name: string) =>
    `web service name "${name}" must be lower-case letters, digits and dashes, starting with a letter`;

  test('lower-case letters, digits and dashes, from one to 32 characters, starting with a letter', () => {
    for (const name of ['a', 'api-2', `a${'b1-'.repeat(10)}x`]) {
      assert.equal(name.length <= 32, true);
      assert.doesNotThrow(() => build({ name }), name);
    }
  });

  test('an upper-case, digit-first, underscored, empty or 33-character name is refused, naming it', () => {
    for (const name of ['Api', '2api', 'api_x', '', 'api.x', `a${'b'.repeat(32)}`, ' api']) {
      assert.throws(() => build({ name }), { message: message(name) }, JSON.stringify(name));
    }
  });

  test('priorities 1 and 50000 are accepted', () => {
    for (const priority of [1, 50000]) {
      assert.doesNotThrow(() => build({ route: { path: '/p/*', priority } }), String(priority));
    }
  });

  test('priorities 0, 50001 and 2.5 are refused with the range', () => {
    for (const priority of [0, 50001, 2.5, -3]) {
      assert.throws(() => build({ route: { path: '/p/*', priority } }), {
        message: `route.priority (${priority}) must be an integer from 1 to 50000`,
      });
    }
  });
});

describe('WebService ECS Exec', () => {
  const service = only(hostRouted.resources, 'AWS::ECS::Service').properties;
  const task = only(hostRouted.resources, 'AWS::ECS::TaskDefinition').properties;
  const container = task.ContainerDefinitions[0];
  const keyId = only(hostRouted.resources, 'AWS::KMS::Key').id;
  const logGroupId = ofType(hostRouted.resources, 'AWS::Logs::LogGroup').find(([id]) =>
    id.startsWith('ExecLogs'),
  )![0];

  test('exec is turned on on the service', () => {
    assert.equal(service.EnableExecuteCommand, true);
  });

  test('the task role gets exactly the statements AWS documents for ECS Exec', () => {
    const roleId = task.TaskRoleArn['Fn::GetAtt'][0];
    const policies = ofType(hostRouted.resources, 'AWS::IAM::Policy').filter(([, policy]) =>
      policy.Properties.Roles.some((role: Json) => role.Ref === roleId),
    );
    assert.equal(policies.length, 1, 'one policy on the task role');
    assert.deepEqual(policies[0]![1].Properties.PolicyDocument.Statement, [
      {
        Action: [
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        Effect: 'Allow',
        Resource: '*',
      },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      {
        Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      },
      { Action: 'logs:DescribeLogGroups', Effect: 'Allow', Resource: '*' },
    ]);
  });

  test("the agent's three paths are writable task volumes; the root filesystem stays read-only", () => {
    const volumes = (task.Volumes as Json[]).map((volume) => volume.Name);
    for (const name of ['exec-managed-agents', 'exec-ssm-data', 'exec-ssm-logs']) {
      assert.ok(volumes.includes(name), `volume ${name} in ${JSON.stringify(volumes)}`);
    }
    const mounts = (container.MountPoints as Json[]).filter((mount) =>
      String(mount.SourceVolume).startsWith('exec-'),
    );
    assert.deepEqual(mounts, [
      { ContainerPath: '/managed-agents', ReadOnly: false, SourceVolume: 'exec-managed-agents' },
      { ContainerPath: '/var/lib/amazon/ssm', ReadOnly: false, SourceVolume: 'exec-ssm-data' },
      { ContainerPath: '/var/log/amazon/ssm', ReadOnly: false, SourceVolume: 'exec-ssm-logs' },
    ]);
    assert.equal(container.ReadonlyRootFilesystem, true);
  });

  test('without exec: no agent volumes, exec off', () => {
    const other = only(pathRouted.resources, 'AWS::ECS::TaskDefinition').properties;
    const names = ((other.Volumes ?? []) as Json[]).map((volume) => volume.Name);
    assert.deepEqual(
      names.filter((name: string) => name.startsWith('exec-')),
      [],
    );
    assert.equal(only(pathRouted.resources, 'AWS::ECS::Service').properties.EnableExecuteCommand, false);
  });
});

describe('WebService container: command, settings, start period', () => {
  const container = (resources: Record<string, Json>) =>
    only(resources, 'AWS::ECS::TaskDefinition').properties.ContainerDefinitions[0];
  const environment = (resources: Record<string, Json>) =>
    Object.fromEntries(
      (container(resources).Environment as { Name: string; Value: string }[]).map((e) => [e.Name, e.Value]),
    );

  test('the given command replaces the image CMD; without one the container has none', () => {
    assert.deepEqual(container(hostRouted.resources).Command, ['node', 'dist/api.js']);
    assert.equal(container(pathRouted.resources).Command, undefined);
  });

  test("the user's settings come after Berth's: they add and may override", () => {
    const env = environment(hostRouted.resources);
    assert.equal(env.LOG_LEVEL, 'debug');
    assert.equal(env.FEATURE_X, 'on');
    assert.equal(env.PORT, '8081');
    assert.equal(env.SHUTDOWN_DRAIN_SECONDS, '12');
    assert.equal(environment(pathRouted.resources).LOG_LEVEL, 'info');
  });

  test('the container is named after the service', () => {
    assert.equal(container(hostRouted.resources).Name, 'api');
  });

  test("the health check's start period is the grace period held from 10 to 300 s", () => {
    // Grace 5 s → 10 s; grace 420 s → 300 s (ECS HealthCheck StartPeriod: 0-300 s).
    assert.equal(container(hostRouted.resources).HealthCheck.StartPeriod, 10);
    assert.equal(container(pathRouted.resources).HealthCheck.StartPeriod, 300);
    assert.equal(
      only(pathRouted.resources, 'AWS::ECS::Service').properties.HealthCheckGracePeriodSeconds,
      420,
    );
  });
});
