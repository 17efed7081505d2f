/**
 * What a configuration change would save. createApp takes no config override, so instead of
 * re-synthesizing a modified environment these are computed from the cost lines and the price table;
 * each states the trade-off it buys, since the cheapest option is rarely the right one for prod.
 */
import type { EnvironmentConfig } from '@berth/infra';
import { validateEnvironment } from '@berth/infra';
import type { CostReport } from './cost.js';
import type { PriceTable } from './prices.js';
import { pricesFor } from './prices.js';
import type { Sizing } from './summary.js';

export interface Saving {
  readonly change: string;
  readonly monthly: number;
  readonly tradeOff: string;
  /** Why the config validation rejects this change for the environment, if it does. */
  readonly blockedBy?: string;
}

type Change = (c: EnvironmentConfig) => EnvironmentConfig;

/** Runs the changed config through the same validation synth uses, so we never suggest a config that fails. */
function check(saving: Saving, change: Change, config: EnvironmentConfig | undefined): Saving {
  if (!config) return saving;
  try {
    validateEnvironment(change(config));
    return saving;
  } catch (error) {
    return { ...saving, blockedBy: error instanceof Error ? error.message : String(error) };
  }
}

export function possibleSavings(
  cost: CostReport,
  size: Sizing,
  region: string,
  table: PriceTable,
  config?: EnvironmentConfig,
): Saving[] {
  const p = pricesFor(table, region);
  if (!p) return [];
  const out: Saving[] = [];
  const sumOf = (predicate: (type: string, item: string) => boolean) =>
    cost.lines
      .filter((l) => l.kind === 'floor' && predicate(l.type, l.item))
      .reduce((a, l) => a + l.monthly, 0);

  if (size.natGateways > 1) {
    out.push(
      check(
        {
          change: `network.natGateways: ${size.natGateways} → 1`,
          monthly: (size.natGateways - 1) * (p.natGatewayHour + p.publicIpv4Hour) * table.hoursPerMonth,
          tradeOff: 'egress from every AZ depends on one AZ; cross-AZ data is billed per GB',
        },
        (c) => ({ ...c, network: { ...c.network, natGateways: 1 } }),
        config,
      ),
    );
  }
  if (size.dbMultiAz) {
    out.push(
      check(
        {
          change: 'database.multiAz: true → false',
          monthly: sumOf((type, item) => type === 'AWS::RDS::DBInstance' && item.includes('Multi-AZ')) / 2,
          tradeOff: 'no standby: an AZ failure or patching means minutes of database downtime',
        },
        (c) => ({ ...c, database: { ...c.database, multiAz: false } }),
        config,
      ),
    );
  }
  const graviton = size.instanceType?.replace(/^t3\./, 't4g.').replace(/^m6i\./, 'm7g.');
  const now = size.instanceType && p.ec2Hour[size.instanceType];
  const then = graviton && p.ec2Hour[graviton];
  if (graviton && graviton !== size.instanceType && now && then && then < now) {
    out.push(
      check(
        {
          change: `cluster.instanceType: ${size.instanceType} → ${graviton} (architecture arm64)`,
          monthly: (now - then) * (size.minInstances ?? 0) * table.hoursPerMonth,
          tradeOff: 'the image must be built for arm64 (buildx --platform linux/arm64)',
        },
        (c) => ({ ...c, cluster: { ...c.cluster, instanceType: graviton, architecture: 'arm64' } }),
        config,
      ),
    );
  }
  const endpoints = sumOf((type) => type === 'AWS::EC2::VPCEndpoint');
  if (endpoints > 0) {
    out.push(
      check(
        {
          change: 'network.vpcEndpoints: true → false',
          monthly: endpoints,
          tradeOff: 'ECR, ECS and logs traffic goes through NAT instead (billed per GB there)',
        },
        (c) => ({ ...c, network: { ...c.network, vpcEndpoints: false } }),
        config,
      ),
    );
  }
  return out;
}
