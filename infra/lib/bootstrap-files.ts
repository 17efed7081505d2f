/** The files `berth bootstrap <env>` writes into the user's repository, generated from their config. */
import type { EnvName } from '../config/environments.js';
import {
  type BootstrapConfig,
  bootstrapTemplateFile,
  executionPolicy,
  executionPolicyFile,
} from './bootstrap.js';
import { bootstrapTemplate } from './bootstrap-template.js';

export interface GeneratedFile {
  /** Relative to the project root, as the printed commands name it. */
  readonly path: string;
  readonly text: string;
}

/** The env's execution policy and bootstrap template; `stockTemplate` is the CDK's bootstrap template. */
export function bootstrapFiles(
  config: BootstrapConfig,
  env: EnvName,
  stockTemplate: string,
): GeneratedFile[] {
  return [
    { path: executionPolicyFile(env), text: `${JSON.stringify(executionPolicy(config, env), null, 2)}\n` },
    { path: bootstrapTemplateFile(env), text: bootstrapTemplate(config, env, stockTemplate) },
  ];
}
