import { spawnSync } from 'node:child_process';

/** GitHub's rule for owner and repository names: letters, digits, `-`, `_`, `.`. */
export const GITHUB_REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;

/**
 * `owner/name` from a GitHub remote URL in any form git accepts: `https://github.com/o/n(.git)`,
 * `git@github.com:o/n.git`, `ssh://git@github.com/o/n.git`, `git://github.com/o/n`. Other hosts → undefined.
 */
export function githubRepositoryFromRemote(url: string): string | undefined {
  const match =
    /^(?:https?:\/\/(?:[^@/]+@)?|ssh:\/\/(?:[^@/]+@)?|git:\/\/|(?:[^@/]+@))github\.com[:/]([^/]+\/[^/]+?)(?:\.git)?\/?$/i.exec(
      url.trim(),
    );
  const repository = match?.[1];
  return repository && GITHUB_REPOSITORY.test(repository) ? repository : undefined;
}

/** Runs git in `cwd`; undefined when git is missing or the command fails (not a repository, no remote). */
function git(cwd: string, ...args: string[]): string | undefined {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The GitHub repository `origin` points at, if it is one. */
export function detectGithubRepository(cwd: string): string | undefined {
  const url = git(cwd, 'remote', 'get-url', 'origin');
  return url === undefined ? undefined : githubRepositoryFromRemote(url);
}

/** The top folder of the git work tree `cwd` is in, or undefined outside one. */
export function gitTopLevel(cwd: string): string | undefined {
  return git(cwd, 'rev-parse', '--show-toplevel');
}
