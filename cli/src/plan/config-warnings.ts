/**
 * Config choices that deploy fine but leave an environment unsafe to run: `berth plan` prints them next
 * to the change-safety findings. Each check is one function from the environment's config to warnings.
 *
 * The alarm-subscriber check is infra's (#11 defect 10). Seam: the shared-account bootstrap check
 * (#10 item 11, `accountLayoutWarnings()` in infra/config/validate.ts on the access branch) joins as
 * `() => accountLayoutWarnings()` when that branch merges.
 */
import type { EnvironmentConfig } from '../../../infra/config/environments.js';
import { alarmWarnings } from '../../../infra/config/validate.js';

export type ConfigCheck = (config: EnvironmentConfig) => string[];

export const CONFIG_CHECKS: readonly ConfigCheck[] = [alarmWarnings];

export function configWarnings(config: EnvironmentConfig): string[] {
  return CONFIG_CHECKS.flatMap((check) => check(config));
}
