// @berth/cli's library entry, for a user's berth.config.ts (the CLI itself is the `berth` bin): the config
// types, from @berth/infra's light entry so importing them never loads the CDK.
export type {
  EnvironmentConfig,
  EnvName,
  GlobalConfig,
  Region,
  ServiceConfig,
} from '@berth/infra';
