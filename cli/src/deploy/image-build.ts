import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Architecture } from '../../../infra/config/environments.js';
import { CliError } from '../errors.js';

/** Runs a program and resolves with its exit code; rejects with ENOENT when it is not installed. */
export type RunCommand = (
  command: string,
  args: readonly string[],
  options: { cwd: string; quiet?: boolean },
) => Promise<{ code: number; stdout: string }>;

export const runCommand: RunCommand = (command, args, options) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', options.quiet ? 'ignore' : 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!options.quiet) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
  });

export const PLATFORMS: Record<Architecture, string> = { x86_64: 'linux/amd64', arm64: 'linux/arm64' };

export interface BuildOptions {
  readonly repoRoot: string;
  readonly repositoryUri: string;
  readonly architecture: Architecture;
  readonly run?: RunCommand;
}

async function gitSha(run: RunCommand, cwd: string): Promise<string> {
  const result = await run('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, quiet: true }).catch(
    () => undefined,
  );
  const sha = result?.code === 0 ? result.stdout.trim() : '';
  if (!sha) throw new CliError('cannot read the git commit to tag the image: run inside the repository');
  return sha;
}

/**
 * Builds the service image for the cluster's architecture, pushes it tagged with the commit and
 * returns the digest buildx reports, so the deploy never depends on a mutable tag.
 */
export async function buildAndPushImage(options: BuildOptions): Promise<{ tag: string; digest: string }> {
  const run = options.run ?? runCommand;
  const available = await run('docker', ['buildx', 'version'], { cwd: options.repoRoot, quiet: true }).catch(
    () => undefined,
  );
  if (available?.code !== 0) {
    throw new CliError(
      'docker buildx is not available to build the image: install Docker with buildx, or deploy a pushed image with --image-tag <tag> or --image-digest <sha256:…>',
    );
  }
  const tag = await gitSha(run, options.repoRoot);
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-build-'));
  const metadataFile = path.join(dir, 'metadata.json');
  try {
    const args = [
      'buildx',
      'build',
      '--platform',
      PLATFORMS[options.architecture],
      '--tag',
      `${options.repositoryUri}:${tag}`,
      '--metadata-file',
      metadataFile,
      '--push',
      '.',
    ];
    const result = await run('docker', args, { cwd: options.repoRoot });
    if (result.code !== 0)
      throw new CliError(`docker buildx build failed (exit ${result.code}): see its output above`);
    const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>;
    const digest = metadata['containerimage.digest'];
    if (typeof digest !== 'string') throw new CliError('docker buildx did not report the pushed digest');
    return { tag, digest };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
