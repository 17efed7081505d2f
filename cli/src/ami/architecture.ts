import type { Architecture } from '@berth/infra';
import { CliError } from '../errors.js';

/** Every architecture the Packer template builds, in the order it builds them. */
export const AMI_ARCHITECTURES = ['x86_64', 'arm64'] as const satisfies readonly Architecture[];

export function parseArchitecture(text: string): Architecture {
  if ((AMI_ARCHITECTURES as readonly string[]).includes(text)) return text as Architecture;
  throw new CliError(`--arch "${text}" is not an architecture: use one of ${AMI_ARCHITECTURES.join(', ')}`);
}

/** `all` selects every architecture; anything else must name one. */
export function parseArchitectures(text: string): Architecture[] {
  return text === 'all' ? [...AMI_ARCHITECTURES] : [parseArchitecture(text)];
}
