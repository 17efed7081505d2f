/**
 * Finds and loads `berth.config.ts`: the nearest one walking up from the working directory (or the file
 * `--config` names), imported with Node's built-in type stripping (no TypeScript toolchain at run time),
 * then checked and resolved (resolve.ts).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ResolvedConfig, resolveConfig } from './resolve.js';
import { ConfigFileError } from './shape.js';

export const CONFIG_FILE_NAME = 'berth.config.ts';

/** A resolved config and where it came from. */
export interface LoadedConfig extends ResolvedConfig {
  /** The absolute path of the config file. */
  readonly file: string;
  /**
   * The config file's directory: where the image is built from, `.berth/` records deploys and the GitHub
   * workflows live.
   */
  readonly projectRoot: string;
}

/** The nearest `berth.config.ts` in `from` or a directory above it. */
export function findConfigFile(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) {
      throw new ConfigFileError(
        `no ${CONFIG_FILE_NAME} in ${path.resolve(from)} or any directory above it: run \`berth init\` in your repository to write one, or pass --config <path>`,
      );
    }
  }
}

export interface LoadConfigOptions {
  /** Where the search starts. @default process.cwd() */
  readonly cwd?: string;
  /** An explicit config file (`--config`), relative to cwd. @default - the nearest berth.config.ts */
  readonly configPath?: string;
}

/** Node's type stripping is what lets us import a `.ts` file without a TypeScript toolchain. */
export function assertTypeStripping(features: { typescript?: unknown } = process.features): void {
  if (!features.typescript) {
    throw new ConfigFileError(
      `${CONFIG_FILE_NAME} needs Node's built-in TypeScript support, which is off or missing in Node ${process.versions.node}: use Node 24 without --no-experimental-strip-types`,
    );
  }
}

/**
 * Imports the config. In a repository whose package.json has no `"type"` (npm writes none when it installs Berth
 * as a dev dependency), Node parses the file as CommonJS first, then as an ES module, and warns
 * MODULE_TYPELESS_PACKAGE_JSON on every command (Node.js docs, "Modules: Packages", syntax detection). The file is
 * ours to load and an ES module by design, so that one warning, for that one file, is not printed.
 */
async function importConfigModule(url: string): Promise<unknown> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code = typeof rest[0] === 'object' ? (rest[0] as { code?: string }).code : rest[1];
    const text = typeof warning === 'string' ? warning : warning.message;
    if (code === 'MODULE_TYPELESS_PACKAGE_JSON' && text.includes(url)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await import(url);
  } finally {
    process.emitWarning = emitWarning;
  }
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const file = options.configPath === undefined ? findConfigFile(cwd) : path.resolve(cwd, options.configPath);
  const source = path.relative(cwd, file) || CONFIG_FILE_NAME;
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new ConfigFileError(`${source}: no such file (--config names the berth.config.ts to use)`);
  }
  assertTypeStripping();
  let module: { default?: unknown };
  try {
    module = (await importConfigModule(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new ConfigFileError(`${source}: cannot be loaded: ${loadFailure(error)}`);
  }
  if (module.default === undefined) {
    throw new ConfigFileError(
      `${source}: has no default export: end it with export default defineConfig({ ... })`,
    );
  }
  return { ...resolveConfig(module.default, source), file, projectRoot: path.dirname(file) };
}

/** One line on why the import failed, with the fix for the failures a config file can have. */
function loadFailure(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  if (code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX') {
    return `${message} (only erasable TypeScript runs without a compiler: no enum, namespace or parameter properties)`;
  }
  if (code === 'ERR_MODULE_NOT_FOUND' && message.includes('@berth/cli')) {
    return `${message} (install Berth in this repository: npm install --save-dev @berth/cli)`;
  }
  return message;
}
