import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import type { AwsModel, ModelDocker } from './scenarios/aws-model.js';
import { TWO_IMAGES } from './scenarios/configs.js';
import { modelWorld } from './scenarios/model-context.js';
import { runBerth } from './scenarios/run-berth.js';

// Services with images of their own (#13 item 2): the real commands, through `main`, against the AWS model
// holding app `depot` (cli/test/scenarios/configs/two-images.berth.config.ts): `api` and the worker `jobs` share
// one build, `admin` builds the Dockerfile's `admin` stage, `docs` runs a prebuilt public image. Expected values
// are literals.

const REGION = 'eu-west-1';
const SHA_A = '5a1e0c7d9b24';
const SHA_B = 'b7f3e92c0d18';
const REGISTRY = '135792468024.dkr.ecr.eu-west-1.amazonaws.com';
const REPOSITORY = `${REGISTRY}/depot/api`;
const DOCS_IMAGE = 'public.ecr.aws/nginx/nginx:1.27';
const TEST_RECORD = '/depot/test/image-digest';
const PROD_RECORD = '/depot/prod/image-digest';

/** The account holding depot, with release tasks in its Service stacks, and `berth <args>` run in it. */
function world() {
  const w = modelWorld({ config: TWO_IMAGES });
  w.deployer.withReleaseTask = true;
  return { ...w, berth: (...args: string[]) => runBerth(w.ctx, ...args) };
}

/** What each service of `env` runs: its container's image as the task definition names it. */
function running(model: AwsModel, env: 'test' | 'prod') {
  return Object.fromEntries(
    model.servicesOf(env).map((s) => [s.configName, model.taskDefinitions.get(s.taskDefinition)!.image]),
  );
}

/** The docker buildx builds run so far, each reduced to what tells the images apart. */
function builds(docker: ModelDocker) {
  return docker.commands
    .filter((c) => c.startsWith('docker buildx build'))
    .map((c) => {
      const args = c.split(' ');
      const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
      return {
        tag: value('--tag'),
        file: value('--file'),
        target: value('--target'),
        arg: value('--build-arg'),
        context: args.at(-1),
      };
    });
}

describe('two images: deploy, re-deploy, promote by digest, roll back', () => {
  it('builds each image once, runs each service its own, promotes the same digests and rolls both back', async () => {
    const w = world();

    // WHEN commit A is deployed to a fresh test
    w.docker.sha = SHA_A;
    const first = await w.berth('deploy', 'test', '--timeout', '30m');

    // THEN two images were built from the one Dockerfile, the primary tagged with the bare sha, the other
    // with its name, each with its own target and arguments; the prebuilt one was not built
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(builds(w.docker), [
      {
        tag: `${REPOSITORY}:${SHA_A}`,
        file: 'api/Dockerfile',
        target: undefined,
        arg: undefined,
        context: 'api',
      },
      {
        tag: `${REPOSITORY}:admin-${SHA_A}`,
        file: 'api/Dockerfile',
        target: 'admin',
        arg: 'THEME=dark',
        context: 'api',
      },
    ]);
    const apiA = w.model.images.get(SHA_A)!;
    const adminA = w.model.images.get(`admin-${SHA_A}`)!;
    assert.notEqual(apiA, adminA);
    // AND each service runs its own image: api and jobs one build's, admin the other's, docs as written
    assert.deepEqual(running(w.model, 'test'), {
      api: `${REPOSITORY}@${apiA}`,
      admin: `${REPOSITORY}@${adminA}`,
      docs: DOCS_IMAGE,
      jobs: `${REPOSITORY}@${apiA}`,
    });
    // AND the release names both digests, in the record and in the template's context
    const releaseA = `admin=${adminA},api=${apiA}`;
    assert.deepEqual(w.model.parameterValues(REGION, TEST_RECORD), [releaseA]);
    assert.equal(w.deployer.deployed.at(-1)?.image, releaseA);

    // WHEN the same commit is deployed again (a re-run)
    const again = await w.berth('deploy', 'test', '--timeout', '30m');

    // THEN nothing is rebuilt (the tags exist and are immutable) and the services keep their images
    assert.equal(again.code, 0, again.stderr);
    assert.equal(w.docker.builds, 2);
    assert.ok(
      w.progress.lines.includes(`${REPOSITORY}:admin-${SHA_A} already exists as ${adminA}: not rebuilding`),
    );
    assert.deepEqual(w.model.parameterValues(REGION, TEST_RECORD), [releaseA, releaseA]);

    // WHEN CI's build job runs for commit B, then deploys what it printed to test
    w.docker.sha = SHA_B;
    const image = await w.berth('image', 'test', '--json');
    assert.equal(image.code, 0, image.stderr);
    const apiB = w.model.images.get(SHA_B)!;
    const adminB = w.model.images.get(`admin-${SHA_B}`)!;
    const releaseB = `admin=${adminB},api=${apiB}`;
    assert.deepEqual(JSON.parse(image.stdout), { digest: releaseB, images: { api: apiB, admin: adminB } });
    const toTest = await w.berth('deploy', 'test', '--image-digest', releaseB, '--timeout', '30m');

    // THEN test runs B's images, and the release command ran api's new image first
    assert.equal(toTest.code, 0, toTest.stderr);
    assert.equal(w.docker.builds, 4, 'B built once, by the build job');
    assert.deepEqual(running(w.model, 'test'), {
      api: `${REPOSITORY}@${apiB}`,
      admin: `${REPOSITORY}@${adminB}`,
      docs: DOCS_IMAGE,
      jobs: `${REPOSITORY}@${apiB}`,
    });
    const releaseTask = w.model.taskDefinitions.get(w.model.runTasks.at(-1)!.taskDefinition)!;
    assert.equal(releaseTask.image, `${REPOSITORY}@${apiB}`);

    // WHEN the same release is promoted to prod by digest
    const promoted = await w.berth('deploy', 'prod', '--image-digest', releaseB, '--timeout', '55m');

    // THEN prod runs exactly test's images, nothing was built, and prod records the same release
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(w.docker.builds, 4);
    assert.deepEqual(running(w.model, 'prod'), running(w.model, 'test'));
    assert.deepEqual(w.model.parameterValues(REGION, PROD_RECORD), [releaseB]);

    // WHEN test is rolled back
    const rollback = await w.berth('rollback', 'test', '--timeout', '30m');

    // THEN both built images go back to A's together, docs keeps its image, and the rollback is recorded
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.deepEqual(running(w.model, 'test'), {
      api: `${REPOSITORY}@${apiA}`,
      admin: `${REPOSITORY}@${adminA}`,
      docs: DOCS_IMAGE,
      jobs: `${REPOSITORY}@${apiA}`,
    });
    assert.deepEqual(w.model.parameterValues(REGION, TEST_RECORD), [releaseA, releaseA, releaseB, releaseA]);
  });

  it('--image-tag finds each image by its tag; an incomplete --image-digest is one line and touches nothing', async () => {
    const w = world();
    w.docker.sha = SHA_A;
    assert.equal((await w.berth('image', 'test')).code, 0);
    const apiA = w.model.images.get(SHA_A)!;
    const adminA = w.model.images.get(`admin-${SHA_A}`)!;

    // WHEN prod is deployed with only api's digest
    const partial = await w.berth('deploy', 'prod', '--image-digest', `api=${apiA}`);

    // THEN one line says which image is missing and what to pass; no stack was deployed
    assert.equal(partial.code, 1);
    assert.equal(
      partial.stderr,
      `berth: --image-digest "api=${apiA}": no image for admin: expected admin=sha256:…,api=sha256:… (a digest or tag for each image the app builds)\n`,
    );
    assert.deepEqual(w.deployer.deployed, []);

    // WHEN prod is deployed by the commit's tag
    const tagged = await w.berth('deploy', 'prod', '--image-tag', SHA_A, '--timeout', '55m');

    // THEN each image was found by its own tag, nothing was built, and prod runs them
    assert.equal(tagged.code, 0, tagged.stderr);
    assert.equal(w.docker.builds, 2);
    assert.deepEqual(running(w.model, 'prod'), {
      api: `${REPOSITORY}@${apiA}`,
      admin: `${REPOSITORY}@${adminA}`,
      docs: DOCS_IMAGE,
      jobs: `${REPOSITORY}@${apiA}`,
    });
    assert.deepEqual(w.model.parameterValues(REGION, PROD_RECORD), [`admin=${adminA},api=${apiA}`]);
  });

  it('a rollback to a release from before the second image is refused in one line, and nothing is deployed', async () => {
    const w = world();
    // GIVEN test's history starts with a release of one image (recorded before admin had a build of its own)
    const old = `sha256:${'0e'.repeat(32)}`;
    await w.model.clientsFor(REGION).ssm.send(
      new PutParameterCommand({
        Name: TEST_RECORD,
        Value: old,
        Type: 'String',
        Description: 'Image digest deployed to test by berth deploy',
      }),
    );
    w.docker.sha = SHA_A;
    assert.equal((await w.berth('deploy', 'test', '--timeout', '30m')).code, 0);
    const deploys = w.deployer.deployed.length;

    // WHEN test is rolled back to the release before
    const rollback = await w.berth('rollback', 'test', '--timeout', '30m');

    // THEN one line says why and which images a release needs; no stack was deployed
    assert.equal(rollback.code, 1);
    assert.equal(
      rollback.stderr,
      `berth: the release to roll back to (${TEST_RECORD}) "${old}": "${old}" names no image: expected admin=sha256:…,api=sha256:… (a digest or tag for each image the app builds)\n`,
    );
    assert.equal(w.deployer.deployed.length, deploys);
  });
});
