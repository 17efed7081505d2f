import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { type BootstrapConfig, bootstrapCommand, type EnvName, qualifierOf, type Region } from '@berth/infra';
import { CliError } from '../errors.js';

/**
 * The parameter the bootstrap stack writes and every CDK deploy reads to check the bootstrap
 * version (AWS CDK Developer Guide, "Bootstrapping your environment": `/cdk-bootstrap/<qualifier>/version`).
 */
export const bootstrapVersionParameter = (qualifier: string) => `/cdk-bootstrap/${qualifier}/version`;

/**
 * Refuses to deploy `env` into an account/region CDK has not bootstrapped with the env's own qualifier
 * (infra/lib/bootstrap.ts), with the exact commands that fix it. Without this the toolkit fails halfway
 * with an SSM error the user has to decode.
 */
export async function requireBootstrap(
  ssm: SSMClient,
  where: { account: string; region: Region; env: EnvName },
  config: BootstrapConfig,
): Promise<void> {
  const qualifier = qualifierOf(config, where.env);
  try {
    await ssm.send(new GetParameterCommand({ Name: bootstrapVersionParameter(qualifier) }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') {
      throw new CliError(
        `CDK is not bootstrapped for ${where.env} in aws://${where.account}/${where.region} (qualifier ${qualifier}): ` +
          'run these from the repository root with administrator credentials for that account, then deploy again',
        bootstrapCommand(config, where.env, where.region),
      );
    }
    throw error;
  }
}
