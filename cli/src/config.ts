import { ConfigFileError, type LoadedConfig, loadConfig } from '@berth/infra';
import { CliError } from './errors.js';

/** What the global options say about the config: `berth --config <path> …`. */
export interface ConfigOptions {
  readonly config?: string;
}

/**
 * `berth.config.ts`, loaded once per command: the file `--config` names, or the nearest one above the working
 * directory. A mistake in it is one line naming the field and the fix.
 */
export async function loadProjectConfig(
  options: ConfigOptions = {},
  cwd = process.cwd(),
): Promise<LoadedConfig> {
  try {
    return await loadConfig({ cwd, ...(options.config === undefined ? {} : { configPath: options.config }) });
  } catch (error) {
    if (error instanceof ConfigFileError) throw new CliError(error.message);
    throw error;
  }
}
