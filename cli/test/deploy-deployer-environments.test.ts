/**
 * Which environments each command asks its stack deployer for. The real deployer synthesizes the CDK app for
 * exactly those environments (context.ts), so a deployer made for no environment, or for another one, would
 * find no stack of the command's environment. The fake deployers of the other suites ignore the list; here
 * every request is recorded, in-process over the AWS model.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnvName } from '@berth/infra';
import { deployEnvironment } from '../src/deploy/deploy-flow.js';
import { destroyEnvironment } from '../src/deploy/destroy-flow.js';
import { rollbackEnvironment } from '../src/deploy/rollback-flow.js';
import { ONE_WEB_SERVICE } from './scenarios/configs.js';
import { modelWorld } from './scenarios/model-context.js';

const TEN_MINUTES = 10 * 60_000;

/** The model's world, with every deployer request recorded. */
function recordingWorld(globalDeployed = true) {
  const w = modelWorld({ config: ONE_WEB_SERVICE, globalDeployed });
  const requested: EnvName[][] = [];
  const made = w.ctx.deployer;
  w.ctx = {
    ...w.ctx,
    deployer: (environments) => {
      requested.push([...environments]);
      return made(environments);
    },
  };
  return { w, requested };
}

describe('the deployer each command asks for', () => {
  it('deploy test: one for test', async () => {
    const { w, requested } = recordingWorld();
    w.docker.sha = '3f9c2ab41d07';

    await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES });

    assert.deepStrictEqual(requested, [['test']]);
  });

  it('deploy prod: one for prod to deploy Berth-Global, one for prod for its region', async () => {
    const { w, requested } = recordingWorld(false);
    w.docker.sha = '8e1d44c0a9b2';

    await deployEnvironment(w.ctx, { env: 'prod', skipBuild: false, timeoutMs: TEN_MINUTES });

    assert.deepStrictEqual(requested, [['prod'], ['prod']]);
  });

  it('rollback test: one for test', async () => {
    const { w, requested } = recordingWorld();
    for (const sha of ['3f9c2ab41d07', '8e1d44c0a9b2']) {
      w.docker.sha = sha;
      await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES });
    }
    requested.length = 0;

    await rollbackEnvironment(w.ctx, { env: 'test', timeoutMs: TEN_MINUTES });

    assert.deepStrictEqual(requested, [['test']]);
  });

  it('destroy test: one for test', async () => {
    const { w, requested } = recordingWorld();

    await destroyEnvironment(w.ctx, { env: 'test', yesDestroyProd: false, timeoutMs: TEN_MINUTES });

    assert.deepStrictEqual(requested, [['test']]);
  });
});
