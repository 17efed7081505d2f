import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import {
  type AppNames,
  type EnvName,
  type ImageBuildConfig,
  type ImageSet,
  isImageReference,
  PLACEHOLDER_IMAGE,
  parseImageSet,
} from '@berth/infra';
import { CliError } from '../errors.js';
import { describeService, type ServiceRef } from './service-state.js';

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

/**
 * A release of the app whose images are `images` (ResolvedConfig.images), read from its one-line form
 * (`--image-digest`, `--to`, the digest record; infra/lib/image.ts): every image the app builds, each by
 * digest. `what` says where the text came from.
 */
export function parseRelease(images: readonly ImageBuildConfig[], text: string, what: string): ImageSet {
  const keys = images.map((image) => image.key);
  if (keys.length === 1) {
    const value = text.startsWith(`${keys[0]}=`) ? text.slice(keys[0]!.length + 1) : text;
    return { [keys[0]!]: requireDigest(value) };
  }
  let release: ImageSet;
  try {
    release = parseImageSet(text, keys);
  } catch (error) {
    throw new CliError(`${what} "${text}": ${(error as Error).message}`);
  }
  for (const [key, value] of Object.entries(release)) {
    refusePlaceholder(value);
    if (!isDigest(value)) {
      throw new CliError(
        `${what} "${text}": ${key}'s "${value}" is not a digest: expected sha256: followed by 64 hex characters`,
      );
    }
  }
  return release;
}

/** Whether a record is a release in its one-line form: one digest, or `<image>=<digest>` pairs. */
export function isRelease(value: string): boolean {
  if (isDigest(value)) return true;
  return value
    .split(',')
    .every((pair) => /^[a-z][a-z0-9-]*=/.test(pair) && isDigest(pair.slice(pair.indexOf('=') + 1)));
}

/**
 * The digest a tag points to, or undefined when the repository has no such tag: DescribeImages
 * answers ImageNotFoundException for a missing tag (AWS, ECR API "DescribeImages", Errors).
 */
export async function findImageDigest(
  ecr: ECRClient,
  repositoryName: string,
  tag: string,
): Promise<string | undefined> {
  try {
    const result = await ecr.send(
      new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }),
    );
    return result.imageDetails?.[0]?.imageDigest;
  } catch (error) {
    if (error instanceof Error && error.name === 'ImageNotFoundException') return undefined;
    throw error;
  }
}

/** Tags move; digests do not. Resolve once so what we test is exactly what we promote. */
export async function resolveTagToDigest(
  ecr: ECRClient,
  repositoryName: string,
  tag: string,
): Promise<string> {
  refusePlaceholder(tag);
  const digest = await findImageDigest(ecr, repositoryName, tag);
  if (!digest) {
    throw new CliError(
      `image tag "${tag}" not found in ECR repository ${repositoryName}: push it first or pass --image-digest`,
    );
  }
  return digest;
}

/**
 * Where an environment's deployed release is recorded: the app's `/<app>/<env>/image-digest` parameter, one
 * digest (an app that builds one image) or `<image>=<digest>` pairs (infra/lib/image.ts).
 */
export interface DigestRecord {
  readonly env: EnvName;
  readonly parameter: string;
}

export const digestRecord = (names: AppNames, env: EnvName): DigestRecord => ({
  env,
  parameter: names.parameters.imageDigest(env),
});

/** The release `berth deploy` last recorded for the environment, or undefined if it never ran. */
export async function readDeployedDigest(ssm: SSMClient, record: DigestRecord): Promise<string | undefined> {
  try {
    const result = await ssm.send(new GetParameterCommand({ Name: record.parameter }));
    return result.Parameter?.Value;
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return undefined;
    throw error;
  }
}

/** Which command recorded a digest: rollback records are skipped when walking back. */
export type RecordedBy = 'deploy' | 'rollback';

const description = (env: EnvName, by: RecordedBy) => `Image digest deployed to ${env} by berth ${by}`;

/** Records `release` (its one-line form: a digest, or `<image>=<digest>` pairs) as the env's deployed images. */
export async function recordDeployedDigest(
  ssm: SSMClient,
  record: DigestRecord,
  release: string,
  by: RecordedBy = 'deploy',
): Promise<void> {
  if (!release.includes('=')) requireDigest(release);
  else if (!isRelease(release)) {
    throw new CliError(`refusing to record "${release}": expected <image>=sha256:… pairs joined by commas`);
  }
  await putRelease(ssm, record, release, by);
}

/**
 * Records the release of an app whose every service runs a prebuilt image: each service's reference as
 * deployed (infra/lib/image.ts, prebuiltRelease), so `berth status` shows what runs. Not a digest release:
 * releaseHistory leaves it out, and such an app rolls back through its config, not a record.
 */
export async function recordPrebuiltRelease(
  ssm: SSMClient,
  record: DigestRecord,
  release: string,
): Promise<void> {
  const references = release
    .split(',')
    .map((pair) => (pair.includes('=') ? pair.slice(pair.indexOf('=') + 1) : pair));
  if (!references.every(isImageReference)) {
    throw new CliError(
      `refusing to record "${release}": expected image references, <service>=<reference> pairs joined by commas`,
    );
  }
  await putRelease(ssm, record, release, 'deploy');
}

async function putRelease(
  ssm: SSMClient,
  record: DigestRecord,
  release: string,
  by: RecordedBy,
): Promise<void> {
  await ssm.send(
    new PutParameterCommand({
      Name: record.parameter,
      Value: release,
      Type: 'String',
      Overwrite: true,
      Description: description(record.env, by),
    }),
  );
}

/** The digest an infrastructure-only deploy keeps running: never the placeholder, never a guess. */
export async function reuseDeployedDigest(ssm: SSMClient, record: DigestRecord): Promise<string> {
  const digest = await readDeployedDigest(ssm, record);
  if (digest === undefined || !isRelease(digest)) {
    throw new CliError(
      `no image digest recorded for ${record.env} at ${record.parameter}: ` +
        'deploy an image first with --image-tag or --image-digest',
    );
  }
  return digest;
}

/**
 * The releases `berth deploy` recorded for the env, newest first, consecutive repeats collapsed
 * (re-deploys of the same image). Rollback records are left out: they re-run an older release, and
 * counting them would make a second rollback flip forward again. SSM keeps each version's
 * Description in the parameter history (AWS, "GetParameterHistory", ParameterHistory.Description).
 */
export async function releaseHistory(ssm: SSMClient, record: DigestRecord): Promise<string[]> {
  const values: { value: string; at: number }[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await ssm.send(
        new GetParameterHistoryCommand({
          Name: record.parameter,
          NextToken: nextToken,
          MaxResults: 50,
        }),
      );
      for (const p of page.Parameters ?? []) {
        if (p.Value && p.Description !== description(record.env, 'rollback')) {
          values.push({ value: p.Value, at: p.LastModifiedDate?.getTime() ?? 0 });
        }
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
  return history.filter(isRelease);
}

/**
 * The digest a service runs: the image of the container named after the service (its name in the config) in
 * the service's current task definition (`<repository>@sha256:…`). This, not the last record, is "current":
 * a deploy whose smoke test failed leaves its image running without recording it.
 */
export async function runningDigest(
  ecs: ECSClient,
  ref: ServiceRef & { readonly name: string },
): Promise<string | undefined> {
  const service = await describeService(ecs, ref);
  if (!service.taskDefinition) return undefined;
  const described = await ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }),
  );
  const image = described.taskDefinition?.containerDefinitions?.find((c) => c.name === ref.name)?.image;
  const digest = image?.split('@')[1];
  return digest && isDigest(digest) ? digest : undefined;
}
