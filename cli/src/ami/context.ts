import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { Progress, type Writer } from '../ui/progress.js';
import { type CommandRunner, spawnRunner } from './build.js';

/** The SDK clients the AMI commands use in one region. */
export interface AmiClients {
  readonly sts: STSClient;
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly autoscaling: AutoScalingClient;
  readonly cfn: CloudFormationClient;
}

/** Everything the AMI commands touch outside their own logic; tests inject mocks and fakes. */
export interface AmiContext {
  readonly clients: (region: string) => AmiClients;
  readonly run: CommandRunner;
  readonly progress: Progress;
  readonly stdout: Writer;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export const defaultAmiContext = (): AmiContext => ({
  clients: (region) => {
    const config = { region, maxAttempts: 3 };
    return {
      sts: new STSClient(config),
      ec2: new EC2Client(config),
      ssm: new SSMClient(config),
      autoscaling: new AutoScalingClient(config),
      cfn: new CloudFormationClient(config),
    };
  },
  run: spawnRunner,
  progress: new Progress(process.stderr),
  stdout: process.stdout,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: Date.now,
});
