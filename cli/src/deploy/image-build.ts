import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { Architecture } from '@berth/infra';
import { findImageDigest } from '../aws/image-digest.js';
import { CliError } from '../errors.js';

/** Runs a program and resolves with its exit code; rejects with ENOENT when it is not installed. */
export type RunCommand = (
  command: string,
  args: readonly string[],
  options: {
    cwd: string;
    quiet?: boolean /** Written to the program's stdin (a password, never an argument). */;
    input?: string;
  },
) => Promise<{ code: number; stdout: string }>;

export const runCommand: RunCommand = (command, args, options) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', options.quiet ? 'ignore' : 'inherit'],
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!options.quiet) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
  });

export const PLATFORMS: Record<Architecture, string> = { x86_64: 'linux/amd64', arm64: 'linux/arm64' };

export interface ImageOptions {
  /** The project root (the directory of berth.config.ts): where git runs and the build paths start. */
  readonly repoRoot: string;
  /**
   * The image's Dockerfile and build context, relative to repoRoot, and its stage and build arguments
   * (berth.config.ts `services.<name>.build`).
   * @default - `{ dockerfile: 'Dockerfile', context: '.' }`, Docker's own defaults
   */
  readonly build?: {
    readonly dockerfile: string;
    readonly context: string;
    readonly target?: string;
    readonly args?: Readonly<Record<string, string>>;
  };
  /**
   * Goes before the git sha in the image's tag: `<key>-` for every image but the app's primary one, so the
   * images of one commit share the repository without sharing a tag (its tags are immutable).
   * @default - none: the tag is the git sha
   */
  readonly tagPrefix?: string;
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>`, from the Global stack's output. */
  readonly repositoryUri: string;
  readonly repositoryName: string;
  /** The environment's instance architecture (cluster config): the one platform we build. */
  readonly architecture: Architecture;
  readonly run: RunCommand;
  readonly ecr: ECRClient;
}

/** The app's primary image (the first build) is tagged with the bare git sha, as when apps had one image. */
export function tagPrefix(images: readonly { readonly key: string }[], key: string): string {
  return images[0]?.key === key ? '' : `${key}-`;
}

export interface ImageResult {
  readonly tag: string;
  readonly digest: string;
  /** False when the commit's tag was already in ECR and nothing was built. */
  readonly built: boolean;
}

export async function gitSha(run: RunCommand, cwd: string): Promise<string> {
  const result = await run('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, quiet: true }).catch(
    () => undefined,
  );
  const sha = result?.code === 0 ? result.stdout.trim() : '';
  if (!sha) throw new CliError('cannot read the git commit to tag the image: run inside the repository');
  return sha;
}

/**
 * The image for the current commit, as a digest. ECR tags are immutable in our registry, so when the
 * commit's tag exists (a re-run after a failed deploy, or CI built it) it is resolved, not rebuilt:
 * a rebuild would get a new digest and the push would be refused.
 */
export async function ensureImage(options: ImageOptions): Promise<ImageResult> {
  const tag = `${options.tagPrefix ?? ''}${await gitSha(options.run, options.repoRoot)}`;
  const existing = await findImageDigest(options.ecr, options.repositoryName, tag);
  if (existing) return { tag, digest: existing, built: false };
  return { tag, digest: await buildAndPushImage(options, tag), built: true };
}

/**
 * Logs docker in to the registry with a token from ecr:GetAuthorizationToken: the token is
 * base64 `AWS:<password>`, valid 12 hours, for `docker login --username AWS --password-stdin`
 * (AWS, ECR User Guide "Private registry authentication").
 */
export async function loginToRegistry(options: ImageOptions): Promise<void> {
  const result = await options.ecr.send(new GetAuthorizationTokenCommand({}));
  const token = result.authorizationData?.[0]?.authorizationToken;
  if (!token)
    throw new CliError('ECR returned no authorization token: check ecr:GetAuthorizationToken is allowed');
  const [user, password] = Buffer.from(token, 'base64').toString('utf8').split(':');
  const registry = options.repositoryUri.split('/')[0]!;
  const login = await options.run(
    'docker',
    ['login', '--username', user ?? 'AWS', '--password-stdin', registry],
    {
      cwd: options.repoRoot,
      quiet: true,
      input: password ?? '',
    },
  );
  if (login.code !== 0) throw new CliError(`docker login to ${registry} failed (exit ${login.code})`);
}

/**
 * Builds exactly one platform, the cluster's, and pushes it. Provenance and SBOM attestations are
 * off: with them buildx pushes an image index whose digest is not the platform manifest's (Docker
 * docs, "Build attestations"), and the digest we record must be the image the task definition pulls.
 */
async function buildAndPushImage(options: ImageOptions, tag: string): Promise<string> {
  const { run } = options;
  const available = await run('docker', ['buildx', 'version'], { cwd: options.repoRoot, quiet: true }).catch(
    () => undefined,
  );
  if (available?.code !== 0) {
    throw new CliError(
      'docker buildx is not available to build the image: install Docker with buildx, or deploy a pushed image with --image-tag <tag> or --image-digest <sha256:…>',
    );
  }
  await loginToRegistry(options);
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-build-'));
  const metadataFile = path.join(dir, 'metadata.json');
  try {
    const args = [
      'buildx',
      'build',
      '--platform',
      PLATFORMS[options.architecture],
      '--provenance=false',
      '--sbom=false',
      '--tag',
      `${options.repositoryUri}:${tag}`,
      '--metadata-file',
      metadataFile,
      '--file',
      options.build?.dockerfile ?? 'Dockerfile',
      ...(options.build?.target === undefined ? [] : ['--target', options.build.target]),
      ...Object.entries(options.build?.args ?? {}).flatMap(([name, value]) => [
        '--build-arg',
        `${name}=${value}`,
      ]),
      '--push',
      options.build?.context ?? '.',
    ];
    const result = await run('docker', args, { cwd: options.repoRoot });
    if (result.code !== 0)
      throw new CliError(`docker buildx build failed (exit ${result.code}): see its output above`);
    const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>;
    const digest = metadata['containerimage.digest'];
    if (typeof digest !== 'string') throw new CliError('docker buildx did not report the pushed digest');
    return digest;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
