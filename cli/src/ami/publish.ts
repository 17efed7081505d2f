import { DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { AppNames, Architecture, EnvName } from '@berth/infra';
import { awsErrorName, CliError } from '../errors.js';

const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

export interface PublishRequest {
  /** The app's names: its AMI parameter `/<app>/<env>/ami/<arch>`. */
  readonly names: AppNames;
  readonly env: EnvName;
  readonly region: string;
  readonly architecture: Architecture;
  readonly amiId: string;
}

export interface Published {
  readonly parameter: string;
  readonly amiId: string;
  readonly version: number;
  readonly imageName?: string;
}

/**
 * Refuses anything an instance could not boot: an id that does not exist in this region, an image
 * still being created (or failed, or deregistered), or one built for the other architecture.
 */
export async function verifyImage(
  ec2: EC2Client,
  amiId: string,
  architecture: Architecture,
  region: string,
): Promise<Image> {
  if (!AMI_ID.test(amiId)) {
    throw new CliError(`"${amiId}" is not an AMI id: expected ami- followed by 8 or 17 hex digits`);
  }
  let images: Image[];
  try {
    images = (await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }))).Images ?? [];
  } catch (error) {
    if (awsErrorName(error)?.startsWith('InvalidAMIID')) images = [];
    else throw error;
  }
  const image = images[0];
  if (!image) {
    throw new CliError(
      `${amiId} does not exist in ${region} (or this account cannot see it): ` +
        'check the region, or copy the AMI there with the Packer variable copy_to_regions',
    );
  }
  if (image.State !== 'available') {
    throw new CliError(
      `${amiId} is ${image.State ?? 'in an unknown state'}, not available` +
        `${image.StateReason?.Message ? ` (${image.StateReason.Message})` : ''}: ` +
        'wait for it to become available, or publish a different AMI',
    );
  }
  if (image.Architecture !== architecture) {
    throw new CliError(
      `${amiId} is a ${image.Architecture ?? 'unknown'} image but ${architecture} was asked for: ` +
        `pass --arch ${image.Architecture ?? '<arch>'} or the ${architecture} AMI`,
    );
  }
  return image;
}

/**
 * Verifies the image, then records it as the environment's AMI. `aws:ec2:image` makes SSM check the
 * value too, and keeps a version history that `berth ami rollback` walks back through.
 */
export async function publishAmi(
  ec2: EC2Client,
  ssm: SSMClient,
  request: PublishRequest,
): Promise<Published> {
  const image = await verifyImage(ec2, request.amiId, request.architecture, request.region);
  const parameter = request.names.parameters.ami(request.env, request.architecture);
  const result = await ssm.send(
    new PutParameterCommand({
      Name: parameter,
      Value: request.amiId,
      Type: 'String',
      DataType: 'aws:ec2:image',
      Overwrite: true,
      Description: `Berth ECS node AMI for ${request.env} (${request.architecture}): ${image.Name ?? request.amiId}`,
    }),
  );
  return { parameter, amiId: request.amiId, version: result.Version ?? 0, imageName: image.Name };
}
