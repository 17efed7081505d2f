import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Architecture } from '@berth/infra';
import { CliError } from '../errors.js';
import { type BuiltAmi, readManifest } from './manifest.js';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
}

/** Runs a program; `capture` collects stdout, otherwise output streams to the terminal. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly capture?: boolean },
) => Promise<RunResult>;

export const spawnRunner: CommandRunner = (command, args, options) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: options.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
  });

/** Plugins (`packer init`), metadata_options and imds_support all need Packer 1.7 or later. */
export const MIN_PACKER = [1, 7] as const;

export function parsePackerVersion(output: string): [number, number, number] | undefined {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(output);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

async function checkPacker(run: CommandRunner, cwd: string): Promise<void> {
  let result: RunResult;
  try {
    result = await run('packer', ['version'], { cwd, capture: true });
  } catch {
    throw new CliError(
      'packer not found: install Packer >= 1.7 (https://developer.hashicorp.com/packer/install) to build AMIs',
    );
  }
  const version = parsePackerVersion(result.stdout);
  const [major, minor] = version ?? [0, 0];
  if (major < MIN_PACKER[0] || (major === MIN_PACKER[0] && minor < MIN_PACKER[1])) {
    throw new CliError(
      `Packer ${version?.join('.') ?? 'of unknown version'} cannot build this template: it needs >= ${MIN_PACKER.join('.')} ` +
        "for `packer init` and the IMDSv2 options (Debian's 1.6.6 only validates it): install a current Packer",
    );
  }
}

export interface BuildRequest {
  readonly repoRoot: string;
  readonly architectures: readonly Architecture[];
  /** Region the AMI is built in; the Packer `region` variable. */
  readonly region: string;
  /** Further regions the AMI is copied to. */
  readonly copyToRegions: readonly string[];
  readonly version: string;
  readonly gitSha: string;
}

/** `packer build` arguments: one `-only` per architecture, everything else as variables. */
export function packerBuildArgs(request: BuildRequest): string[] {
  return [
    'build',
    `-only=${request.architectures.map((a) => `berth.amazon-ebs.${a}`).join(',')}`,
    `-var=region=${request.region}`,
    `-var=copy_to_regions=${JSON.stringify(request.copyToRegions)}`,
    `-var=version=${request.version}`,
    `-var=git_sha=${request.gitSha}`,
    'ami/',
  ];
}

/**
 * Builds the AMIs with the caller's AWS credentials (Packer reads the usual chain: AWS_PROFILE,
 * environment, OIDC-assumed role in CI) and returns what the manifest recorded for this run.
 */
export async function buildAmis(
  request: BuildRequest,
  run: CommandRunner = spawnRunner,
): Promise<BuiltAmi[]> {
  await checkPacker(run, request.repoRoot);
  for (const args of [['init', 'ami/'], packerBuildArgs(request)]) {
    const result = await run('packer', args, { cwd: request.repoRoot });
    if (result.code !== 0) {
      throw new CliError(
        `packer ${args[0]} failed (exit ${result.code}): see its output above; AWS credentials must be ` +
          'able to run instances and create images in the build region',
      );
    }
  }
  const built = await readManifest(join(request.repoRoot, 'ami', 'manifest.json'));
  return built.filter((ami) => request.architectures.includes(ami.architecture));
}
