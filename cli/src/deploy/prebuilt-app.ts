/**
 * An app whose every service runs a prebuilt `image` (ECS Express Mode's "give me an image"): Berth builds,
 * pushes and promotes nothing, so what runs is what berth.config.ts names. These are the one-line answers the
 * commands give such an app where an app that builds would build, promote or roll back.
 */
import type { ResolvedConfig } from '@berth/infra';
import { CliError } from '../errors.js';

/** True when no service has a build: no repository, no digests, the config's references are the release. */
export function buildsNothing(config: ResolvedConfig): boolean {
  return config.images.length === 0;
}

/** What `berth image` and `berth deploy` say instead of building. */
export const NOTHING_TO_BUILD =
  'nothing to build: every service runs a prebuilt image, deployed as berth.config.ts names it';

/** `--image-digest` / `--image-tag` choose among images Berth built: such an app has none. */
export function refusePromotionFlag(flag: string, env: string): never {
  throw new CliError(
    `${flag}: every service runs a prebuilt image, so there is no built image to promote: drop ${flag}; \`berth deploy ${env}\` runs the references berth.config.ts names`,
  );
}

/** Rollback redeploys an earlier built release; a prebuilt app's earlier release is an earlier config. */
export function refuseRollback(config: ResolvedConfig, env: string): never {
  const example = config.services[0]!.name;
  throw new CliError(
    `every service runs a prebuilt image, so there is no built release to roll back to: put the reference that worked back in berth.config.ts (services.${example}.image) and run \`berth deploy ${env}\``,
  );
}

/** How to return to what ran before a failed deploy, as the failure message ends. */
export function goBackHint(config: ResolvedConfig, env: string): string {
  return buildsNothing(config)
    ? `put the previous image references back in berth.config.ts and run \`berth deploy ${env}\``
    : `run \`berth rollback ${env}\` to go back to the last recorded image`;
}
