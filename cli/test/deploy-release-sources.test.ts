/**
 * `berth deploy`'s image part (cli/src/deploy/deploy-flow.ts, up to the region loop), in-process against the AWS
 * model so the mutation run sees it: what it says while looking for each of several images, where it says an
 * unusable recorded release came from, the result of an app without a URL, and which stacks its default
 * --timeout counts. Expected values are literals (app `depot`: TWO_IMAGES; app `feeds`: WORKERS_ONLY; app
 * `berth`: ONE_WEB_SERVICE).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { deployEnvironment } from '../src/deploy/deploy-flow.js';
import { CliError } from '../src/errors.js';
import { ONE_WEB_SERVICE, TWO_IMAGES, WORKERS_ONLY } from './scenarios/configs.js';
import { MODEL_REGION, modelWorld } from './scenarios/model-context.js';

const TEN_MINUTES = 10 * 60_000;
const DEPOT_REPOSITORY = '135792468024.dkr.ecr.eu-west-1.amazonaws.com/depot/api';

async function caught(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof CliError, `expected a CliError, got ${String(error)}`);
  return error;
}

describe('berth deploy: the images it ships', () => {
  it('names each image and the services that run it while looking for it, when the app builds several', async () => {
    const w = modelWorld({ config: TWO_IMAGES });
    w.deployer.withReleaseTask = true;
    w.docker.sha = '5a1e0c7d9b24';

    await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES });

    const looking = w.progress.lines.filter((line) => line.startsWith('looking for'));
    assert.deepEqual(looking, [
      `looking for this commit's api image (api, jobs) in ${DEPOT_REPOSITORY}`,
      `looking for this commit's admin image (admin) in ${DEPOT_REPOSITORY}`,
    ]);
  });

  it('an infrastructure-only deploy names the record when the recorded release does not fit the app', async () => {
    // GIVEN test's record holds one digest, as written before the app built a second image
    const w = modelWorld({ config: TWO_IMAGES });
    const old = `sha256:${'4c'.repeat(32)}`;
    await w.model.clientsFor(MODEL_REGION).ssm.send(
      new PutParameterCommand({
        Name: '/depot/test/image-digest',
        Value: old,
        Type: 'String',
        Overwrite: true,
        Description: 'Image digest deployed to test by berth deploy',
      }),
    );

    // WHEN an infrastructure-only deploy would keep it
    const error = await caught(
      deployEnvironment(w.ctx, { env: 'test', skipBuild: true, timeoutMs: TEN_MINUTES }),
    );

    // THEN the one line says which record and what it holds; nothing is deployed
    assert.ok(
      error.message.startsWith(`the release recorded at /depot/test/image-digest "${old}": `),
      error.message,
    );
    assert.deepEqual(w.deployer.deployed, []);
  });

  it('an app of workers only deploys to a region with no url at all (not an undefined one)', async () => {
    const w = modelWorld({ config: WORKERS_ONLY });
    w.docker.sha = '0d8e4a61c5b3';

    const result = await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES });

    assert.deepStrictEqual(result.regions, [{ region: 'eu-west-1' }]);
  });
});

describe("berth deploy test: the default --timeout counts test's stacks only", () => {
  it('leaves Berth-Global out of the estimate: test only reads it (10 min, not 30)', async () => {
    // GIVEN Berth-Global's template holds a slow resource that would weigh on the estimate if it were counted
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.deployer.app.set('Berth-Global', {
      Resources: { Slow: { Type: 'AWS::RDS::DBInstance', Properties: { MultiAZ: false } } },
    });
    w.deployer.hangOn = 'Berth-Test-eu-west-1-Network';

    const error = await caught(deployEnvironment(w.ctx, { env: 'test', skipBuild: false }));

    // THEN by hand, test's four (empty) stacks created: 2 synths × 20 s + 4 change sets × 45 s = 3.67 → 4 min;
    // × 1.5 = 6 → 10 min. With Berth-Global: + 45 s + RDS 12 min = 16.42 → 17 min; × 1.5 → 30 min.
    assert.match(error.message, /did not finish within the --timeout \(10m00s\)/);
    assert.ok(
      w.progress.lines.includes("--timeout 10m00s (berth plan's estimate; pass --timeout to change it)"),
      w.progress.lines.join('\n'),
    );
  });
});
