import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { findDockerfiles } from './find-dockerfiles.js';
import type { Prompter } from './prompter.js';

/** Which Dockerfile becomes the web service, and why; one per repository for now. */
export async function chooseDockerfile(
  root: string,
  flags: { dockerfile?: string },
  prompter: Prompter | undefined,
): Promise<{ dockerfile: string; note: string }> {
  if (flags.dockerfile !== undefined) {
    const relative = path.relative(root, path.resolve(root, flags.dockerfile)).split(path.sep).join('/');
    const full = path.join(root, relative);
    if (relative.startsWith('..') || !existsSync(full) || !statSync(full).isFile()) {
      throw new CliError(
        `--dockerfile "${flags.dockerfile}" is not a file in ${root}: give its path from the repository root`,
      );
    }
    return { dockerfile: relative, note: '--dockerfile' };
  }
  const found = findDockerfiles(root);
  if (found.length === 0) {
    throw new CliError(
      `no Dockerfile in ${root} or the folders below it: add one (Berth deploys a container image), or pass --dockerfile <path>`,
    );
  }
  const others = (chosen: string) => found.filter((f) => f !== chosen);
  const atRoot = found.find((f) => !f.includes('/'));
  const single = found.length === 1 ? found[0] : undefined;
  const direct = atRoot ?? single;
  if (direct !== undefined) {
    const rest = others(direct);
    return {
      dockerfile: direct,
      note:
        rest.length === 0
          ? 'the only Dockerfile'
          : `also found ${rest.join(', ')}: one web service per repository for now, --dockerfile picks another`,
    };
  }
  if (!prompter) {
    throw new CliError(
      `several Dockerfiles and none at the root (${found.join(', ')}): choose one with --dockerfile <path>`,
    );
  }
  const list = found.map((f, i) => `  ${i + 1}. ${f}`).join('\n');
  const answer = await prompter.ask(
    `Several Dockerfiles, one web service for now:\n${list}\nWhich one (number)`,
    (a) =>
      /^\d+$/.test(a) && Number(a) >= 1 && Number(a) <= found.length
        ? undefined
        : `answer 1 to ${found.length}`,
    '1',
  );
  const chosen = found[Number(answer) - 1]!;
  return { dockerfile: chosen, note: `chosen from ${found.length} Dockerfiles` };
}
