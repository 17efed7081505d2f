import { readFile } from 'node:fs/promises';
import type { Architecture } from '@berth/infra';
import { CliError } from '../errors.js';
import { parseArchitecture } from './architecture.js';

/** One AMI in one region, as the Packer manifest post-processor recorded it. */
export interface BuiltAmi {
  readonly architecture: Architecture;
  readonly region: string;
  readonly amiId: string;
  readonly version?: string;
  readonly gitSha?: string;
}

interface ManifestBuild {
  readonly builder_type?: string;
  readonly artifact_id?: string;
  readonly packer_run_uuid?: string;
  readonly custom_data?: Record<string, string>;
}

interface Manifest {
  readonly builds?: ManifestBuild[];
  readonly last_run_uuid?: string;
}

const ARTIFACT = /^([a-z0-9-]+):(ami-[0-9a-f]+)$/;

/**
 * The AMIs of the latest Packer run. The manifest post-processor appends every run to the same
 * file, so older builds are ignored by run id; `artifact_id` lists one `region:ami-…` per copy.
 */
export function parseManifest(text: string, source = 'ami/manifest.json'): BuiltAmi[] {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    throw new CliError(`${source} is not valid JSON: rerun \`berth ami build\` to regenerate it`);
  }
  const lastRun = manifest.last_run_uuid;
  const builds = (manifest.builds ?? []).filter(
    (b) => lastRun === undefined || b.packer_run_uuid === lastRun,
  );
  const amis: BuiltAmi[] = [];
  for (const build of builds) {
    if (build.builder_type !== 'amazon-ebs' || !build.artifact_id) continue;
    const architecture = parseArchitecture(build.custom_data?.architecture ?? '');
    for (const part of build.artifact_id.split(',')) {
      const match = ARTIFACT.exec(part.trim());
      if (!match) throw new CliError(`${source}: unexpected artifact_id "${build.artifact_id}"`);
      amis.push({
        architecture,
        region: match[1]!,
        amiId: match[2]!,
        version: build.custom_data?.version,
        gitSha: build.custom_data?.git_sha,
      });
    }
  }
  return amis;
}

export async function readManifest(path: string): Promise<BuiltAmi[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CliError(`no Packer manifest at ${path}: run \`berth ami build\` first, or pass --ami ami-…`);
  }
  return parseManifest(text, path);
}

/** The AMI built for one architecture in one region, or a clear error naming what is missing. */
export function findBuiltAmi(
  amis: readonly BuiltAmi[],
  architecture: Architecture,
  region: string,
): BuiltAmi {
  const ami = amis.find((a) => a.architecture === architecture && a.region === region);
  if (!ami) {
    const have = amis.map((a) => `${a.architecture}@${a.region}`).join(', ') || 'nothing';
    throw new CliError(
      `the last Packer build has no ${architecture} AMI in ${region} (it has ${have}): ` +
        'build with --arch and copy_to_regions covering it, or pass --ami ami-…',
    );
  }
  return ami;
}
