import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Architecture } from '@berth/infra';
import { CliError } from '../errors.js';
import { PACKAGE_DIR } from '../package-dir.js';
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

/** The Packer template and its scripts, shipped in @berth/cli's `files` (cli/ami/ in Berth's repository). */
export const TEMPLATE_DIR = join(PACKAGE_DIR, 'ami');

/** Where `berth ami build` has Packer record the AMI ids, relative to the project root (`.berth/` is git-ignored). */
export const MANIFEST_FILE = join('.berth', 'ami', 'manifest.json');

export interface BuildRequest {
  /** The directory holding berth.config.ts: Packer runs there and the manifest goes under it. */
  readonly projectRoot: string;
  /** The config's `app`: names the AMI, its Project tag and the node log groups. */
  readonly app: string;
  readonly architectures: readonly Architecture[];
  /** Region the AMI is built in; the Packer `region` variable. */
  readonly region: string;
  /** Further regions the AMI is copied to. */
  readonly copyToRegions: readonly string[];
  readonly version: string;
  readonly gitSha: string;
}

/** `packer build` arguments: one `-only` per architecture, everything else as variables. */
export function packerBuildArgs(request: BuildRequest, templateDir: string = TEMPLATE_DIR): string[] {
  return [
    'build',
    `-only=${request.architectures.map((a) => `berth.amazon-ebs.${a}`).join(',')}`,
    `-var=app=${request.app}`,
    `-var=manifest_path=${join(request.projectRoot, MANIFEST_FILE)}`,
    `-var=region=${request.region}`,
    `-var=copy_to_regions=${JSON.stringify(request.copyToRegions)}`,
    `-var=version=${request.version}`,
    `-var=git_sha=${request.gitSha}`,
    templateDir,
  ];
}

/**
 * Builds the AMIs with the caller's AWS credentials (Packer reads the usual chain: AWS_PROFILE,
 * environment, OIDC-assumed role in CI) and returns what the manifest recorded for this run. The
 * template is read from the package, never from the user's repository, which has no copy of it.
 */
export async function buildAmis(
  request: BuildRequest,
  run: CommandRunner = spawnRunner,
  templateDir: string = TEMPLATE_DIR,
): Promise<BuiltAmi[]> {
  await checkPacker(run, request.projectRoot);
  const manifest = join(request.projectRoot, MANIFEST_FILE);
  // The manifest post-processor writes the file but not the directories above it.
  await mkdir(dirname(manifest), { recursive: true });
  for (const args of [['init', templateDir], packerBuildArgs(request, templateDir)]) {
    const result = await run('packer', args, { cwd: request.projectRoot });
    if (result.code !== 0) {
      throw new CliError(
        `packer ${args[0]} failed (exit ${result.code}): see its output above; AWS credentials must be ` +
          'able to run instances and create images in the build region',
      );
    }
  }
  const built = await readManifest(manifest);
  return built.filter((ami) => request.architectures.includes(ami.architecture));
}
