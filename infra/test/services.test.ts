/**
 * Several services in one environment (#13 item 2), synthesized through the real app with cdk-nag on: three web
 * services behind one load balancer (catch-all, a path, a host) and two workers, one release command, secrets.
 * Every expectation is a literal written here, not read from the config the app was built from.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveConfig } from '../config/resolve.js';
import type { BerthConfig } from '../config/schema.js';
import { synthesize } from './fixtures/platform.js';
import { shopEnvironments } from './fixtures/shop-environments.js';

const ACCOUNT = '444455556666';
const SHOP = {
  app: 'shop',
  github: { repository: 'acme/shop' },
  services: {
    api: {
      type: 'web',
      port: 8000,
      healthCheck: { path: '/health' },
      release: { command: ['python', 'manage.py', 'migrate'] },
      environment: { SHOP_MODE: 'api' },
      secrets: {
        STRIPE_KEY: { ssm: '/shop/stripe-key' },
        SIGNING_KEY: { secretsManager: 'shop/signing', key: 'current' },
      },
    },
    admin: {
      type: 'web',
      port: 8100,
      route: { path: '/admin/*', priority: 5 },
      database: false,
      deployment: { strategy: 'rolling' },
    },
    docs: { type: 'web', port: 8200, route: { host: 'docs.shop.example' }, database: false },
    jobs: { type: 'worker', command: ['python', 'jobs.py'] },
    mailer: { type: 'worker', command: ['python', 'mailer.py'], database: false },
  },
  environments: shopEnvironments(ACCOUNT),
} as const satisfies BerthConfig;

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

// GIVEN the shop app, WHEN synthesized (both environments, cdk-nag and schema checks on)
const app = synthesize({
  config: resolveConfig(SHOP),
  context: { 'berth:image': `sha256:${'c'.repeat(64)}` },
});
const service = app.json('Shop-Test-eu-west-1-Service');
const monitoring = app.json('Shop-Test-eu-west-1-Monitoring');
const resources = service.Resources as Record<string, Json>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const under = (id: string, prefix: string) => id.startsWith(prefix);
const ref = (value: Json): string | undefined => value?.Ref ?? value?.['Fn::GetAtt']?.[0];

describe('several services synthesize together', () => {
  test('no unacknowledged cdk-nag finding, no schema error', () => {
    assert.equal(app.synthError, null, String(app.synthError));
    assert.deepEqual(
      app.nagViolations,
      [],
      app.nagViolations.map((v) => `${v.rule} at ${v.path}`).join('\n'),
    );
  });

  test('five ECS services, each with the circuit breaker and its own container name', () => {
    const services = ofType('AWS::ECS::Service');
    assert.equal(services.length, 5);
    for (const [, s] of services) {
      assert.deepEqual(s.Properties.DeploymentConfiguration.DeploymentCircuitBreaker, {
        Enable: true,
        Rollback: true,
      });
    }
    const containers = ofType('AWS::ECS::TaskDefinition').map(([, t]) =>
      t.Properties.ContainerDefinitions.map((c: Json) => c.Name).filter(
        (n: string) => n !== 'otel-collector',
      ),
    );
    assert.deepEqual(containers.flat().sort(), ['admin', 'api', 'docs', 'jobs', 'mailer', 'release']);
  });

  test('every app container logs to a group with a retention, under its own stream prefix', () => {
    const groups = Object.fromEntries(ofType('AWS::Logs::LogGroup').map(([id, g]) => [id, g.Properties]));
    for (const [, task] of ofType('AWS::ECS::TaskDefinition')) {
      for (const c of task.Properties.ContainerDefinitions) {
        const options = c.LogConfiguration.Options;
        assert.equal(c.LogConfiguration.LogDriver, 'awslogs');
        if (c.Name !== 'otel-collector') assert.equal(options['awslogs-stream-prefix'], c.Name);
        assert.equal(groups[ref(options['awslogs-group'])!]?.RetentionInDays, 14);
      }
    }
  });
});

describe('routing: one load balancer, a rule per web service', () => {
  const listeners = ofType('AWS::ElasticLoadBalancingV2::Listener');
  const rules = ofType('AWS::ElasticLoadBalancingV2::ListenerRule');
  const groups = ofType('AWS::ElasticLoadBalancingV2::TargetGroup');
  const groupOf = (prefix: string) =>
    groups
      .filter(([id]) => under(id, prefix))
      .map(([id]) => id)
      .sort();

  test('one load balancer and one listener (port 80, no certificate)', () => {
    assert.equal(ofType('AWS::ElasticLoadBalancingV2::LoadBalancer').length, 1);
    assert.equal(listeners.length, 1);
    assert.equal(listeners[0]![1].Properties.Port, 80);
  });

  test('target groups: api and docs two each (blue/green), admin one (rolling), on their own ports', () => {
    assert.equal(groupOf('Api').length, 2);
    assert.equal(groupOf('Docs').length, 2);
    assert.equal(groupOf('Admin').length, 1);
    const ports = Object.fromEntries(groups.map(([id, g]) => [id.slice(0, 4), g.Properties.Port]));
    assert.deepEqual(ports, { ApiT: 8000, ApiA: 8000, Admi: 8100, Docs: 8200 });
    const healthPaths = groups.map(([id, g]) => `${id.slice(0, 4)} ${g.Properties.HealthCheckPath}`).sort();
    assert.deepEqual(healthPaths, ['Admi /', 'ApiA /health', 'ApiT /health', 'Docs /', 'Docs /']);
  });

  test('the catch-all (api) takes the listener default and its weighted rule is evaluated last', () => {
    const [primary] = groupOf('ApiTargetGroup');
    assert.deepEqual(listeners[0]![1].Properties.DefaultActions, [
      { Type: 'forward', TargetGroupArn: { Ref: primary } },
    ]);
    const [, api] = rules.find(([id]) => under(id, 'ApiProductionRule'))!;
    assert.equal(api.Properties.Priority, 50000);
    assert.deepEqual(api.Properties.Conditions, [
      { Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } },
    ]);
  });

  test('admin: its own forward rule on /admin/* at priority 5', () => {
    const [, admin] = rules.find(([id]) => under(id, 'Admin'))!;
    assert.equal(admin.Properties.Priority, 5);
    assert.deepEqual(admin.Properties.Conditions, [
      { Field: 'path-pattern', PathPatternConfig: { Values: ['/admin/*'] } },
    ]);
    assert.deepEqual(admin.Properties.Actions, [
      { Type: 'forward', TargetGroupArn: { Ref: groupOf('Admin')[0] } },
    ]);
  });

  test('docs: a weighted rule on its host, at the second default priority (20)', () => {
    const [, docs] = rules.find(([id]) => under(id, 'DocsProductionRule'))!;
    assert.equal(docs.Properties.Priority, 20);
    assert.deepEqual(docs.Properties.Conditions, [
      { Field: 'host-header', HostHeaderConfig: { Values: ['docs.shop.example'] } },
      { Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } },
    ]);
    const targets = docs.Properties.Actions[0].ForwardConfig.TargetGroups.map((t: Json) =>
      ref(t.TargetGroupArn),
    );
    assert.deepEqual(targets.sort(), groupOf('Docs'));
  });

  test('per-service outputs: names, log groups, URLs; the catch-all URL is the environment URL', () => {
    const outputs = Object.keys(service.Outputs).sort();
    for (const key of [
      'ApiServiceName',
      'ApiLogGroupName',
      'ApiTargetGroupArn',
      'ApiProductionRuleArn',
      'ApiUrl',
      'AdminServiceName',
      'AdminTargetGroupArn',
      'AdminUrl',
      'DocsProductionRuleArn',
      'DocsUrl',
      'JobsServiceName',
      'JobsLogGroupName',
      'MailerServiceName',
      'ReleaseTaskDefinitionArn',
    ]) {
      assert.ok(outputs.includes(key), `${key} in ${outputs.join(', ')}`);
    }
    assert.equal(outputs.includes('AdminProductionRuleArn'), false, 'rolling: no weighted rule');
    assert.equal(outputs.includes('JobsUrl'), false, 'a worker has no URL');
    assert.equal(service.Outputs.DocsUrl.Value, 'http://docs.shop.example');
    const url = JSON.stringify(service.Outputs.ServiceUrl.Value);
    assert.equal(JSON.stringify(service.Outputs.ApiUrl.Value), url);
    assert.match(JSON.stringify(service.Outputs.AdminUrl.Value), /"\/admin"\]\]\}$/);
  });
});

describe('network: who reaches what', () => {
  const ingress = ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
  const groupId = (prefix: string) => ofType('AWS::EC2::SecurityGroup').find(([id]) => under(id, prefix))![0];
  const instanceSg = groupId('ClusterInstanceSecurityGroup');
  const alb = ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')[0]![1];
  const albSg = ref(alb.Properties.SecurityGroups[0]);

  test('only the load balancer reaches the instances (web tasks, bridge mode), on the ephemeral ports', () => {
    const toInstances = ingress.filter((r) => ref(r.GroupId) === instanceSg);
    assert.deepEqual(
      toInstances.map((r) => [ref(r.SourceSecurityGroupId), r.FromPort, r.ToPort]),
      [[albSg, 32768, 65535]],
    );
    const inline = resources[instanceSg].Properties.SecurityGroupIngress;
    assert.equal(inline, undefined);
  });

  test('the workers and the release task admit nothing', () => {
    for (const prefix of ['JobsSecurityGroup', 'MailerSecurityGroup', 'ReleaseTaskSecurityGroup']) {
      const sg = groupId(prefix);
      assert.equal(resources[sg].Properties.SecurityGroupIngress, undefined, prefix);
      assert.deepEqual(
        ingress.filter((r) => ref(r.GroupId) === sg),
        [],
        prefix,
      );
    }
  });

  test('the database admits exactly the services with database: true and the release task', () => {
    // The database's group lives in the Data stack: rules here point at its imported id.
    const toDatabase = ingress.filter((r) => r.FromPort === 5432);
    assert.deepEqual(
      toDatabase.map((r) => ref(r.SourceSecurityGroupId)).sort(),
      [
        groupId('ClusterInstanceSecurityGroup'),
        groupId('JobsSecurityGroup'),
        groupId('ReleaseTaskSecurityGroup'),
      ].sort(),
    );
  });
});

describe('settings and secrets', () => {
  const task = (prefix: string) => ofType('AWS::ECS::TaskDefinition').find(([id]) => under(id, prefix))![1];
  const container = (prefix: string, name: string) =>
    task(prefix).Properties.ContainerDefinitions.find((c: Json) => c.Name === name);
  const api = container('ApiTaskDefinition', 'api');

  test('secrets are ECS secrets by reference, never plain environment', () => {
    const secrets = Object.fromEntries(api.Secrets.map((s: Json) => [s.Name, JSON.stringify(s.ValueFrom)]));
    assert.match(secrets.STRIPE_KEY!, /:ssm:eu-west-1:444455556666:parameter\/shop\/stripe-key"/);
    assert.match(
      secrets.SIGNING_KEY!,
      /:secretsmanager:eu-west-1:444455556666:secret:shop\/signing:current::"/,
    );
    const plain = api.Environment.map((e: Json) => e.Name);
    assert.equal(plain.includes('STRIPE_KEY'), false);
    assert.equal(plain.includes('SIGNING_KEY'), false);
    assert.deepEqual(
      api.Environment.find((e: Json) => e.Name === 'SHOP_MODE'),
      { Name: 'SHOP_MODE', Value: 'api' },
    );
  });

  test("the api's execution role reads exactly its two secrets and the database secret", () => {
    const executionRole = ref(task('ApiTaskDefinition').Properties.ExecutionRoleArn);
    const [, policy] = ofType('AWS::IAM::Policy').find(([, p]) =>
      p.Properties.Roles.some((r: Json) => ref(r) === executionRole),
    )!;
    const reads = policy.Properties.PolicyDocument.Statement.filter((s: Json) =>
      [s.Action].flat().some((a: string) => a.startsWith('ssm:') || a.startsWith('secretsmanager:')),
    );
    const resourcesRead = reads.flatMap((s: Json) => [s.Resource].flat()).map((r: Json) => JSON.stringify(r));
    assert.equal(resourcesRead.length, 3, resourcesRead.join('\n'));
    assert.ok(resourcesRead.some((r: string) => /parameter\/shop\/stripe-key"/.test(r)));
    assert.ok(resourcesRead.some((r: string) => /secret:shop\/signing-\?\?\?\?\?\?"/.test(r)));
    assert.ok(resourcesRead.some((r: string) => /ImportValue|DatabaseSecret|Secret/.test(r)));
  });

  test('a service without database: no PG variables; the worker with it has them', () => {
    const names = (c: Json) => [...(c.Secrets ?? []), ...(c.Environment ?? [])].map((e: Json) => e.Name);
    assert.equal(names(container('AdminTaskDefinition', 'admin')).includes('PGPASSWORD'), false);
    assert.equal(names(container('MailerTaskDefinition', 'mailer')).includes('PGPASSWORD'), false);
    assert.equal(names(container('JobsTaskDefinition', 'jobs')).includes('PGPASSWORD'), true);
  });

  test('commands: the workers run theirs, the release task the release command', () => {
    assert.deepEqual(container('JobsTaskDefinition', 'jobs').Command, ['python', 'jobs.py']);
    assert.deepEqual(container('ReleaseTaskTaskDefinition', 'release').Command, [
      'python',
      'manage.py',
      'migrate',
    ]);
    assert.equal(api.Command, undefined, "the image's CMD");
  });
});

describe('monitoring: alarms and widgets per service', () => {
  const alarms = Object.entries(monitoring.Resources as Record<string, Json>).filter(
    ([, r]) => r.Type === 'AWS::CloudWatch::Alarm',
  );
  test('each web service: unhealthy hosts, CPU, memory, pending; each worker: CPU and tasks below desired', () => {
    const ids = alarms.map(([id]) => id.replace(/[A-F0-9]{8}$/, '')).sort();
    for (const web of ['MonitoringApi', 'MonitoringAdmin', 'MonitoringDocs']) {
      for (const a of [
        'UnhealthyHostsAlarm',
        'ServiceCpuHighAlarm',
        'ServiceMemoryHighAlarm',
        'TasksPendingAlarm',
      ]) {
        assert.ok(ids.includes(`${web}${a}`), `${web}${a} in ${ids.join(', ')}`);
      }
    }
    for (const worker of ['MonitoringJobs', 'MonitoringMailer']) {
      assert.ok(ids.includes(`${worker}CpuHighAlarm`));
      assert.ok(ids.includes(`${worker}TasksBelowDesiredAlarm`));
    }
  });

  test('every alarm notifies the topic', () => {
    for (const [id, alarm] of alarms) assert.equal(alarm.Properties.AlarmActions?.length, 1, id);
  });
});
