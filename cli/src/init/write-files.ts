import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import type { Prompter } from './prompter.js';

export interface GeneratedFile {
  /** Relative to the project root, `/` separators. */
  readonly path: string;
  readonly content: string;
}

export type FileOutcome = 'created' | 'overwritten' | 'unchanged' | 'kept';

/**
 * Writes the files, never replacing one without consent: `force` replaces, a prompter asks per file,
 * and without either an existing file stops everything before anything is written.
 */
export async function writeGeneratedFiles(
  root: string,
  files: readonly GeneratedFile[],
  consent: { force: boolean; prompter?: Prompter },
): Promise<Map<string, FileOutcome>> {
  const outcomes = new Map<string, FileOutcome>();
  // Decide for every file first, so a refusal leaves the repository exactly as it was.
  for (const file of files) {
    const target = path.join(root, file.path);
    if (!existsSync(target)) outcomes.set(file.path, 'created');
    else if (readFileSync(target, 'utf8') === file.content) outcomes.set(file.path, 'unchanged');
    else if (consent.force) outcomes.set(file.path, 'overwritten');
    else if (consent.prompter) {
      const replace = await consent.prompter.confirm(`${file.path} exists: overwrite it?`);
      outcomes.set(file.path, replace ? 'overwritten' : 'kept');
    } else {
      throw new CliError(`${file.path} exists: berth init keeps it; run again with --force to overwrite it`);
    }
  }
  for (const file of files) {
    const outcome = outcomes.get(file.path);
    if (outcome !== 'created' && outcome !== 'overwritten') continue;
    const target = path.join(root, file.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.content);
  }
  return outcomes;
}
