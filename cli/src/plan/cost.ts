/**
 * Monthly cost estimate from synthesized templates: a floor (what the stacks cost idle, at their minimum
 * size) plus usage-driven lines whose assumption is printed next to them. A resource is either priced, in
 * the explicit free list, or reported as "not priced" — never silently zero.
 */
import { type PriceTable, pricesFor, type RegionPrices } from './prices.js';
import { capacityAtMinimum } from './service-capacity.js';
import { type LocatedService, locateServices } from './services.js';
import {
  allResources,
  asArray,
  asRecord,
  follow,
  type LocatedResource,
  prop,
  referencedId,
  resolveBoolean,
  resolveNumber,
  resolveString,
  type StackTemplate,
  UNRESOLVED,
} from './template.js';

export interface CostLine {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** What is billed, readable on its own: "EC2 t3.small (ASG minimum 1)". */
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPrice: number;
  readonly monthly: number;
  /** floor: billed while the stacks exist at minimum size; usage: depends on traffic, from an assumption. */
  readonly kind: 'floor' | 'usage';
  readonly assumption?: string;
}

export interface NotPricedLine {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
}

export interface FreeLine {
  readonly type: string;
  readonly count: number;
  readonly reason: string;
}

export interface UsageAssumptions {
  /** GB per month leaving the private subnets through NAT (image pulls, AWS APIs, outbound calls). */
  readonly natGbPerMonth: number;
  /** Average load balancer capacity units in use, per ALB, around the clock. */
  readonly albAverageLcu: number;
  /** GB per month ingested into CloudWatch Logs by the environment's own logs (flow logs, RDS exports, WAF). */
  readonly logGbPerMonth: number;
  /** GB per month each service's tasks write to their log group. */
  readonly serviceLogGbPerMonth: number;
  /** GB stored per ECR repository (lifecycle rules keep it to the last few images). */
  readonly ecrStoredGb: number;
  /** GB stored per S3 bucket (ALB access logs with a lifecycle rule). */
  readonly s3StoredGb: number;
  /** GB per month through interface VPC endpoints, when there are any. */
  readonly endpointGbPerMonth: number;
  /** Metrics classic Container Insights publishes for one cluster running one service on EC2. */
  readonly containerInsightsMetrics: number;
  /**
   * Millions of observations a month with enhanced Container Insights: about 5 entities (cluster, service,
   * instance, task, container) × 20 metrics × one a minute × 43,800 minutes ≈ 4.4 million.
   */
  readonly containerInsightsObservationsMillions: number;
  /** Millions of requests a month reaching the service (≈ 4 a second around the clock for 10). */
  readonly requestsMillions: number;
  /** Millions of X-Ray traces retrieved or scanned a month (consoles, queries) when tracing is on. */
  readonly xrayRetrievedMillions: number;
  /** Millions of messages a month through each worker queue (each up to 64 KB, sent and received one by one). */
  readonly queueMessagesMillions: number;
}

export const DEFAULT_USAGE: UsageAssumptions = {
  natGbPerMonth: 20,
  albAverageLcu: 1,
  logGbPerMonth: 5,
  serviceLogGbPerMonth: 2,
  ecrStoredGb: 2,
  s3StoredGb: 5,
  endpointGbPerMonth: 20,
  containerInsightsMetrics: 30,
  containerInsightsObservationsMillions: 5,
  requestsMillions: 10,
  xrayRetrievedMillions: 1,
  queueMessagesMillions: 1,
};

export interface CostReport {
  readonly priceDate: string;
  readonly priceSource: string;
  readonly hoursPerMonth: number;
  readonly lines: readonly CostLine[];
  readonly notPriced: readonly NotPricedLine[];
  readonly free: readonly FreeLine[];
  readonly floorMonthly: number;
  readonly usageMonthly: number;
  readonly totalMonthly: number;
  readonly usage: UsageAssumptions;
}

/** Resource types that cost nothing by themselves; the reason is printed so the list can be audited. */
export const FREE_TYPES: Readonly<Record<string, string>> = {
  'AWS::EC2::VPC': 'no charge',
  'AWS::EC2::Subnet': 'no charge',
  'AWS::EC2::RouteTable': 'no charge',
  'AWS::EC2::Route': 'no charge',
  'AWS::EC2::SubnetRouteTableAssociation': 'no charge',
  'AWS::EC2::InternetGateway': 'no charge (data transfer out is billed per GB, not estimated)',
  'AWS::EC2::VPCGatewayAttachment': 'no charge',
  'AWS::EC2::SecurityGroup': 'no charge',
  'AWS::EC2::SecurityGroupIngress': 'no charge',
  'AWS::EC2::SecurityGroupEgress': 'no charge',
  'AWS::EC2::NetworkAcl': 'no charge',
  'AWS::EC2::NetworkAclEntry': 'no charge',
  'AWS::EC2::SubnetNetworkAclAssociation': 'no charge',
  'AWS::EC2::LaunchTemplate': 'priced through the Auto Scaling group that launches it',
  'AWS::EC2::FlowLog': 'ingestion billed as CloudWatch Logs usage',
  'AWS::AutoScaling::LaunchConfiguration': 'priced through the Auto Scaling group that launches it',
  'AWS::AutoScaling::LifecycleHook': 'no charge',
  'AWS::AutoScaling::ScalingPolicy': 'no charge',
  'AWS::ApplicationAutoScaling::ScalableTarget': 'no charge',
  'AWS::ApplicationAutoScaling::ScalingPolicy': 'no charge (its alarms are created by AWS and not billed)',
  'AWS::ECS::Service': 'EC2 launch type: the instances are what is billed',
  'AWS::ECS::TaskDefinition': 'no charge',
  'AWS::ECS::CapacityProvider': 'no charge',
  'AWS::ECS::ClusterCapacityProviderAssociations': 'no charge',
  'AWS::ElasticLoadBalancingV2::Listener': 'included in the load balancer hour',
  'AWS::ElasticLoadBalancingV2::ListenerRule':
    'included in the load balancer (rule evaluations count in LCUs)',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'no charge',
  'AWS::ElasticLoadBalancingV2::ListenerCertificate': 'no charge',
  'AWS::RDS::DBSubnetGroup': 'no charge',
  'AWS::RDS::DBParameterGroup': 'no charge',
  'AWS::SecretsManager::SecretTargetAttachment': 'no charge',
  'AWS::SecretsManager::RotationSchedule': 'no charge (the rotation Lambda runs within the free tier)',
  'AWS::IAM::Role': 'no charge',
  'AWS::IAM::Policy': 'no charge',
  'AWS::IAM::ManagedPolicy': 'no charge',
  'AWS::IAM::InstanceProfile': 'no charge',
  'AWS::IAM::OIDCProvider': 'no charge',
  'AWS::KMS::Alias': 'no charge',
  'AWS::Logs::LogGroup': 'ingestion and storage billed as CloudWatch Logs usage',
  'AWS::Logs::MetricFilter': 'no charge',
  'AWS::Logs::ResourcePolicy': 'no charge',
  'AWS::SNS::Topic': 'first 1,000 e-mail notifications and 1M publishes a month are free',
  'AWS::SQS::QueuePolicy': 'no charge',
  'AWS::SNS::Subscription': 'no charge',
  'AWS::SNS::TopicPolicy': 'no charge',
  'AWS::S3::BucketPolicy': 'no charge',
  'AWS::SSM::Parameter': 'standard parameters are free',
  'AWS::ECR::ReplicationConfiguration': 'replicas are billed as ECR storage in the destination region',
  'AWS::ECR::RegistryPolicy': 'no charge',
  'AWS::Events::Rule': 'AWS service events are free',
  'AWS::Lambda::Function': 'deploy-time and lifecycle-hook invocations stay within the Lambda free tier',
  'AWS::Lambda::Permission': 'no charge',
  'AWS::Lambda::LayerVersion': 'no charge',
  'AWS::CloudFormation::CustomResource': 'runs a Lambda at deploy time only',
  'AWS::CDK::Metadata': 'CDK bookkeeping, no charge',
  // AWS Certificate Manager pricing (aws.amazon.com/certificate-manager/pricing): public certificates are free.
  'AWS::CertificateManager::Certificate': 'public ACM certificates are free',
  // Amazon Route 53 pricing (aws.amazon.com/route53/pricing): queries to alias records that point at an Elastic
  // Load Balancing load balancer are free. The hosted zone (billed monthly) is the user's; Berth never creates it.
  'AWS::Route53::RecordSet':
    'alias queries to the load balancer are free; the hosted zone is yours (not created by Berth) and billed to you',
  'AWS::WAFv2::WebACLAssociation': 'priced through the web ACL',
  'AWS::WAFv2::LoggingConfiguration': 'log ingestion billed as CloudWatch Logs usage',
};

type Handler = (r: LocatedResource, p: RegionPrices, ctx: Context) => Array<CostLine | NotPricedLine>;

interface Context {
  readonly table: PriceTable;
  readonly usage: UsageAssumptions;
  /** The ECS services of the stacks: their minimum tasks decide how many instances actually run. */
  readonly services: readonly LocatedService[];
}

function line(
  r: LocatedResource,
  item: string,
  quantity: number,
  unit: string,
  unitPrice: number,
  monthlyFactor: number,
  kind: CostLine['kind'] = 'floor',
  assumption?: string,
): CostLine {
  return {
    stack: r.stack.stackName,
    logicalId: r.logicalId,
    type: r.resource.Type,
    item,
    quantity,
    unit,
    unitPrice,
    monthly: quantity * unitPrice * monthlyFactor,
    kind,
    ...(assumption === undefined ? {} : { assumption }),
  };
}

function notPriced(r: LocatedResource, reason: string): NotPricedLine {
  return { stack: r.stack.stackName, logicalId: r.logicalId, type: r.resource.Type, reason };
}

const unresolved = (r: LocatedResource, what: string) =>
  notPriced(r, `not priced: unresolved value (${what})`);

const missingPrice = (r: LocatedResource, what: string) =>
  notPriced(r, `no price for ${what} in ${r.stack.region} (add it to cli/src/plan/prices.ts)`);

/**
 * Both sides of an ASG: the instances it runs and their root volumes. That is its minimum, or more when the
 * services' minimum tasks need more (ECS managed scaling launches them and keeps them while the tasks run).
 */
const autoScalingGroup: Handler = (r, p, { table, services }) => {
  const t = r.stack.template;
  const min = resolveNumber(prop(r, 'MinSize'), t);
  if (min === UNRESOLVED || min === undefined) return [unresolved(r, 'MinSize')];
  const launchSpec = asRecord(
    prop(r, 'LaunchTemplate') ?? asRecord(prop(r, 'MixedInstancesPolicy')).LaunchTemplate,
  );
  const spec = asRecord(launchSpec.LaunchTemplateSpecification ?? launchSpec);
  const template =
    follow(r, spec.LaunchTemplateId ?? spec.LaunchTemplateName) ??
    follow(r, { Ref: prop(r, 'LaunchConfigurationName') });
  if (!template) return [unresolved(r, 'launch template or configuration')];
  const data =
    template.resource.Type === 'AWS::EC2::LaunchTemplate'
      ? asRecord(prop(template, 'LaunchTemplateData'))
      : asRecord(template.resource.Properties);
  const overrides = asArray(asRecord(asRecord(prop(r, 'MixedInstancesPolicy')).LaunchTemplate).Overrides);
  const type = resolveString(asRecord(overrides[0]).InstanceType ?? data.InstanceType, t);
  if (type === UNRESOLVED || type === undefined) return [unresolved(r, 'InstanceType')];
  const out: Array<CostLine | NotPricedLine> = [];
  const hourly = p.ec2Hour[type];
  const needed = capacityAtMinimum(
    services.filter((s) => s.resource.stack === r.stack).map((s) => s.service),
    type,
  )?.instancesNeeded;
  const count = Math.max(min, needed ?? 0);
  const why =
    count === min
      ? `ASG minimum ${min}`
      : `${count}: the services' minimum tasks need ${needed}, above the ASG minimum ${min}`;
  out.push(
    hourly === undefined
      ? missingPrice(r, `EC2 ${type}`)
      : line(r, `EC2 ${type} (${why})`, count, 'instance-hour', hourly, table.hoursPerMonth),
  );
  const root = asRecord(asRecord(asArray(data.BlockDeviceMappings)[0]).Ebs);
  const gb = resolveNumber(root.VolumeSize, t);
  const volumeType = resolveString(root.VolumeType, t) ?? 'gp2';
  if (gb === UNRESOLVED || volumeType === UNRESOLVED) return [...out, unresolved(r, 'root volume')];
  const size = gb ?? 30;
  const gbPrice = p.ebsGbMonth[volumeType];
  out.push(
    gbPrice === undefined
      ? missingPrice(r, `EBS ${volumeType}`)
      : line(
          r,
          `EBS ${volumeType} root volume ${size} GiB × ${count} instance(s)`,
          size * count,
          'GB-month',
          gbPrice,
          1,
          'floor',
          gb === undefined ? 'no block device mapping: the ECS-optimized AMI default of 30 GiB' : undefined,
        ),
  );
  return out;
};

const loadBalancer: Handler = (r, p, { table, usage }) => {
  const t = r.stack.template;
  const type = resolveString(prop(r, 'Type'), t) ?? 'application';
  if (type !== 'application') return [notPriced(r, `${String(type)} load balancers have no price entered`)];
  const out: Array<CostLine | NotPricedLine> = [
    line(r, 'Application Load Balancer', 1, 'hour', p.albHour, table.hoursPerMonth),
    line(
      r,
      'ALB capacity units',
      usage.albAverageLcu,
      'LCU-hour',
      p.albLcuHour,
      table.hoursPerMonth,
      'usage',
      `${usage.albAverageLcu} LCU on average`,
    ),
  ];
  const scheme = resolveString(prop(r, 'Scheme'), t) ?? 'internet-facing';
  if (scheme !== 'internet-facing') return out;
  const subnets = prop(r, 'Subnets') ?? prop(r, 'SubnetMappings');
  if (!Array.isArray(subnets)) return [...out, unresolved(r, 'Subnets, for the public IPv4 count')];
  return [
    ...out,
    line(
      r,
      `ALB public IPv4 addresses (one per subnet)`,
      subnets.length,
      'address-hour',
      p.publicIpv4Hour,
      table.hoursPerMonth,
    ),
  ];
};

const dbInstance: Handler = (r, p, { table }) => {
  const t = r.stack.template;
  const engine = resolveString(prop(r, 'Engine'), t);
  if (engine !== 'postgres')
    return [notPriced(r, `engine ${String(engine)}: only PostgreSQL prices are entered`)];
  const cls = resolveString(prop(r, 'DBInstanceClass'), t);
  const multiAz = resolveBoolean(prop(r, 'MultiAZ'), t) ?? false;
  const storage = resolveNumber(prop(r, 'AllocatedStorage'), t);
  const storageType = resolveString(prop(r, 'StorageType'), t) ?? 'gp2';
  if (cls === UNRESOLVED || cls === undefined) return [unresolved(r, 'DBInstanceClass')];
  if (multiAz === UNRESOLVED) return [unresolved(r, 'MultiAZ')];
  const copies = multiAz ? 2 : 1;
  const az = multiAz ? 'Multi-AZ ×2' : 'single-AZ';
  const out: Array<CostLine | NotPricedLine> = [];
  const hourly = p.rdsPostgresHour[cls];
  out.push(
    hourly === undefined
      ? missingPrice(r, `RDS ${cls}`)
      : line(r, `RDS PostgreSQL ${cls} (${az})`, copies, 'instance-hour', hourly, table.hoursPerMonth),
  );
  if (storage === UNRESOLVED || storage === undefined || storageType === UNRESOLVED) {
    out.push(unresolved(r, 'AllocatedStorage / StorageType'));
  } else {
    const gbPrice = p.rdsStorageGbMonth[storageType];
    out.push(
      gbPrice === undefined
        ? missingPrice(r, `RDS ${storageType} storage`)
        : line(
            r,
            `RDS ${storageType} storage ${storage} GiB (${az})`,
            storage * copies,
            'GB-month',
            gbPrice,
            1,
          ),
    );
  }
  if (resolveBoolean(prop(r, 'ManageMasterUserPassword'), t) === true) {
    out.push(line(r, 'RDS-managed master user secret', 1, 'secret-month', p.secretMonth, 1));
  }
  return out;
};

const vpcEndpoint: Handler = (r, p, { table }) => {
  const type = resolveString(prop(r, 'VpcEndpointType'), r.stack.template) ?? 'Gateway';
  if (type === 'Gateway') return [];
  if (type !== 'Interface') return [notPriced(r, `${String(type)} endpoints have no price entered`)];
  const subnets = prop(r, 'SubnetIds');
  if (!Array.isArray(subnets)) return [unresolved(r, 'SubnetIds, for the AZ count')];
  return [
    line(
      r,
      'Interface VPC endpoint (per AZ)',
      subnets.length,
      'AZ-hour',
      p.interfaceEndpointAzHour,
      table.hoursPerMonth,
    ),
  ];
};

const cluster: Handler = (r, p, { usage }) => {
  const settings = asArray(prop(r, 'ClusterSettings')).map(asRecord);
  const insights = settings.find((s) => s.Name === 'containerInsights');
  const value = resolveString(insights?.Value, r.stack.template);
  if (value === undefined || value === 'disabled') return [];
  if (value === 'enabled') {
    return [
      line(
        r,
        'Container Insights metrics',
        usage.containerInsightsMetrics,
        'metric-month',
        p.metricMonth,
        1,
        'floor',
        `${usage.containerInsightsMetrics} metrics for one cluster, one service on EC2 (classic Container Insights)`,
      ),
    ];
  }
  if (value === 'enhanced') {
    const millions = usage.containerInsightsObservationsMillions;
    return [
      line(
        r,
        'Container Insights (enhanced) observations',
        millions,
        'million observations',
        p.containerInsightsObservationsPerMillion,
        1,
        'usage',
        `${millions} million observations/month`,
      ),
    ];
  }
  return [notPriced(r, `Container Insights "${String(value)}": unknown setting, no price entered`)];
};

/** AWS WAF pricing: a monthly fee per web ACL and per rule (a rule group is one rule), and per request. */
const webAcl: Handler = (r, p, { usage }) => {
  const rules = prop(r, 'Rules') ?? [];
  if (!Array.isArray(rules)) return [unresolved(r, 'Rules, for the rule count')];
  // Every request reaching the load balancer is inspected (allowed and blocked alike are billed).
  const millions = usage.requestsMillions;
  return [
    line(r, 'WAF web ACL', 1, 'web ACL-month', p.wafWebAclMonth, 1),
    line(
      r,
      `WAF rules (${rules.length}, a rule group counts as one)`,
      rules.length,
      'rule-month',
      p.wafRuleMonth,
      1,
    ),
    line(
      r,
      'WAF requests inspected',
      millions,
      'million requests',
      p.wafRequestsPerMillion,
      1,
      'usage',
      `${millions} million requests/month`,
    ),
  ];
};

/**
 * Amazon SQS pricing (aws.amazon.com/sqs/pricing): a queue costs nothing to exist, every API request is billed,
 * a 64 KB chunk of payload being one request, empty receives included. A message a consumer processes is three
 * requests (SendMessage, ReceiveMessage, DeleteMessage); one consumer long-polling 20 s (the maximum, and the
 * wait Berth's queues set) makes 3 empty receives a minute while idle, 131,400 a month. A dead-letter queue (one another queue's
 * RedrivePolicy names) receives only failed messages: assumed none.
 */
const SQS_REQUESTS_PER_MESSAGE = 3;
const SQS_IDLE_RECEIVES_MILLIONS = (3 * 60 * 730) / 1e6;

const sqsQueue: Handler = (r, p, { usage }) => {
  const isDeadLetterTarget = Object.values(r.stack.template.Resources ?? {}).some(
    (other) =>
      other.Type === 'AWS::SQS::Queue' &&
      referencedId(asRecord(other.Properties?.RedrivePolicy).deadLetterTargetArn) === r.logicalId,
  );
  if (isDeadLetterTarget) {
    return [
      line(
        r,
        'SQS dead-letter queue requests',
        0,
        'million requests',
        p.sqsRequestsPerMillion,
        1,
        'usage',
        'only messages a worker failed reach it: assumed none',
      ),
    ];
  }
  const millions = usage.queueMessagesMillions;
  const requests = SQS_REQUESTS_PER_MESSAGE * millions + SQS_IDLE_RECEIVES_MILLIONS;
  return [
    line(
      r,
      'SQS requests',
      requests,
      'million requests',
      p.sqsRequestsPerMillion,
      1,
      'usage',
      `${millions} million messages/month × 3 requests (send, receive, delete; ≤ 64 KB, unbatched) + ${SQS_IDLE_RECEIVES_MILLIONS.toFixed(2)} million empty receives (one consumer long-polling 20 s); first million requests free, not deducted`,
    ),
  ];
};

const alarm: Handler = (r, p) => {
  const t = r.stack.template;
  const metrics = asArray(prop(r, 'Metrics')).map(asRecord);
  const count = metrics.length === 0 ? 1 : metrics.filter((m) => m.MetricStat !== undefined).length || 1;
  const periods =
    metrics.length === 0 ? [prop(r, 'Period')] : metrics.map((m) => asRecord(m.MetricStat).Period);
  const resolvedPeriods = periods.map((x) => resolveNumber(x, t));
  if (resolvedPeriods.includes(UNRESOLVED)) return [unresolved(r, 'Period')];
  const highRes = resolvedPeriods.some((x) => typeof x === 'number' && x < 60);
  return [
    highRes
      ? line(r, 'CloudWatch alarm (high resolution)', count, 'metric-month', p.alarmHighResMetricMonth, 1)
      : line(r, 'CloudWatch alarm', count, 'metric-month', p.alarmMetricMonth, 1),
  ];
};

const perMonth =
  (item: string, unit: string, price: (p: RegionPrices) => number): Handler =>
  (r, p) => [line(r, item, 1, unit, price(p), 1)];

const storedUsage =
  (item: string, gb: (u: UsageAssumptions) => number, price: (p: RegionPrices) => number): Handler =>
  (r, p, { usage }) => [line(r, item, gb(usage), 'GB-month', price(p), 1, 'usage', `${gb(usage)} GB stored`)];

const HANDLERS: Readonly<Record<string, Handler>> = {
  'AWS::AutoScaling::AutoScalingGroup': autoScalingGroup,
  'AWS::ElasticLoadBalancingV2::LoadBalancer': loadBalancer,
  'AWS::RDS::DBInstance': dbInstance,
  'AWS::EC2::VPCEndpoint': vpcEndpoint,
  'AWS::ECS::Cluster': cluster,
  'AWS::CloudWatch::Alarm': alarm,
  'AWS::WAFv2::WebACL': webAcl,
  'AWS::SQS::Queue': sqsQueue,
  'AWS::EC2::NatGateway': (r, p, { table }) => [
    line(r, 'NAT gateway', 1, 'hour', p.natGatewayHour, table.hoursPerMonth),
  ],
  'AWS::EC2::EIP': (r, p, { table }) => [
    line(r, 'Elastic IP (public IPv4)', 1, 'address-hour', p.publicIpv4Hour, table.hoursPerMonth),
  ],
  'AWS::CloudWatch::CompositeAlarm': perMonth(
    'CloudWatch composite alarm',
    'alarm-month',
    (p) => p.compositeAlarmMonth,
  ),
  'AWS::CloudWatch::Dashboard': perMonth('CloudWatch dashboard', 'dashboard-month', (p) => p.dashboardMonth),
  'AWS::SecretsManager::Secret': perMonth('Secrets Manager secret', 'secret-month', (p) => p.secretMonth),
  'AWS::KMS::Key': perMonth('KMS customer managed key', 'key-month', (p) => p.kmsKeyMonth),
  'AWS::ECR::Repository': storedUsage(
    'ECR image storage',
    (u) => u.ecrStoredGb,
    (p) => p.ecrStorageGbMonth,
  ),
  'AWS::S3::Bucket': storedUsage(
    'S3 storage (Standard)',
    (u) => u.s3StoredGb,
    (p) => p.s3StandardGbMonth,
  ),
};

/** Traffic-driven lines that belong to a region rather than to one resource. */
function regionalUsage(
  stacks: readonly StackTemplate[],
  region: string,
  p: RegionPrices,
  u: UsageAssumptions,
  services: readonly LocatedService[],
): CostLine[] {
  const inRegion = allResources(stacks).filter((r) => r.stack.region === region);
  const first = (type: string) => inRegion.find((r) => r.resource.Type === type);
  const out: CostLine[] = [];
  const nat = first('AWS::EC2::NatGateway');
  if (nat) {
    out.push(
      line(
        nat,
        'NAT data processing',
        u.natGbPerMonth,
        'GB',
        p.natGatewayPerGb,
        1,
        'usage',
        `${u.natGbPerMonth} GB/month through NAT in ${region}`,
      ),
    );
  }
  const servicesHere = services.filter((s) => s.resource.stack.region === region);
  const serviceLogGroups = new Set(servicesHere.flatMap((s) => (s.logGroup ? [s.logGroup.logicalId] : [])));
  const logs =
    inRegion.find((r) => r.resource.Type === 'AWS::Logs::LogGroup' && !serviceLogGroups.has(r.logicalId)) ??
    first('AWS::EC2::FlowLog');
  if (logs) {
    out.push(
      line(
        logs,
        'CloudWatch Logs ingestion',
        u.logGbPerMonth,
        'GB',
        p.logIngestionPerGb,
        1,
        'usage',
        `${u.logGbPerMonth} GB/month ingested in ${region} besides the services' logs`,
      ),
    );
  }
  for (const { service, logGroup } of servicesHere) {
    if (!logGroup) continue;
    out.push(
      line(
        logGroup,
        `CloudWatch Logs ingestion, service ${service.name}`,
        u.serviceLogGbPerMonth,
        'GB',
        p.logIngestionPerGb,
        1,
        'usage',
        `${u.serviceLogGbPerMonth} GB/month written by ${service.name}'s tasks`,
      ),
    );
  }
  const endpoint = inRegion.find(
    (r) =>
      r.resource.Type === 'AWS::EC2::VPCEndpoint' &&
      resolveString(prop(r, 'VpcEndpointType'), r.stack.template) === 'Interface',
  );
  if (endpoint) {
    out.push(
      line(
        endpoint,
        'Interface endpoint data processing',
        u.endpointGbPerMonth,
        'GB',
        p.interfaceEndpointPerGb,
        1,
        'usage',
        `${u.endpointGbPerMonth} GB/month through endpoints in ${region}`,
      ),
    );
  }
  out.push(...xrayUsage(inRegion, region, p, u));
  return out;
}

/** The ADOT collector image tracing-sidecar.ts adds; its presence means spans go to X-Ray. */
const COLLECTOR_IMAGE = /aws-otel-collector/;

/**
 * X-Ray bills per trace recorded and per trace retrieved or scanned (AWS X-Ray pricing page). Traces recorded
 * = requests × the app's TRACING_SAMPLE_RATIO. The free tier (100,000 recorded, 1,000,000 retrieved or scanned
 * a month) is not deducted, like every other line here.
 */
function xrayUsage(
  inRegion: readonly LocatedResource[],
  region: string,
  p: RegionPrices,
  u: UsageAssumptions,
): CostLine[] {
  for (const r of inRegion) {
    if (r.resource.Type !== 'AWS::ECS::TaskDefinition') continue;
    const containers = (prop(r, 'ContainerDefinitions') ?? []) as {
      Image?: unknown;
      Environment?: { Name?: unknown; Value?: unknown }[];
    }[];
    if (!containers.some((c) => typeof c.Image === 'string' && COLLECTOR_IMAGE.test(c.Image))) continue;
    const ratioText = containers
      .flatMap((c) => c.Environment ?? [])
      .find((e) => e.Name === 'TRACING_SAMPLE_RATIO')?.Value;
    const ratio = Number(ratioText ?? 1);
    const recorded = u.requestsMillions * ratio;
    return [
      line(
        r,
        'X-Ray traces recorded',
        recorded,
        'million traces',
        p.xrayTracesRecordedPerMillion,
        1,
        'usage',
        `${u.requestsMillions} million requests/month × sample ratio ${ratio} in ${region} (first 100,000 free, not deducted)`,
      ),
      line(
        r,
        'X-Ray traces retrieved or scanned',
        u.xrayRetrievedMillions,
        'million traces',
        p.xrayTracesRetrievedPerMillion,
        1,
        'usage',
        `${u.xrayRetrievedMillions} million traces/month retrieved or scanned in ${region} (first million free, not deducted)`,
      ),
    ];
  }
  return [];
}

function isLine(x: CostLine | NotPricedLine): x is CostLine {
  return 'monthly' in x;
}

export function estimateCost(
  stacks: readonly StackTemplate[],
  table: PriceTable,
  usage: UsageAssumptions = DEFAULT_USAGE,
): CostReport {
  const lines: CostLine[] = [];
  const notPricedLines: NotPricedLine[] = [];
  const free = new Map<string, FreeLine>();
  const ctx: Context = { table, usage, services: locateServices(stacks) };
  for (const r of allResources(stacks)) {
    const type = r.resource.Type;
    const reason =
      FREE_TYPES[type] ??
      (type.startsWith('Custom::') ? 'custom resource: runs a Lambda at deploy time only' : undefined);
    if (reason !== undefined) {
      const seen = free.get(type);
      free.set(type, { type, count: (seen?.count ?? 0) + 1, reason });
      continue;
    }
    const handler = HANDLERS[type];
    if (!handler) {
      notPricedLines.push(
        notPriced(r, 'unknown resource type: may cost money (teach cli/src/plan/cost.ts about it)'),
      );
      continue;
    }
    const prices = pricesFor(table, r.stack.region);
    if (!prices) {
      notPricedLines.push(notPriced(r, `no price table for region ${r.stack.region}`));
      continue;
    }
    for (const out of handler(r, prices, ctx)) {
      if (isLine(out)) lines.push(out);
      else notPricedLines.push(out);
    }
  }
  for (const region of [...new Set(stacks.map((s) => s.region))]) {
    const prices = pricesFor(table, region);
    if (prices) lines.push(...regionalUsage(stacks, region, prices, usage, ctx.services));
  }
  const sum = (kind: CostLine['kind']) =>
    lines.filter((l) => l.kind === kind).reduce((a, l) => a + l.monthly, 0);
  const floorMonthly = sum('floor');
  const usageMonthly = sum('usage');
  return {
    priceDate: table.date,
    priceSource: table.source,
    hoursPerMonth: table.hoursPerMonth,
    lines,
    notPriced: notPricedLines,
    free: [...free.values()].sort((a, b) => a.type.localeCompare(b.type)),
    floorMonthly,
    usageMonthly,
    totalMonthly: floorMonthly + usageMonthly,
    usage,
  };
}
