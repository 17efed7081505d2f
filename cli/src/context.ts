import type { ClientFactory } from './aws/clients.js';
import type { Clock } from './aws/wait-for-steady-state.js';
import type { BuildOptions } from './deploy/image-build.js';
import type { StackDeployer } from './deploy/stack-deployer.js';
import type { Fetch } from './smoke-test.js';
import type { Progress, Writer } from './ui/progress.js';

/** Everything a command touches outside its own logic; main wires the real ones, tests inject fakes. */
export interface CommandContext {
  readonly clients: ClientFactory;
  readonly deployer: (environments: string[]) => Promise<StackDeployer>;
  readonly build: (options: BuildOptions) => Promise<{ tag: string; digest: string }>;
  readonly progress: Progress;
  readonly clock: Clock;
  readonly fetch: Fetch;
  readonly stdout: Writer;
  readonly repoRoot: string;
}

export { REPO_ROOT } from './repo-root.js';

/** Rejects when `ms` passes first: CloudFormation waits can outlive any sensible deploy window. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish before the --timeout`)),
      Math.max(0, ms),
    );
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
