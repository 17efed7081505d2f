import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { CliError } from '../errors.js';

export const CREDENTIALS_HINT =
  'no usable AWS credentials: set AWS_PROFILE (run `aws sso login --profile <name>` first), ' +
  'export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or in CI assume the deploy role via OIDC ' +
  '(aws-actions/configure-aws-credentials)';

export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
}

/**
 * Asks STS who we are before anything else, so a missing login fails in one clear line instead of
 * deep inside a deploy. Also refuses to touch an account other than the configured one.
 */
export async function checkCredentials(sts: STSClient, expectedAccount?: string): Promise<CallerIdentity> {
  let identity: { Account?: string; Arn?: string };
  try {
    identity = await sts.send(new GetCallerIdentityCommand({}));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`${CREDENTIALS_HINT} (${reason})`);
  }
  const account = identity.Account ?? '';
  if (expectedAccount !== undefined && account !== expectedAccount) {
    throw new CliError(
      `credentials are for account ${account} but the environment lives in ${expectedAccount}: ` +
        'switch AWS_PROFILE to that account',
    );
  }
  return { account, arn: identity.Arn ?? '' };
}
