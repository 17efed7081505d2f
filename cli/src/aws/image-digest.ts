import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { EnvName } from '../../../infra/config/environments.js';
import { PARAMETERS, PLACEHOLDER_IMAGE } from '../../../infra/lib/naming.js';
import { CliError } from '../errors.js';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** The placeholder lets synth run without an image; shipping it would start tasks that cannot pull. */
export function refusePlaceholder(image: string): void {
  if (image.includes(PLACEHOLDER_IMAGE)) {
    throw new CliError(
      `refusing to deploy the placeholder image "${PLACEHOLDER_IMAGE}": pass --image-tag or --image-digest of a pushed image`,
    );
  }
}

export function requireDigest(value: string): string {
  refusePlaceholder(value);
  if (!isDigest(value)) {
    throw new CliError(
      `--image-digest "${value}" is not a digest: expected sha256: followed by 64 hex characters`,
    );
  }
  return value;
}

/** Tags move; digests do not. Resolve once so what we test is exactly what we promote. */
export async function resolveTagToDigest(
  ecr: ECRClient,
  repositoryName: string,
  tag: string,
): Promise<string> {
  refusePlaceholder(tag);
  let digest: string | undefined;
  try {
    const result = await ecr.send(
      new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }),
    );
    digest = result.imageDetails?.[0]?.imageDigest;
  } catch (error) {
    if (error instanceof Error && error.name === 'ImageNotFoundException') digest = undefined;
    else throw error;
  }
  if (!digest) {
    throw new CliError(
      `image tag "${tag}" not found in ECR repository ${repositoryName}: push it first or pass --image-digest`,
    );
  }
  return digest;
}

/** The digest `berth deploy` last recorded for the environment, or undefined if it never ran. */
export async function readDeployedDigest(ssm: SSMClient, env: EnvName): Promise<string | undefined> {
  try {
    const result = await ssm.send(new GetParameterCommand({ Name: PARAMETERS.imageDigest(env) }));
    return result.Parameter?.Value;
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return undefined;
    throw error;
  }
}

export async function recordDeployedDigest(ssm: SSMClient, env: EnvName, digest: string): Promise<void> {
  requireDigest(digest);
  await ssm.send(
    new PutParameterCommand({
      Name: PARAMETERS.imageDigest(env),
      Value: digest,
      Type: 'String',
      Overwrite: true,
      Description: `Image digest deployed to ${env} by berth deploy`,
    }),
  );
}

/** The digest an infrastructure-only deploy keeps running: never the placeholder, never a guess. */
export async function reuseDeployedDigest(ssm: SSMClient, env: EnvName): Promise<string> {
  const digest = await readDeployedDigest(ssm, env);
  if (digest === undefined || !isDigest(digest)) {
    throw new CliError(
      `no image digest recorded for ${env} at ${PARAMETERS.imageDigest(env)}: ` +
        'deploy an image first with --image-tag or --image-digest',
    );
  }
  return digest;
}

/** Digests deployed to the env, newest first, consecutive repeats collapsed (re-deploys of the same image). */
export async function digestHistory(ssm: SSMClient, env: EnvName): Promise<string[]> {
  const values: { value: string; at: number }[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await ssm.send(
        new GetParameterHistoryCommand({
          Name: PARAMETERS.imageDigest(env),
          NextToken: nextToken,
          MaxResults: 50,
        }),
      );
      for (const p of page.Parameters ?? []) {
        if (p.Value) values.push({ value: p.Value, at: p.LastModifiedDate?.getTime() ?? 0 });
      }
      nextToken = page.NextToken;
    } while (nextToken);
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return [];
    throw error;
  }
  values.sort((a, b) => b.at - a.at);
  const history: string[] = [];
  for (const { value } of values) if (history.at(-1) !== value) history.push(value);
  return history.filter(isDigest);
}
