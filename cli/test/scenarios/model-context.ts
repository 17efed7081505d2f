import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPONENTS, type EnvName, type LoadedConfig } from '@berth/infra';
import type { CommandContext } from '../../src/context.js';
import { RecordingProgress } from '../../src/ui/progress.js';
import { FakeClock } from '../fixtures/aws.js';
import { CART } from '../fixtures/cart-config.js';
import { AwsModel, ModelDeployer, ModelDocker } from './aws-model.js';

export const MODEL_REGION = 'eu-west-1';

/** What a CommandContext takes from the AWS model: the model's config, its AWS, deployer, docker and clock. */
export function modelContextParts(
  model: AwsModel,
  deployer: ModelDeployer,
  docker: ModelDocker,
  clock: FakeClock,
): Pick<CommandContext, 'config' | 'clients' | 'deployer' | 'run' | 'clock' | 'fetch'> {
  return {
    config: model.config,
    clients: (region) => model.clientsFor(region),
    deployer: async () => deployer,
    run: docker.run,
    clock,
    fetch: model.fetch,
  };
}

/**
 * One account as the AWS model holds it (both environments bootstrapped, the Global stack deployed), and a
 * CommandContext over it, for calling the deploy, rollback and destroy flows in-process (where the
 * mutation run can see which code they reach). `synthesize` answers with the deployer's app templates.
 */
export function modelWorld({
  bootstrapped = true,
  globalDeployed = true,
  config = CART,
}: {
  /** Both environments bootstrapped (`cdk bootstrap` ran in the account). */
  bootstrapped?: boolean;
  /** Berth-Global exists (prod's deploy or an administrator created it). */
  globalDeployed?: boolean;
  /** The app the account holds: the cart's unless a scenario brings its own (./configs.ts). */
  config?: LoadedConfig;
} = {}) {
  const clock = new FakeClock();
  const model = new AwsModel(clock, config);
  if (bootstrapped) {
    model.bootstrap(MODEL_REGION, 'test');
    model.bootstrap(MODEL_REGION, 'prod');
  }
  if (globalDeployed) model.createGlobal();
  const deployer = new ModelDeployer(model);
  const docker = new ModelDocker(model);
  const progress = new RecordingProgress();
  const repoRoot = mkdtempSync(join(tmpdir(), 'berth-flow-'));
  const synthesized: string[] = [];
  const ctx: CommandContext = {
    ...modelContextParts(model, deployer, docker, clock),
    progress,
    stdout: { write: () => true },
    repoRoot,
    synthesize: async (env: string) => {
      synthesized.push(env);
      const names = [
        config.names.globalStackName,
        ...COMPONENTS.map((c) => config.names.stackName(env as EnvName, MODEL_REGION, c)),
      ];
      return names.map((name) => ({
        stackName: name,
        region: MODEL_REGION,
        template: deployer.templateOf(name),
      }));
    },
  };
  return { clock, model, deployer, docker, progress, repoRoot, synthesized, ctx };
}

/** `expected` appear in `lines` in this order (other lines may come between them). */
export function inOrder(lines: readonly string[], expected: readonly string[]): boolean {
  let at = 0;
  for (const line of lines) if (line === expected[at]) at += 1;
  return at === expected.length;
}
