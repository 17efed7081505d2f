import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AVAILABILITY_ZONES, type EnvironmentConfig, type Region } from '../../config/environments.js';
import { Network } from '../constructs/network.js';
import { retentionDays } from './retention.js';

export interface NetworkStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly region: Region;
}

/** The VPC; the longest-lived regional component, so everything else can be torn down and rebuilt on it. */
export class NetworkStack extends Stack {
  public readonly network: Network;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.network = new Network(this, 'Network', {
      cidr: config.network.cidr,
      availabilityZones: AVAILABILITY_ZONES[props.region],
      natGateways: config.network.natGateways,
      vpcEndpoints: config.network.vpcEndpoints,
      flowLogRetention: retentionDays(config.logRetentionDays),
    });
  }
}
