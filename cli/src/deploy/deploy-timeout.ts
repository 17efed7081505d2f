import type { EnvironmentConfig } from '../../../infra/config/environments.js';

/**
 * The default `--timeout` of `berth deploy` when none is given. A stopgap until the plan's
 * deploy-time estimate (cli/src/plan/deploy-time.ts) models first create vs update: replace the body
 * with that estimate plus a margin. A first create carries the RDS instance (Multi-AZ alone takes
 * 15–20 min) and the NAT gateways; an update is ECS-bound, plus the blue/green bake.
 */
export function defaultDeployTimeoutMs(config: EnvironmentConfig, firstCreate: boolean): number {
  const minutes = firstCreate
    ? config.database.multiAz
      ? 90
      : 60
    : 30 + config.service.deployment.bakeTimeMinutes;
  return minutes * 60_000;
}
