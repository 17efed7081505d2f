/**
 * Failure messages of `berth deploy` and `berth rollback` the other flow suites do not reach, in-process over
 * the AWS model: a deploy that fails in more than one service names them all, and a rollback with neither a
 * recognisable running image nor any recorded release says so and what to pass. Expected texts are literals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deployEnvironment } from '../src/deploy/deploy-flow.js';
import { rollbackEnvironment } from '../src/deploy/rollback-flow.js';
import { ONE_WEB_SERVICE, TWO_SERVICES } from './scenarios/configs.js';
import { modelWorld } from './scenarios/model-context.js';
import { caught } from './support/caught.js';

const TEN_MINUTES = 10 * 60_000;

describe('failure messages', () => {
  it('a deploy whose every service crashes names both services, in the config order', async () => {
    // GIVEN shop's test (web service api, worker jobs) runs A, and commit B's image exits at start in both
    const w = modelWorld({ config: TWO_SERVICES });
    w.docker.sha = '3f9c2ab41d07';
    await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES });
    w.docker.sha = '8e1d44c0a9b2';
    w.docker.behaviour = 'crashes';

    const error = await caught(
      deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES }),
    );

    assert.match(
      error.message,
      /^deploy of test in eu-west-1 failed in services api, jobs: The stack named Shop-Test-eu-west-1-Service failed to deploy: /,
    );
    assert.match(error.message, /\. CloudFormation rolls a failed stack back to its previous state\.$/);
  });

  it('a deploy whose smoke test fails says the image runs unrecorded and how to go back, and records nothing', async () => {
    // GIVEN test runs A, and commit B's API answers 503 (ECS itself is healthy)
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.docker.sha = '3f9c2ab41d07';
    const a = (await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES }))
      .digest;
    w.docker.sha = '8e1d44c0a9b2';
    w.docker.behaviour = 'breaks-api';

    const error = await caught(
      deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES }),
    );

    const b = w.model.images.get('8e1d44c0a9b2')!;
    assert.match(
      error.message,
      new RegExp(
        `^smoke test of web: GET http://[^ ]+/readyz returned 503, expected 200; ${b} is running in test but was not recorded: ` +
          'run `berth rollback test` to go back to the last recorded image$',
      ),
    );
    assert.deepEqual(
      w.model.parameters.get('eu-west-1|/berth/test/image-digest')?.map((p) => p.Value),
      [a],
    );
  });

  it('a rollback with no recognisable running image and nothing recorded says what to pass', async () => {
    // GIVEN test was deployed once, then its service was pointed at a tag and the record was deleted
    const w = modelWorld({ config: ONE_WEB_SERVICE });
    w.docker.sha = '3f9c2ab41d07';
    await deployEnvironment(w.ctx, { env: 'test', skipBuild: false, timeoutMs: TEN_MINUTES });
    const service = w.model.service('test')!;
    w.model.taskDefinitions.set(service.taskDefinition, { image: `${w.model.repositoryUri()}:latest` });
    w.model.parameters.delete('eu-west-1|/berth/test/image-digest');

    const error = await caught(rollbackEnvironment(w.ctx, { env: 'test', timeoutMs: TEN_MINUTES }));

    assert.equal(
      error.message,
      'no release before the running image recorded for test in /berth/test/image-digest: ' +
        'pass --to <sha256:…> to choose one',
    );
  });
});
