import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { Architecture } from '@berth/infra';
import { CliError } from '../errors.js';

/**
 * AWS's public parameters for the current ECS-optimized Amazon Linux 2023 AMI (Amazon ECS Developer
 * Guide, "Retrieving Amazon ECS-optimized Linux AMI metadata"): one per architecture, in every region.
 */
export const AWS_ECS_AMI_PARAMETER: Readonly<Record<Architecture, string>> = {
  x86_64: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
  arm64: '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id',
};

/**
 * The AMI id AWS recommends today: what an environment boots from before the first Packer AMI is
 * published (`berth ami publish <env> --aws-recommended`), so the parameter the Cluster reads exists.
 */
export async function awsRecommendedAmi(
  ssm: SSMClient,
  architecture: Architecture,
  region: string,
): Promise<string> {
  const name = AWS_ECS_AMI_PARAMETER[architecture];
  const value = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  if (!value) {
    throw new CliError(
      `${name} has no value in ${region}: this region has no ECS-optimized AL2023 AMI; pass --ami ami-…`,
    );
  }
  return value;
}
