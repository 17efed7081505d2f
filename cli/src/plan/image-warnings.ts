/**
 * Prebuilt images named by a tag: Berth promotes the images it builds by digest, but a prebuilt reference runs
 * as written, so a tag lets test and prod (or two tasks of one service) run different images. `berth plan`
 * says so, with the fix.
 */
import type { EnvironmentConfig } from '@berth/infra';

export function prebuiltImageWarnings(config: EnvironmentConfig): string[] {
  return config.services.flatMap((service) =>
    'prebuilt' in service.image && !service.image.prebuilt.includes('@sha256:')
      ? [
          `services.${service.name}.image = "${service.image.prebuilt}" is not pinned by digest: each task pulls what the tag names when it starts, so test and prod can run different images; pin it as ${service.image.prebuilt.split('@')[0]}@sha256:<digest>`,
        ]
      : [],
  );
}
