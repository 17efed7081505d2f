/** Shared fixtures for the AMI tests: mocked SDK clients and a context that records what it printed. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client, type Image } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { CommandRunner } from '../src/ami/build.js';
import type { AmiClients, AmiContext } from '../src/ami/context.js';
import { RecordingProgress } from '../src/ui/progress.js';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const NEW_AMI = 'ami-0123456789abcdef0';
export const OLD_AMI = 'ami-0fedcba9876543210';

export function availableImage(overrides: Partial<Image> = {}): Image {
  return {
    ImageId: NEW_AMI,
    Name: 'berth-ecs-node-x86_64-2026.11.21-abc1234-1763760000',
    State: 'available',
    Architecture: 'x86_64',
    ...overrides,
  };
}

/** Real SDK clients with every call answered by aws-sdk-client-mock; nothing reaches the network. */
export function mockedClients() {
  const config = { region: REGION };
  const clients: AmiClients = {
    sts: new STSClient(config),
    ec2: new EC2Client(config),
    ssm: new SSMClient(config),
    autoscaling: new AutoScalingClient(config),
    cfn: new CloudFormationClient(config),
  };
  const mocks = {
    sts: mockClient(clients.sts),
    ec2: mockClient(clients.ec2),
    ssm: mockClient(clients.ssm),
    autoscaling: mockClient(clients.autoscaling),
    cfn: mockClient(clients.cfn),
  };
  mocks.sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ci` });
  return { clients, mocks };
}

/** A command context over mocked clients; time advances only when the code under test sleeps. */
export function fakeContext(clients: AmiClients, run: CommandRunner = async () => ({ code: 0, stdout: '' })) {
  let clock = 0;
  const stdout: string[] = [];
  const progress = new RecordingProgress();
  const context: AmiContext = {
    clients: () => clients,
    run,
    progress,
    stdout: { write: (text: string) => stdout.push(text) },
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
  };
  return { context, stdout, progress };
}
