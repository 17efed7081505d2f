import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateCost } from '../src/plan/cost.js';
import { renderDiagram } from '../src/plan/diagram.js';
import { renderServices } from '../src/plan/format.js';
import { PRICES_2026_11_21 as PRICES } from '../src/plan/prices.js';
import { capacityAtMinimum } from '../src/plan/service-capacity.js';
import { describeRoute, plannedServices } from '../src/plan/services.js';
import { summarize } from '../src/plan/summary.js';
import type { CfnResource, StackTemplate } from '../src/plan/template.js';
import { fixtureStacks } from './fixtures/plan/stacks.js';

const cents = (n: number) => Math.round(n * 100) / 100;

/**
 * The test fixture's `web` (listener default, 1–4 × 256/512) plus, in the same Service stack, a second web
 * service `admin` on its own host with its own target group and rule, and a worker with no load balancer.
 * Distinct sizes and counts so a swap between services shows.
 */
function threeServices(o: { workerMinTasks?: number; instanceType?: string } = {}): StackTemplate[] {
  const stacks = fixtureStacks({ instanceType: o.instanceType ?? 't3.small' });
  const service = stacks.find((s) => s.stackName.endsWith('-Service'))!;
  const resources = service.template.Resources as Record<string, CfnResource>;
  const task = (name: string, cpu: number, memory: number, secrets: string[]): CfnResource => ({
    Type: 'AWS::ECS::TaskDefinition',
    Properties: {
      NetworkMode: 'bridge',
      ContainerDefinitions: [
        {
          Name: name,
          Cpu: cpu,
          Memory: memory,
          LogConfiguration: {
            LogDriver: 'awslogs',
            Options: { 'awslogs-group': { Ref: `${name}Logs` }, 'awslogs-stream-prefix': name },
          },
          Secrets: secrets.map((s) => ({ Name: s, ValueFrom: 'arn:secret' })),
        },
        // A sidecar without cpu reserves no CPU units; its memory counts.
        { Name: 'otel-collector', MemoryReservation: 64 },
      ],
    },
  });
  const scalable = (service: string, min: number, max: number): CfnResource => ({
    Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
    Properties: {
      MinCapacity: min,
      MaxCapacity: max,
      ResourceId: {
        'Fn::Join': ['', ['service/', { Ref: 'Cluster' }, '/', { 'Fn::GetAtt': [service, 'Name'] }]],
      },
      ScalableDimension: 'ecs:service:DesiredCount',
    },
  });
  Object.assign(resources, {
    adminLogs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 14 } },
    AdminTargetGroup: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Port: 8080 } },
    AdminAlternateTargetGroup: {
      Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
      Properties: { Port: 8080 },
    },
    AdminRule: {
      Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
      Properties: {
        ListenerArn: { Ref: 'Listener80' },
        Priority: 10,
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: { Ref: 'AdminTargetGroup' }, Weight: 100 },
                { TargetGroupArn: { Ref: 'AdminAlternateTargetGroup' }, Weight: 0 },
              ],
            },
          },
        ],
        Conditions: [
          { Field: 'host-header', HostHeaderConfig: { Values: ['admin.shop.example'] } },
          { Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } },
        ],
      },
    },
    AdminTask: task('admin', 512, 1024, []),
    AdminService: {
      Type: 'AWS::ECS::Service',
      Properties: {
        TaskDefinition: { Ref: 'AdminTask' },
        LoadBalancers: [
          {
            ContainerName: 'admin',
            ContainerPort: 8080,
            TargetGroupArn: { Ref: 'AdminTargetGroup' },
            AdvancedConfiguration: { AlternateTargetGroupArn: { Ref: 'AdminAlternateTargetGroup' } },
          },
        ],
      },
    },
    AdminScaling: scalable('AdminService', 2, 3),
    workerLogs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 14 } },
    WorkerTask: task('worker', 1024, 1536, ['PGHOST', 'PGPASSWORD']),
    WorkerService: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: { Ref: 'WorkerTask' } } },
    WorkerScaling: scalable('WorkerService', o.workerMinTasks ?? 1, 6),
  });
  return stacks;
}

describe('plannedServices: each service as the templates build it', () => {
  it('reads the kind, size, counts, port, target groups, routes and database access of every service', () => {
    const services = plannedServices(threeServices());
    assert.deepEqual(
      services.map(({ logGroup: _, ...s }) => s),
      [
        {
          name: 'web',
          kind: 'web',
          taskCpu: 256,
          taskMemoryMiB: 512,
          minTasks: 1,
          maxTasks: 4,
          port: 80,
          database: true,
          targetGroups: 1,
          routes: [{ paths: [], hosts: [] }],
        },
        {
          name: 'admin',
          kind: 'web',
          taskCpu: 512,
          taskMemoryMiB: 1024 + 64,
          minTasks: 2,
          maxTasks: 3,
          port: 8080,
          database: false,
          targetGroups: 2,
          routes: [{ paths: ['/*'], hosts: ['admin.shop.example'], priority: 10 }],
        },
        {
          name: 'worker',
          kind: 'worker',
          taskCpu: 1024,
          taskMemoryMiB: 1536 + 64,
          minTasks: 1,
          maxTasks: 6,
          database: true,
          targetGroups: 0,
          routes: [],
        },
      ],
    );
    assert.deepEqual(
      services.map((s) => s.logGroup),
      [undefined, 'adminLogs', 'workerLogs'],
    );
  });

  it('describes routes as a reviewer reads them', () => {
    assert.equal(describeRoute({ paths: [], hosts: [] }), 'every request (listener default)');
    assert.equal(describeRoute({ paths: ['/api/*'], hosts: [], priority: 10 }), '/api/* (rule 10)');
    assert.equal(
      describeRoute({ paths: ['/*'], hosts: ['admin.shop.example'], priority: 20 }),
      'admin.shop.example /* (rule 20)',
    );
    assert.equal(describeRoute({ paths: [], hosts: ['a.example'], priority: 5 }), 'a.example /* (rule 5)');
  });
});

describe('capacity the services need at their minimum task counts', () => {
  it('adds every service: 1×256 + 2×512 + 1×1024 CPU, 1×512 + 2×1088 + 1×1600 MiB on t3.small', () => {
    // t3.small: 2 vCPU = 2048 units; 2 GiB × 0.9 = 1843 MiB. CPU 2304 → 2, memory 4288 → 3 instances.
    assert.deepEqual(capacityAtMinimum(plannedServices(threeServices()), 't3.small'), {
      cpu: 2304,
      memoryMiB: 4288,
      instanceCpu: 2048,
      instanceMemoryMiB: 1843,
      instancesNeeded: 3,
    });
  });

  it('is unknown for an instance type without a size, and at least one instance', () => {
    assert.equal(capacityAtMinimum(plannedServices(threeServices()), 'x9.huge'), undefined);
    assert.equal(capacityAtMinimum(plannedServices(fixtureStacks()), 't3.large')?.instancesNeeded, 1);
  });

  it('prices the instances the services need when the ASG minimum is smaller', () => {
    const report = estimateCost(threeServices(), PRICES);
    const ec2 = report.lines.filter((l) => l.item.startsWith('EC2 t3.small'));
    assert.deepEqual(
      ec2.map((l) => [l.item, l.quantity, cents(l.monthly)]),
      // 3 × 0.0228 × 730 = 49.93
      [["EC2 t3.small (3: the services' minimum tasks need 3, above the ASG minimum 1)", 3, 49.93]],
    );
    const ebs = report.lines.find((l) => l.item.startsWith('EBS gp3 root volume'));
    // 30 GiB × 3 × 0.088 = 7.92
    assert.deepEqual(
      [ebs?.item, cents(ebs?.monthly ?? 0)],
      ['EBS gp3 root volume 30 GiB × 3 instance(s)', 7.92],
    );
  });

  it('keeps the ASG minimum when it is enough (one service on the test fixture)', () => {
    const ec2 = estimateCost(fixtureStacks(), PRICES).lines.filter((l) => l.item.startsWith('EC2 '));
    assert.deepEqual(
      ec2.map((l) => l.item),
      ['EC2 t3.small (ASG minimum 1)'],
    );
  });
});

describe('per-service log ingestion', () => {
  it("prices each service's log group at 2 GB/month, and the environment's other logs at 5 GB", () => {
    const report = estimateCost(threeServices(), PRICES);
    const logs = report.lines
      .filter((l) => l.item.startsWith('CloudWatch Logs ingestion'))
      .map((l) => [l.item, l.logicalId, l.quantity, cents(l.monthly)]);
    // 2 GB × 0.57 = 1.14 per service with a log group; 5 GB × 0.57 = 2.85 for the rest.
    assert.deepEqual(logs, [
      ['CloudWatch Logs ingestion', 'LogGroup', 5, 2.85],
      ['CloudWatch Logs ingestion, service admin', 'adminLogs', 2, 1.14],
      ['CloudWatch Logs ingestion, service worker', 'workerLogs', 2, 1.14],
    ]);
  });
});

describe('the plan text and the diagram list each service with its route', () => {
  it('prints a Services section', () => {
    assert.deepEqual(renderServices(summarize(threeServices())), [
      'Services',
      '  web     web     every request (listener default) → port 80, 1 target group(s)   1–4 tasks × 256 CPU / 512 MiB',
      '  admin   web     admin.shop.example /* (rule 10) → port 8080, 2 target group(s)  2–3 tasks × 512 CPU / 1088 MiB',
      '  worker  worker  no inbound traffic                                              1–6 tasks × 1024 CPU / 1600 MiB',
      '  at minimum: 2304 CPU / 4288 MiB → at least 3 × t3.small (2048 CPU / 1843 MiB each); ASG minimum 1',
    ]);
  });

  it('draws a node per service, the load balancer to each web service by its route, none to the worker', () => {
    const diagram = renderDiagram(threeServices());
    for (const line of [
      '      svc_admin["admin: web service × 2–3 tasks<br/>512 CPU / 1088 MiB · bridge mode, dynamic host ports"]',
      '      svc_worker["worker: worker service × 1–6 tasks<br/>1024 CPU / 1600 MiB · bridge mode"]',
      '  alb -->|"every request (listener default) · ports 32768-65535"| svc_web',
      '  alb -->|"admin.shop.example /* (rule 10) · ports 32768-65535"| svc_admin',
      '  svc_worker -->|"5432, TLS verify-full"| db',
      '  svc_worker -->|"awslogs"| logs',
    ]) {
      assert.ok(diagram.split('\n').includes(line), `missing: ${line}\n${diagram}`);
    }
    assert.ok(!diagram.includes('| svc_worker'), 'nothing routes to the worker');
    assert.ok(!diagram.includes('svc_admin -->|"5432'), 'admin has no database access');
  });
});
