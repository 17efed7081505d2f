// @berth/cli's library entry, for a user's berth.config.ts (the CLI itself is the `berth` bin): defineConfig and
// the config types, from @berth/infra's light entry so importing them never loads the CDK.
export type {
  AlarmsDefinition,
  BerthConfig,
  BuildConfig,
  ClusterDefinition,
  DatabaseDefinition,
  DeploymentDefinition,
  EnvironmentDefinition,
  EnvName,
  ExecDefinition,
  GithubConfig,
  GlobalAccountConfig,
  HealthCheckDefinition,
  NetworkDefinition,
  Region,
  RouteDefinition,
  ScalingDefinition,
  ServiceDefinition,
  ServiceSizing,
  TracingDefinition,
  WafDefinition,
} from '@berth/infra';
export { defineConfig } from '@berth/infra';
