import type { EnvName, LoadedConfig } from '@berth/infra';
import type { ClientFactory } from './aws/clients.js';
import type { Clock } from './aws/wait-for-steady-state.js';
import type { RunCommand } from './deploy/image-build.js';
import type { StackDeployer } from './deploy/stack-deployer.js';
import type { StackTemplate } from './plan/template.js';
import type { Fetch } from './smoke-test.js';
import type { Target } from './target.js';
import type { Terminal } from './terminal.js';
import type { Progress, Writer } from './ui/progress.js';

/**
 * A check `berth deploy` runs after its own preflight (credentials, bootstrap, stack states) and
 * before it changes anything; throwing a CliError stops the deploy with that message.
 */
export type DeployPreflight = (input: {
  readonly env: string;
  readonly targets: readonly Target[];
  /** Stacks that do not exist yet (or only as REVIEW_IN_PROGRESS): this deploy creates them. */
  readonly firstCreate: readonly string[];
  /** Change-safety finding ids the user accepts (`berth deploy --allow-change <id...>`). */
  readonly allowChange: readonly string[];
}) => Promise<void>;

/** Everything a command touches outside its own logic; main wires the real ones, tests inject fakes. */
export interface CommandContext {
  /** `berth.config.ts`, loaded once for the command (`--config`, or the nearest above the working directory). */
  readonly config: LoadedConfig;
  readonly clients: ClientFactory;
  readonly deployer: (environments: EnvName[]) => Promise<StackDeployer>;
  /** Runs git and docker (image build, registry login). */
  readonly run: RunCommand;
  readonly progress: Progress;
  readonly clock: Clock;
  readonly fetch: Fetch;
  readonly stdout: Writer;
  readonly repoRoot: string;
  /** Processes that take over the terminal (`berth exec`'s session-manager-plugin). @default systemTerminal */
  readonly terminal?: Terminal;
  /**
   * Synthesizes an environment's stacks offline (plus Global), for the default --timeout estimate and
   * the change check; the real one runs the CDK app in-process once per environment and command.
   */
  readonly synthesize: (env: string) => Promise<readonly StackTemplate[]>;
  /** Extra deploy checks: `berth plan`'s change safety in the real CLI (defaultContext); none in tests. */
  readonly preflight?: DeployPreflight;
}

export { REPO_ROOT } from './repo-root.js';

/**
 * Settles with the work, or with `timedOut` when the deadline passes first. The timer is cancelled
 * either way, so a finished command leaves nothing keeping Node alive. The work itself is not
 * stopped: callers must cancel or explain what still runs (CloudFormation carries on without us).
 */
export async function raceDeadline<T>(
  clock: Clock,
  work: Promise<T>,
  deadline: number,
): Promise<{ timedOut: false; value: T } | { timedOut: true }> {
  const stop = new AbortController();
  const timeout = clock
    .sleep(Math.max(0, deadline - clock.now()), stop.signal)
    .then(() => ({ timedOut: true as const }));
  try {
    return await Promise.race([work.then((value) => ({ timedOut: false as const, value })), timeout]);
  } finally {
    stop.abort();
  }
}
