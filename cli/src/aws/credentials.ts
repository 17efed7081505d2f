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

/** The environment a command acts on: its name and the account berth.config.ts gives it. */
export interface ExpectedAccount {
  readonly name: string;
  readonly account: string;
}

/**
 * Asks STS who we are before anything else, so a missing login fails in one clear line instead of
 * deep inside a deploy. Also refuses to touch an account other than the configured one, saying which
 * of the two to change.
 */
export async function checkCredentials(sts: STSClient, expected?: ExpectedAccount): Promise<CallerIdentity> {
  let identity: { Account?: string; Arn?: string };
  try {
    identity = await sts.send(new GetCallerIdentityCommand({}));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`${CREDENTIALS_HINT} (${reason})`);
  }
  const account = identity.Account ?? '';
  if (expected !== undefined && account !== expected.account) {
    const field = `environments.${expected.name}.account`;
    throw new CliError(
      `credentials are for account ${account} but ${field} in berth.config.ts is ${expected.account}: ` +
        `if ${account} is where ${expected.name} should run, set ${field} to '${account}' ` +
        `(docs/deploy.md, "Your account and repository"); otherwise use credentials for ${expected.account}`,
    );
  }
  return { account, arn: identity.Arn ?? '' };
}
