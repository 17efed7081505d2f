/**
 * `berth deploy prod` for an app whose account-wide stack lives in a region prod also deploys to, among others
 * (app `harbor`: Berth-Global in eu-west-2, prod in eu-west-1 and eu-west-2), in-process against the AWS model:
 * prod deploys Harbor-Global through its bootstrap in the Global stack's region even when `--region` picks
 * another one, and its default --timeout counts Harbor-Global once, in the first region. The config is written
 * here (no other test needs it); expected values are literals.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '@berth/infra';
import { deployEnvironment } from '../src/deploy/deploy-flow.js';
import { CliError } from '../src/errors.js';
import { modelWorld } from './scenarios/model-context.js';

const HARBOR_CONFIG = `export default {
  app: 'harbor',
  github: { repository: 'harbor-team/harbor' },
  global: { account: '975310864200', region: 'eu-west-2' },
  services: { web: { type: 'web', port: 8080, healthCheck: { path: '/readyz' } } },
  environments: {
    test: { account: '975310864200', regions: ['eu-west-1'] },
    prod: {
      account: '975310864200',
      regions: ['eu-west-1', 'eu-west-2'],
      alarms: { waiveSubscriber: 'a test fixture: nobody is paged' },
    },
  },
};
`;

async function harbor() {
  const dir = mkdtempSync(join(tmpdir(), 'berth-harbor-'));
  writeFileSync(join(dir, 'berth.config.ts'), HARBOR_CONFIG);
  return loadConfig({ cwd: dir });
}

async function caught(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof CliError, `expected a CliError, got ${String(error)}`);
  return error;
}

describe('berth deploy prod: the Global stack in a region of its own', () => {
  it("--region eu-west-1 still checks prod's bootstrap in eu-west-2, where Harbor-Global deploys, before any change", async () => {
    // GIVEN prod bootstrapped in eu-west-1 only (the model's world bootstraps eu-west-1)
    const w = modelWorld({ config: await harbor() });

    const error = await caught(
      deployEnvironment(w.ctx, { env: 'prod', region: 'eu-west-1', skipBuild: false, timeoutMs: 600_000 }),
    );

    assert.match(error.message, /^CDK is not bootstrapped for prod in aws:\/\/975310864200\/eu-west-2 /);
    assert.deepEqual(w.deployer.deployed, []);
  });

  it("counts Harbor-Global's time once, in the first region (30 + 5 min, not 30 + 25)", async () => {
    // GIVEN prod bootstrapped in both regions, and Harbor-Global's template with a slow resource
    const w = modelWorld({ config: await harbor() });
    w.model.bootstrap('eu-west-2', 'prod');
    w.deployer.app.set('Harbor-Global', {
      Resources: { Slow: { Type: 'AWS::RDS::DBInstance', Properties: { MultiAZ: false } } },
    });
    w.deployer.hangOn = 'Harbor-Global';

    const error = await caught(deployEnvironment(w.ctx, { env: 'prod', skipBuild: false }));

    // THEN by hand (prod's stacks are first creates): eu-west-1 with Harbor-Global, 2 synths × 20 s + 5 change
    // sets × 45 s + RDS 12 min = 16.42 → 17 min; × 1.5 → 30 min. eu-west-2 (the model synthesizes no stack
    // there): 2 synths × 20 s → 1 min; × 1.5 → 5 min. Harbor-Global counted again there: + 45 s + 12 min → 25.
    assert.match(error.message, /^Harbor-Global did not finish within the --timeout \(35m00s\)/);
  });
});
