import type { EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterHistoryCommand, type ParameterHistory, type SSMClient } from '@aws-sdk/client-ssm';
import type { AppNames, Architecture, EnvName } from '@berth/infra';
import { awsErrorName, CliError } from '../errors.js';
import { type Published, publishAmi } from './publish.js';

export interface AmiHistory {
  readonly current: string;
  /** The most recent value that differs from the current one, if any. */
  readonly previous?: string;
}

/** Walks every page of the parameter's history; SSM returns it oldest first. */
async function readHistory(ssm: SSMClient, name: string): Promise<ParameterHistory[]> {
  const entries: ParameterHistory[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(
      new GetParameterHistoryCommand({ Name: name, NextToken: nextToken, MaxResults: 50 }),
    );
    entries.push(...(page.Parameters ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return entries.sort((a, b) => (a.Version ?? 0) - (b.Version ?? 0));
}

/**
 * Republishing the same AMI adds a version with the same value, so "previous" means the last
 * different value, not simply version n-1.
 */
export async function amiHistory(
  ssm: SSMClient,
  names: AppNames,
  env: EnvName,
  architecture: Architecture,
): Promise<AmiHistory> {
  const name = names.parameters.ami(env, architecture);
  let entries: ParameterHistory[];
  try {
    entries = await readHistory(ssm, name);
  } catch (error) {
    if (awsErrorName(error) === 'ParameterNotFound') entries = [];
    else throw error;
  }
  const current = entries.at(-1)?.Value;
  if (current === undefined) {
    throw new CliError(`no AMI has been published to ${name}: publish one with \`berth ami publish ${env}\``);
  }
  const previous = [...entries].reverse().find((e) => e.Value !== undefined && e.Value !== current)?.Value;
  return { current, previous };
}

/** Republishes the previous AMI (verified like any publish); `berth ami rollout` then moves the nodes to it. */
export async function rollbackAmi(
  ec2: EC2Client,
  ssm: SSMClient,
  request: { names: AppNames; env: EnvName; region: string; architecture: Architecture },
): Promise<Published & { replaced: string }> {
  const history = await amiHistory(ssm, request.names, request.env, request.architecture);
  if (history.previous === undefined) {
    throw new CliError(
      `${request.names.parameters.ami(request.env, request.architecture)} has only ever held ${history.current}: ` +
        `there is no earlier AMI to roll back to (publish one explicitly with \`berth ami publish ${request.env} --ami ami-…\`)`,
    );
  }
  const published = await publishAmi(ec2, ssm, { ...request, amiId: history.previous });
  return { ...published, replaced: history.current };
}
