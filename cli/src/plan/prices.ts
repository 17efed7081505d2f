/**
 * Dated on-demand list prices (USD) for the regions Berth supports. Entered by hand from the AWS public
 * pricing pages, not fetched: when AWS changes a price, add a new table with a new date rather than editing
 * this one, so an old plan can still be explained.
 */
import type { Region } from '@berth/infra';

export interface RegionPrices {
  /** NAT gateway, per hour; its Elastic IP is priced separately as a public IPv4 address. */
  readonly natGatewayHour: number;
  readonly natGatewayPerGb: number;
  /** Every public IPv4 address (NAT Elastic IP, one per ALB subnet), per hour. */
  readonly publicIpv4Hour: number;
  readonly albHour: number;
  readonly albLcuHour: number;
  /** EC2 Linux on-demand, per instance-hour. */
  readonly ec2Hour: Readonly<Record<string, number>>;
  readonly ebsGbMonth: Readonly<Record<string, number>>;
  /** RDS for PostgreSQL single-AZ, per instance-hour; Multi-AZ doubles it. */
  readonly rdsPostgresHour: Readonly<Record<string, number>>;
  /** RDS storage per GB-month, single-AZ; Multi-AZ doubles it. */
  readonly rdsStorageGbMonth: Readonly<Record<string, number>>;
  readonly interfaceEndpointAzHour: number;
  readonly interfaceEndpointPerGb: number;
  /** CloudWatch custom metric, per metric-month (first tier): what classic Container Insights bills. */
  readonly metricMonth: number;
  /** Container Insights with enhanced observability, per million observations (first tier). */
  readonly containerInsightsObservationsPerMillion: number;
  /** Standard-resolution alarm, per metric per month. */
  readonly alarmMetricMonth: number;
  /** High-resolution alarm (period under 60 s), per metric per month. */
  readonly alarmHighResMetricMonth: number;
  readonly compositeAlarmMonth: number;
  readonly dashboardMonth: number;
  readonly logIngestionPerGb: number;
  readonly logStorageGbMonth: number;
  readonly ecrStorageGbMonth: number;
  readonly s3StandardGbMonth: number;
  readonly secretMonth: number;
  readonly kmsKeyMonth: number;
  /** AWS WAF web ACL, per month (prorated hourly). */
  readonly wafWebAclMonth: number;
  /** AWS WAF rule per web ACL, per month; a managed rule group counts as one rule. */
  readonly wafRuleMonth: number;
  /** AWS WAF requests inspected, per million. */
  readonly wafRequestsPerMillion: number;
  /** AWS X-Ray, per million traces recorded (AWS X-Ray pricing page, entered 2026-11-30; the first 100,000 a month are free, not deducted). */
  readonly xrayTracesRecordedPerMillion: number;
  /** AWS X-Ray, per million traces retrieved or scanned (the first 1,000,000 a month are free). */
  readonly xrayTracesRetrievedPerMillion: number;
  /**
   * Amazon SQS standard queue, per million requests (the first 100 billion a month; each 64 KB of a message's
   * payload is one request; the first million requests a month are free, not deducted).
   */
  readonly sqsRequestsPerMillion: number;
}

export interface PriceTable {
  readonly date: string;
  readonly source: string;
  readonly hoursPerMonth: number;
  readonly regions: Readonly<Record<Region, RegionPrices>>;
}

export const PRICES_2026_11_21: PriceTable = {
  date: '2026-11-21',
  source:
    'AWS public pricing pages (EC2, VPC, ELB, RDS for PostgreSQL, EBS, CloudWatch, ECR, S3, Secrets Manager, KMS), ' +
    'retrieved 2026-11-21; AWS WAF (aws.amazon.com/waf/pricing: web ACL $5/month, rule $1/month, $0.60 per ' +
    'million requests, the same in every region), entered 2026-11-30; Amazon SQS (aws.amazon.com/sqs/pricing: ' +
    'standard queue $0.40 per million requests, a request per 64 KB of payload), entered 2026-12-01; ' +
    'entered by hand, on-demand, no free ' +
    'tier, no savings plans',
  hoursPerMonth: 730,
  regions: {
    'us-east-1': {
      natGatewayHour: 0.045,
      natGatewayPerGb: 0.045,
      publicIpv4Hour: 0.005,
      albHour: 0.0225,
      albLcuHour: 0.008,
      ec2Hour: {
        't3.small': 0.0208,
        't3.medium': 0.0416,
        't3.large': 0.0832,
        't4g.small': 0.0168,
        't4g.medium': 0.0336,
        't4g.large': 0.0672,
        'm6i.large': 0.096,
        'm6g.large': 0.077,
        'm7g.large': 0.0816,
        'm7i.large': 0.1008,
        'c6i.large': 0.085,
        'c7g.large': 0.0725,
      },
      ebsGbMonth: { gp3: 0.08, gp2: 0.1 },
      rdsPostgresHour: {
        'db.t4g.micro': 0.016,
        'db.t4g.small': 0.032,
        'db.t4g.medium': 0.065,
        'db.t4g.large': 0.129,
        'db.t3.micro': 0.018,
        'db.t3.small': 0.036,
        'db.t3.medium': 0.072,
        'db.m6g.large': 0.159,
        'db.m7g.large': 0.168,
        'db.m6i.large': 0.178,
      },
      rdsStorageGbMonth: { gp2: 0.115, gp3: 0.115 },
      interfaceEndpointAzHour: 0.01,
      interfaceEndpointPerGb: 0.01,
      metricMonth: 0.3,
      containerInsightsObservationsPerMillion: 0.21,
      alarmMetricMonth: 0.1,
      alarmHighResMetricMonth: 0.3,
      compositeAlarmMonth: 0.5,
      dashboardMonth: 3,
      logIngestionPerGb: 0.5,
      logStorageGbMonth: 0.03,
      ecrStorageGbMonth: 0.1,
      s3StandardGbMonth: 0.023,
      secretMonth: 0.4,
      kmsKeyMonth: 1,
      wafWebAclMonth: 5,
      wafRuleMonth: 1,
      wafRequestsPerMillion: 0.6,
      xrayTracesRecordedPerMillion: 5,
      xrayTracesRetrievedPerMillion: 0.5,
      sqsRequestsPerMillion: 0.4,
    },
    'eu-west-1': {
      natGatewayHour: 0.048,
      natGatewayPerGb: 0.048,
      publicIpv4Hour: 0.005,
      albHour: 0.0252,
      albLcuHour: 0.008,
      ec2Hour: {
        't3.small': 0.0228,
        't3.medium': 0.0456,
        't3.large': 0.0912,
        't4g.small': 0.0184,
        't4g.medium': 0.0368,
        't4g.large': 0.0736,
        'm6i.large': 0.107,
        'm6g.large': 0.086,
        'm7g.large': 0.0912,
        'm7i.large': 0.1124,
        'c6i.large': 0.096,
        'c7g.large': 0.0816,
      },
      ebsGbMonth: { gp3: 0.088, gp2: 0.11 },
      rdsPostgresHour: {
        'db.t4g.micro': 0.017,
        'db.t4g.small': 0.034,
        'db.t4g.medium': 0.068,
        'db.t4g.large': 0.136,
        'db.t3.micro': 0.019,
        'db.t3.small': 0.038,
        'db.t3.medium': 0.076,
        'db.m6g.large': 0.168,
        'db.m7g.large': 0.178,
        'db.m6i.large': 0.188,
      },
      rdsStorageGbMonth: { gp2: 0.127, gp3: 0.127 },
      interfaceEndpointAzHour: 0.011,
      interfaceEndpointPerGb: 0.01,
      metricMonth: 0.3,
      containerInsightsObservationsPerMillion: 0.21,
      alarmMetricMonth: 0.1,
      alarmHighResMetricMonth: 0.3,
      compositeAlarmMonth: 0.5,
      dashboardMonth: 3,
      logIngestionPerGb: 0.57,
      logStorageGbMonth: 0.03,
      ecrStorageGbMonth: 0.1,
      s3StandardGbMonth: 0.023,
      secretMonth: 0.4,
      kmsKeyMonth: 1,
      wafWebAclMonth: 5,
      wafRuleMonth: 1,
      wafRequestsPerMillion: 0.6,
      xrayTracesRecordedPerMillion: 5,
      xrayTracesRetrievedPerMillion: 0.5,
      sqsRequestsPerMillion: 0.4,
    },
    'eu-west-2': {
      natGatewayHour: 0.05,
      natGatewayPerGb: 0.05,
      publicIpv4Hour: 0.005,
      albHour: 0.0264,
      albLcuHour: 0.0084,
      ec2Hour: {
        't3.small': 0.0236,
        't3.medium': 0.0472,
        't3.large': 0.0944,
        't4g.small': 0.0189,
        't4g.medium': 0.0378,
        't4g.large': 0.0756,
        'm6i.large': 0.111,
        'm6g.large': 0.089,
        'm7g.large': 0.0944,
        'm7i.large': 0.1166,
        'c6i.large': 0.101,
        'c7g.large': 0.0858,
      },
      ebsGbMonth: { gp3: 0.0928, gp2: 0.116 },
      rdsPostgresHour: {
        'db.t4g.micro': 0.018,
        'db.t4g.small': 0.035,
        'db.t4g.medium': 0.071,
        'db.t4g.large': 0.142,
        'db.t3.micro': 0.02,
        'db.t3.small': 0.04,
        'db.t3.medium': 0.079,
        'db.m6g.large': 0.176,
        'db.m7g.large': 0.186,
        'db.m6i.large': 0.198,
      },
      rdsStorageGbMonth: { gp2: 0.133, gp3: 0.133 },
      interfaceEndpointAzHour: 0.011,
      interfaceEndpointPerGb: 0.01,
      metricMonth: 0.3,
      containerInsightsObservationsPerMillion: 0.21,
      alarmMetricMonth: 0.1,
      alarmHighResMetricMonth: 0.3,
      compositeAlarmMonth: 0.5,
      dashboardMonth: 3,
      logIngestionPerGb: 0.5985,
      logStorageGbMonth: 0.0315,
      ecrStorageGbMonth: 0.1,
      s3StandardGbMonth: 0.024,
      secretMonth: 0.4,
      kmsKeyMonth: 1,
      wafWebAclMonth: 5,
      wafRuleMonth: 1,
      wafRequestsPerMillion: 0.6,
      xrayTracesRecordedPerMillion: 5,
      xrayTracesRetrievedPerMillion: 0.5,
      sqsRequestsPerMillion: 0.4,
    },
  },
};

/** The table `berth plan` uses unless told otherwise. */
export const CURRENT_PRICES = PRICES_2026_11_21;

export function pricesFor(table: PriceTable, region: string): RegionPrices | undefined {
  return (table.regions as Record<string, RegionPrices | undefined>)[region];
}
