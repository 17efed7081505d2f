import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnvironmentConfig } from '@berth/infra';
import { type CostReport, DEFAULT_USAGE, estimateCost } from '../src/plan/cost.js';
import { PRICES_2026_11_21 as PRICES } from '../src/plan/prices.js';
import type { StackTemplate } from '../src/plan/template.js';
import { synthesizeWith } from './fixtures/plan/config-change.js';
import { fixtureStacks } from './fixtures/plan/stacks.js';

const cents = (n: number) => Math.round(n * 100) / 100;
const only = (type: string, resources: StackTemplate['template']['Resources']): StackTemplate[] => [
  { stackName: `Fixture-${type}`, region: 'eu-west-1', template: { Resources: resources } },
];
const monthlyOf = (report: CostReport, item: string) =>
  cents(report.lines.filter((l) => l.item.startsWith(item)).reduce((a, l) => a + l.monthly, 0));

describe('estimateCost on the test-sized fixture (eu-west-1, 730 h)', () => {
  const report = estimateCost(fixtureStacks(), PRICES);

  it('prices every floor line from the table', () => {
    // NAT 0.048×730 = 35.04; its EIP 0.005×730 = 3.65
    assert.equal(monthlyOf(report, 'NAT gateway'), 35.04);
    assert.equal(monthlyOf(report, 'Elastic IP'), 3.65);
    // ALB 0.0252×730 = 18.396; two public IPv4 (one per subnet) 2×0.005×730 = 7.30
    assert.equal(monthlyOf(report, 'Application Load Balancer'), 18.4);
    assert.equal(monthlyOf(report, 'ALB public IPv4'), 7.3);
    // ASG minimum 1 × t3.small 0.0228×730 = 16.644; root gp3 30 GiB × 1 × 0.088 = 2.64
    assert.equal(monthlyOf(report, 'EC2 t3.small'), 16.64);
    assert.equal(monthlyOf(report, 'EBS gp3 root volume 30 GiB'), 2.64);
    // RDS db.t4g.micro single-AZ 0.017×730 = 12.41; gp3 20 GiB × 0.127 = 2.54
    assert.equal(monthlyOf(report, 'RDS PostgreSQL db.t4g.micro (single-AZ)'), 12.41);
    assert.equal(monthlyOf(report, 'RDS gp3 storage 20 GiB'), 2.54);
    // Secret 0.40; Container Insights 30 metrics × 0.30 = 9.00; 2 alarms × 0.10; dashboard 3.00
    assert.equal(monthlyOf(report, 'Secrets Manager secret'), 0.4);
    assert.equal(monthlyOf(report, 'Container Insights'), 9);
    assert.equal(monthlyOf(report, 'CloudWatch alarm'), 0.2);
    assert.equal(monthlyOf(report, 'CloudWatch dashboard'), 3);
  });

  it('adds the floor up: 3.65+35.04+0.40+12.41+2.54+9+16.644+2.64+18.396+7.30+0.20+3 = 111.22', () => {
    assert.equal(cents(report.floorMonthly), 111.22);
  });

  it('prices usage from stated assumptions: LCU 1×0.008×730=5.84, NAT 20 GB×0.048=0.96, logs 5 GB×0.57=2.85', () => {
    assert.equal(monthlyOf(report, 'ALB capacity units'), 5.84);
    assert.equal(monthlyOf(report, 'NAT data processing'), 0.96);
    assert.equal(monthlyOf(report, 'CloudWatch Logs ingestion'), 2.85);
    assert.equal(cents(report.usageMonthly), 9.65);
    assert.equal(cents(report.totalMonthly), 120.87);
    for (const usage of report.lines.filter((l) => l.kind === 'usage')) {
      assert.ok(usage.assumption, `${usage.item} states its assumption`);
    }
  });

  it('lists free resource types with a reason and leaves nothing unpriced', () => {
    assert.deepEqual(report.notPriced, []);
    const free = new Map(report.free.map((f) => [f.type, f]));
    assert.equal(free.get('AWS::EC2::Subnet')?.count, 4);
    assert.ok(free.get('AWS::EC2::LaunchTemplate')?.reason.includes('Auto Scaling group'));
    // The S3 gateway endpoint is free: no line for it.
    assert.equal(report.lines.filter((l) => l.logicalId === 'S3Endpoint').length, 0);
  });

  it('a domain costs nothing of its own: the ACM certificate and the alias record are in the free list', () => {
    // AWS Certificate Manager pricing: public certificates are free. Route 53 pricing: alias queries to an ELB
    // load balancer are free. The hosted zone is the user's and is not in the template.
    const domain = estimateCost(
      only('Domain', {
        Certificate: {
          Type: 'AWS::CertificateManager::Certificate',
          Properties: { DomainName: 'a.example.net' },
        },
        AliasIpv4: { Type: 'AWS::Route53::RecordSet', Properties: { Name: 'a.example.net.', Type: 'A' } },
        AliasIpv6: { Type: 'AWS::Route53::RecordSet', Properties: { Name: 'a.example.net.', Type: 'AAAA' } },
      }),
      PRICES,
    );
    assert.deepEqual(domain.lines, []);
    assert.deepEqual(domain.notPriced, []);
    assert.deepEqual(
      domain.free.map((f) => [f.type, f.count]),
      [
        ['AWS::CertificateManager::Certificate', 1],
        ['AWS::Route53::RecordSet', 2],
      ],
    );
    const reasons = domain.free.map((f) => f.reason).join(' | ');
    assert.match(reasons, /public ACM certificates are free/);
    assert.match(reasons, /hosted zone is yours \(not created by Berth\)/);
  });
});

describe('estimateCost on the prod-sized fixture', () => {
  const report = estimateCost(
    fixtureStacks({
      env: 'Prod',
      natGateways: 2,
      multiAz: true,
      instanceType: 't3.medium',
      minInstances: 2,
      dbClass: 'db.t4g.small',
      certificate: true,
    }),
    PRICES,
  );

  it('doubles NAT, instances and the Multi-AZ database', () => {
    // 2 NAT × 35.04 = 70.08; 2 EIP × 3.65 = 7.30
    assert.equal(monthlyOf(report, 'NAT gateway'), 70.08);
    assert.equal(monthlyOf(report, 'Elastic IP'), 7.3);
    // Multi-AZ: 2 × 0.034 × 730 = 49.64; storage 20 × 2 × 0.127 = 5.08
    assert.equal(monthlyOf(report, 'RDS PostgreSQL db.t4g.small (Multi-AZ ×2)'), 49.64);
    assert.equal(monthlyOf(report, 'RDS gp3 storage'), 5.08);
    // 2 × t3.medium 0.0456 × 730 = 66.576; root 30 × 2 × 0.088 = 5.28
    assert.equal(monthlyOf(report, 'EC2 t3.medium'), 66.58);
    assert.equal(monthlyOf(report, 'EBS gp3'), 5.28);
  });

  it('floor: 7.30+70.08+0.40+49.64+5.08+9+66.576+5.28+18.396+7.30+0.20+3 = 242.25', () => {
    assert.equal(cents(report.floorMonthly), 242.25);
  });
});

describe('estimateCost of turning VPC endpoints on in the real prod synth (one region, eu-west-1)', {
  timeout: 120_000,
}, () => {
  // Pinned to one region so the expectation holds whatever prod's own region list becomes.
  const oneRegion = (c: EnvironmentConfig): EnvironmentConfig => ({ ...c, regions: ['eu-west-1'] });
  const estimate = async (vpcEndpoints: boolean) =>
    estimateCost(
      await synthesizeWith('prod', (c) => ({ ...oneRegion(c), network: { ...c.network, vpcEndpoints } })),
      PRICES,
    );

  it('adds 11 interface endpoints × 2 AZ × 0.011 × 730 = 176.66 a month, plus 20 GB × 0.01 = 0.20 of data', async () => {
    const off = await estimate(false);
    const on = await estimate(true);
    // ecr.api, ecr.dkr, ecs, ecs-agent, ecs-telemetry, logs, secretsmanager, ssm, ssmmessages, ec2messages,
    // monitoring: each in both private subnets (AWS PrivateLink pricing: per endpoint per AZ-hour).
    const endpoints = on.lines.filter((l) => l.item === 'Interface VPC endpoint (per AZ)');
    assert.equal(endpoints.length, 11);
    for (const endpoint of endpoints)
      assert.equal(endpoint.quantity, 2, `${endpoint.logicalId} spans both AZs`);
    assert.equal(monthlyOf(on, 'Interface VPC endpoint'), 176.66);
    assert.equal(monthlyOf(on, 'Interface endpoint data processing'), 0.2);
    // Nothing else moves: the S3 gateway endpoint and the endpoints' security group are free.
    assert.equal(cents(on.floorMonthly - off.floorMonthly), 176.66);
    assert.equal(cents(on.usageMonthly - off.usageMonthly), 0.2);
    assert.deepEqual(on.notPriced, []);
  });
});

describe('estimateCost per resource type', () => {
  it('prices interface endpoints per AZ-hour and their data: 2 endpoints × 2 AZ × 0.011 × 730 = 32.12', () => {
    const report = estimateCost(fixtureStacks({ interfaceEndpoints: 2 }), PRICES);
    assert.equal(monthlyOf(report, 'Interface VPC endpoint'), 32.12);
    // 20 GB × 0.01 = 0.20
    assert.equal(monthlyOf(report, 'Interface endpoint data processing'), 0.2);
  });

  it('prices KMS keys, composite alarms, ECR and S3 storage', () => {
    const report = estimateCost(
      only('misc', {
        Key: { Type: 'AWS::KMS::Key' },
        Composite: { Type: 'AWS::CloudWatch::CompositeAlarm' },
        Repo: { Type: 'AWS::ECR::Repository' },
        Bucket: { Type: 'AWS::S3::Bucket' },
      }),
      PRICES,
    );
    assert.equal(monthlyOf(report, 'KMS customer managed key'), 1);
    assert.equal(monthlyOf(report, 'CloudWatch composite alarm'), 0.5);
    // 2 GB × 0.10 = 0.20; 5 GB × 0.023 = 0.115
    assert.equal(monthlyOf(report, 'ECR image storage'), 0.2);
    assert.equal(monthlyOf(report, 'S3 storage'), 0.12);
    assert.equal(report.lines.find((l) => l.item.startsWith('ECR'))?.kind, 'usage');
  });

  it('prices a WAF web ACL: $5 + 4 rules × $1 = 9.00 a month, and 10 M requests × $0.60 = 6.00', () => {
    const rule = (name: string) => ({ Name: name });
    const report = estimateCost(
      only('waf', {
        Acl: {
          Type: 'AWS::WAFv2::WebACL',
          Properties: {
            Scope: 'REGIONAL',
            Rules: [rule('IpReputation'), rule('Common'), rule('KnownBadInputs'), rule('RateLimit')],
          },
        },
        Association: { Type: 'AWS::WAFv2::WebACLAssociation' },
        Logging: { Type: 'AWS::WAFv2::LoggingConfiguration' },
      }),
      PRICES,
    );
    assert.equal(monthlyOf(report, 'WAF web ACL'), 5);
    assert.equal(monthlyOf(report, 'WAF rules (4'), 4);
    assert.equal(monthlyOf(report, 'WAF requests inspected'), 6);
    assert.equal(report.lines.find((l) => l.item === 'WAF requests inspected')?.kind, 'usage');
    assert.equal(cents(report.floorMonthly), 9);
    assert.deepEqual(report.notPriced, []);
    assert.deepEqual(
      report.free.map((f) => f.type),
      ['AWS::WAFv2::LoggingConfiguration', 'AWS::WAFv2::WebACLAssociation'],
    );
    // 25 million requests: 25 × 0.60 = 15.00
    const busy = estimateCost(
      only('waf', { Acl: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [] } } }),
      PRICES,
      { ...DEFAULT_USAGE, requestsMillions: 25 },
    );
    assert.equal(monthlyOf(busy, 'WAF requests inspected'), 15);
    assert.equal(monthlyOf(busy, 'WAF rules (0'), 0);
  });

  it('bills metric-math and high-resolution alarms per metric', () => {
    const report = estimateCost(
      only('alarms', {
        Math: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            Metrics: [
              { Id: 'a', MetricStat: { Period: 60 } },
              { Id: 'b', MetricStat: { Period: 60 } },
              { Id: 'e', Expression: 'a/b' },
            ],
          },
        },
        Fast: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 10 } },
      }),
      PRICES,
    );
    // 2 metrics × 0.10 = 0.20; high resolution 1 × 0.30
    assert.equal(monthlyOf(report, 'CloudWatch alarm (high resolution)'), 0.3);
    assert.equal(cents(report.floorMonthly), 0.5);
  });

  it('adds the RDS-managed master secret and prices in the stack region (us-east-1)', () => {
    const report = estimateCost(
      [
        {
          stackName: 'Db',
          region: 'us-east-1',
          template: {
            Resources: {
              Db: {
                Type: 'AWS::RDS::DBInstance',
                Properties: {
                  Engine: 'postgres',
                  DBInstanceClass: 'db.t3.micro',
                  AllocatedStorage: 100,
                  ManageMasterUserPassword: true,
                },
              },
            },
          },
        },
      ],
      PRICES,
    );
    // 0.018 × 730 = 13.14; gp2 (CloudFormation's default) 100 × 0.115 = 11.50; secret 0.40
    assert.equal(monthlyOf(report, 'RDS PostgreSQL db.t3.micro'), 13.14);
    assert.equal(monthlyOf(report, 'RDS gp2 storage 100 GiB'), 11.5);
    assert.equal(monthlyOf(report, 'RDS-managed master user secret'), 0.4);
  });

  it('assumes the 30 GiB AMI root volume when the launch template maps none, and says so', () => {
    const report = estimateCost(
      only('asg', {
        Lt: {
          Type: 'AWS::EC2::LaunchTemplate',
          Properties: { LaunchTemplateData: { InstanceType: 't4g.small' } },
        },
        Asg: {
          Type: 'AWS::AutoScaling::AutoScalingGroup',
          Properties: { MinSize: '2', MaxSize: '4', LaunchTemplate: { LaunchTemplateId: { Ref: 'Lt' } } },
        },
      }),
      PRICES,
    );
    // 2 × 0.0184 × 730 = 26.864; EBS gp2 (default) 30 × 2 × 0.11 = 6.60
    assert.equal(monthlyOf(report, 'EC2 t4g.small (ASG minimum 2)'), 26.86);
    const root = report.lines.find((l) => l.item.startsWith('EBS'));
    assert.equal(cents(root?.monthly ?? 0), 6.6);
    assert.match(root?.assumption ?? '', /30 GiB/);
  });
});

describe('estimateCost never prices silently at zero', () => {
  it('lists an unknown resource type as not priced', () => {
    const report = estimateCost(
      fixtureStacks({ extra: { Files: { Type: 'AWS::EFS::FileSystem', Properties: {} } } }),
      PRICES,
    );
    assert.deepEqual(
      report.notPriced.map((n) => [n.logicalId, n.type]),
      [['Files', 'AWS::EFS::FileSystem']],
    );
    assert.match(report.notPriced[0]!.reason, /unknown resource type/);
  });

  it('resolves Ref to a parameter default and Fn::If on a decidable condition', () => {
    const report = estimateCost(
      [
        {
          stackName: 'Db',
          region: 'eu-west-1',
          template: {
            Parameters: { DbClass: { Type: 'String', Default: 'db.t4g.medium' } },
            Conditions: { IsProd: { 'Fn::Equals': ['test', 'prod'] } },
            Resources: {
              Db: {
                Type: 'AWS::RDS::DBInstance',
                Properties: {
                  Engine: 'postgres',
                  DBInstanceClass: { Ref: 'DbClass' },
                  MultiAZ: { 'Fn::If': ['IsProd', true, false] },
                  AllocatedStorage: 20,
                },
              },
            },
          },
        },
      ],
      PRICES,
    );
    // single-AZ (condition false) db.t4g.medium 0.068 × 730 = 49.64
    assert.equal(monthlyOf(report, 'RDS PostgreSQL db.t4g.medium (single-AZ)'), 49.64);
  });

  it('marks an unresolvable intrinsic as "not priced: unresolved value"', () => {
    const report = estimateCost(
      only('db', {
        Db: {
          Type: 'AWS::RDS::DBInstance',
          Properties: { Engine: 'postgres', DBInstanceClass: { 'Fn::ImportValue': 'SomeClass' } },
        },
      }),
      PRICES,
    );
    assert.equal(report.lines.length, 0);
    assert.match(report.notPriced[0]!.reason, /^not priced: unresolved value \(DBInstanceClass\)/);
  });

  it('names the missing price when an instance type or region is not in the table', () => {
    const unknownType = estimateCost(fixtureStacks({ instanceType: 'x2idn.32xlarge' }), PRICES);
    assert.match(unknownType.notPriced[0]!.reason, /no price for EC2 x2idn\.32xlarge in eu-west-1/);
    const unknownRegion = estimateCost(fixtureStacks({ region: 'ap-south-1' }), PRICES);
    assert.ok(unknownRegion.notPriced.length > 0);
    assert.ok(unknownRegion.notPriced.every((n) => n.reason === 'no price table for region ap-south-1'));
    assert.equal(unknownRegion.totalMonthly, 0);
  });

  it('uses the default usage assumptions unless given others', () => {
    const report = estimateCost(fixtureStacks(), PRICES, { ...DEFAULT_USAGE, natGbPerMonth: 100 });
    // 100 GB × 0.048 = 4.80
    assert.equal(monthlyOf(report, 'NAT data processing'), 4.8);
  });
});

describe('the cost table of the real app', () => {
  it("prices prod's WAF: web ACL 5.00, 4 rules 4.00, 10 M requests × 0.60 = 6.00; test has none", async () => {
    const prod = estimateCost(await synthesizeWith('prod'), PRICES);
    const waf = prod.lines.filter((l) => l.item.startsWith('WAF'));
    assert.deepEqual(
      waf.map((l) => [l.item, cents(l.monthly), l.kind]),
      [
        ['WAF web ACL', 5, 'floor'],
        ['WAF rules (4, a rule group counts as one)', 4, 'floor'],
        ['WAF requests inspected', 6, 'usage'],
      ],
    );
    assert.deepEqual(
      prod.notPriced.filter((n) => n.type.startsWith('AWS::WAFv2::')),
      [],
    );
    const test = estimateCost(await synthesizeWith('test'), PRICES);
    assert.deepEqual(
      test.lines.filter((l) => l.item.startsWith('WAF')),
      [],
    );
  });
});

describe('X-Ray, when the task definition carries the ADOT collector', () => {
  const taskDefinition = (image: string, ratio: string) => ({
    Type: 'AWS::ECS::TaskDefinition',
    Properties: {
      ContainerDefinitions: [
        {
          Name: 'web',
          Image: 'repo@sha256:abc',
          Environment: [{ Name: 'TRACING_SAMPLE_RATIO', Value: ratio }],
        },
        { Name: 'otel-collector', Image: image },
      ],
    },
  });

  it('recorded = requests × sample ratio at $5 per million; retrieved/scanned at $0.50 per million', () => {
    const usage = { ...DEFAULT_USAGE, requestsMillions: 30, xrayRetrievedMillions: 3 };
    const report = estimateCost(
      only('TaskDefinition', {
        Task: taskDefinition('public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2', '0.2'),
      }),
      PRICES,
      usage,
    );
    // 30 million × 0.2 = 6 million traces × $5 = $30; 3 million × $0.50 = $1.50
    assert.equal(monthlyOf(report, 'X-Ray traces recorded'), 30);
    assert.equal(monthlyOf(report, 'X-Ray traces retrieved or scanned'), 1.5);
    const recorded = report.lines.find((l) => l.item === 'X-Ray traces recorded');
    assert.equal(recorded?.kind, 'usage');
    assert.match(recorded?.assumption ?? '', /30 million requests\/month × sample ratio 0\.2/);
  });

  it('no collector, no X-Ray line', () => {
    const report = estimateCost(only('TaskDefinition', { Task: taskDefinition('nginx:1', '0.2') }), PRICES);
    assert.equal(monthlyOf(report, 'X-Ray'), 0);
  });
});
