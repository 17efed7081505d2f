import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { CliError } from '../errors.js';

/** CDK's default bootstrap qualifier (AWS CDK Developer Guide, "Customize CDK bootstrapping", --qualifier). */
export const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';

/**
 * The parameter the bootstrap stack writes and every CDK deploy reads to check the bootstrap
 * version (AWS CDK Developer Guide, "Bootstrapping your environment": `/cdk-bootstrap/<qualifier>/version`).
 */
export const bootstrapVersionParameter = (qualifier: string) => `/cdk-bootstrap/${qualifier}/version`;

/** The command that bootstraps one account/region, exactly as the user should type it. */
export function bootstrapCommand(account: string, region: string, qualifier: string): string {
  return `npx cdk bootstrap aws://${account}/${region} --qualifier ${qualifier}`;
}

/**
 * Refuses to deploy into an account/region CDK has not bootstrapped, with the command that fixes
 * it. Without this the toolkit fails halfway with an SSM error the user has to decode.
 */
export async function requireBootstrap(
  ssm: SSMClient,
  where: { account: string; region: string; qualifier: string },
): Promise<void> {
  try {
    await ssm.send(new GetParameterCommand({ Name: bootstrapVersionParameter(where.qualifier) }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') {
      throw new CliError(
        `CDK is not bootstrapped in aws://${where.account}/${where.region} (qualifier ${where.qualifier}): ` +
          `run \`${bootstrapCommand(where.account, where.region, where.qualifier)}\` in infra/, then deploy again`,
      );
    }
    throw error;
  }
}
