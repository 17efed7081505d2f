import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';

/** Every SDK client the CLI uses, for one region. Commands take this so tests can inject mocks. */
export interface AwsClients {
  readonly region: string;
  readonly sts: STSClient;
  readonly cfn: CloudFormationClient;
  readonly ecs: ECSClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly logs: CloudWatchLogsClient;
  readonly ssm: SSMClient;
  readonly ecr: ECRClient;
  readonly cloudwatch: CloudWatchClient;
  readonly autoscaling: AutoScalingClient;
}

export type ClientFactory = (region: string) => AwsClients;

/** Settings shared by every client, e.g. fixed credentials in tests. */
export interface SharedClientConfig {
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Real clients; a few retries only, so a broken network fails in seconds rather than minutes. */
export const createAwsClients = (region: string, shared: SharedClientConfig = {}): AwsClients => {
  const config = { region, maxAttempts: 3, ...shared };
  return {
    region,
    sts: new STSClient(config),
    cfn: new CloudFormationClient(config),
    ecs: new ECSClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    logs: new CloudWatchLogsClient(config),
    ssm: new SSMClient(config),
    ecr: new ECRClient(config),
    cloudwatch: new CloudWatchClient(config),
    autoscaling: new AutoScalingClient(config),
  };
};
