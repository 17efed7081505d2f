/**
 * `berth up` builds one image, the app's primary build (ResolvedConfig.images[0]), and runs every container
 * from it. Until it builds each service's own, a service that would run in a container from another build or
 * a prebuilt image is refused by name before anything starts, rather than run from the wrong image.
 */
import { CliError } from '../errors.js';
import type { LocalRunPlan } from './run-plan.js';

export function refuseOtherImages(plan: LocalRunPlan, primaryKey: string): void {
  const others = plan.services
    // A release command runs the way its service does, so the services' runners cover it.
    .filter(
      ({ service, runner }) =>
        runner === 'container' && !('build' in service.image && service.image.build === primaryKey),
    )
    .map(({ service }) => service.name);
  if (others.length === 0) return;
  throw new CliError(
    `${others.join(', ')} ${others.length > 1 ? 'run images' : 'runs an image'} other than the app's primary build (${primaryKey}'s): berth up does not build or pull ${others.length > 1 ? 'them' : 'it'} yet; give ${others.length > 1 ? 'each' : 'it'} a \`dev\` command in berth.config.ts (and run without --containers)`,
  );
}
