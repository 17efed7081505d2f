/**
 * Config choices that deploy fine but leave an environment unsafe to run: `berth plan` prints them next
 * to the change-safety findings. Each check is one function from the environment's config to warnings.
 *
 * Seam for the other #10/#11 checks, added to CONFIG_CHECKS when their branches merge: the shared-account
 * bootstrap check (#10 item 11, `accountLayoutWarnings()` in infra/config/validate.ts on the access
 * branch: `() => accountLayoutWarnings()`) and infra's capacity check for blue/green at maximum scale
 * (#11 defect 8), if it is exported as a warning rather than a validation error.
 */
import type { EnvironmentConfig } from '../../../infra/config/environments.js';

export type ConfigCheck = (config: EnvironmentConfig) => string[];

/** #11 defect 10: an alarm with no subscriber pages nobody. */
export function alarmSubscriberWarning(config: EnvironmentConfig): string[] {
  if (config.alarmEmail !== undefined) return [];
  return [
    `${config.name}.alarmEmail is not set: every alarm of ${config.name} notifies nobody — ` +
      `set alarmEmail in infra/config/environments.ts`,
  ];
}

export const CONFIG_CHECKS: readonly ConfigCheck[] = [alarmSubscriberWarning];

export function configWarnings(config: EnvironmentConfig): string[] {
  return CONFIG_CHECKS.flatMap((check) => check(config));
}
