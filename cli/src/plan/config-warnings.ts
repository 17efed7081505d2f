/**
 * Config choices that deploy fine but leave an environment unsafe to run: `berth plan` prints them next
 * to the change-safety findings. Each check is one function from the environment's config to warnings.
 *
 * Both checks are infra's: alarms without a subscriber (#11 defect 10), and test and prod sharing an
 * account and a bootstrap qualifier (#10 item 11), which looks at the whole configuration, not one env.
 */
import { accountLayoutWarnings, alarmWarnings, type EnvironmentConfig, type EnvName } from '@berth/infra';
import { prebuiltImageWarnings } from './image-warnings.js';

export type ConfigCheck = (
  config: EnvironmentConfig,
  environments: Readonly<Record<EnvName, EnvironmentConfig>>,
) => string[];

export const CONFIG_CHECKS: readonly ConfigCheck[] = [
  alarmWarnings,
  (_, environments) => accountLayoutWarnings(environments),
  prebuiltImageWarnings,
];

export function configWarnings(
  config: EnvironmentConfig,
  environments: Readonly<Record<EnvName, EnvironmentConfig>>,
): string[] {
  return CONFIG_CHECKS.flatMap((check) => check(config, environments));
}
