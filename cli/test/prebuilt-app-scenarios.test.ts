/**
 * An app whose every service runs a prebuilt image (#13, "give me an image"): the real commands, through `main`,
 * against the AWS model holding app `kiosk` (cli/test/scenarios/configs/prebuilt-only.berth.config.ts): web `site`
 * from public.ecr.aws pinned by digest, worker `relay` from a ghcr.io tag with a release command. Nothing is built
 * or pushed, there is no repository, the record holds the references as deployed, and rollback goes through the
 * config. Expected values are literals.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type LoadedConfig, resolveConfig } from '@berth/infra';
import type { CommandContext } from '../src/context.js';
import { main } from '../src/main.js';
import { RecordingProgress } from '../src/ui/progress.js';
import { FakeClock } from './fixtures/aws.js';
import { AwsModel, ModelDeployer, ModelDocker } from './scenarios/aws-model.js';
import kiosk from './scenarios/configs/prebuilt-only.berth.config.js';
import { PREBUILT_ONLY } from './scenarios/configs.js';
import { modelContextParts } from './scenarios/model-context.js';

const REGION = 'eu-west-1';
const SITE = `public.ecr.aws/nginx/nginx:1.27@sha256:${'5e'.repeat(32)}`;
const SITE_NEXT = `public.ecr.aws/nginx/nginx:1.28@sha256:${'6f'.repeat(32)}`;
const RELAY = 'ghcr.io/kiosk-team/relay:2.4';
const TEST_RECORD = '/kiosk/test/image-digest';
const TEST_STACKS = ['Network', 'Data', 'Service', 'Monitoring'].map((c) => `Kiosk-Test-eu-west-1-${c}`);

/** The kiosk with site's reference changed, as the user would edit berth.config.ts. */
function withSiteImage(image: string): LoadedConfig {
  const edited = { ...kiosk, services: { ...kiosk.services, site: { ...kiosk.services.site, image } } };
  return { ...resolveConfig(edited), file: PREBUILT_ONLY.file, projectRoot: PREBUILT_ONLY.projectRoot };
}

function world() {
  const clock = new FakeClock();
  const model = new AwsModel(clock, PREBUILT_ONLY);
  model.bootstrap(REGION, 'test');
  model.bootstrap(REGION, 'prod');
  model.createGlobal();
  const deployer = new ModelDeployer(model);
  deployer.withReleaseTask = true;
  const docker = new ModelDocker(model);
  const progress = new RecordingProgress();
  const repoRoot = mkdtempSync(join(tmpdir(), 'berth-prebuilt-scenario-'));

  async function berth(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const ctx: CommandContext = {
      ...modelContextParts(model, deployer, docker, clock),
      progress,
      stdout: { write: (s: string) => out.push(s) },
      repoRoot,
      synthesize: async () => [],
    };
    const code = await main(['node', 'berth', ...args], () => ctx, { write: (s: string) => err.push(s) });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  return { model, deployer, docker, progress, berth };
}

/** What each service of test runs: its container's image as the task definition names it. */
function running(model: AwsModel) {
  return Object.fromEntries(
    model.servicesOf('test').map((s) => [s.configName, model.taskDefinitions.get(s.taskDefinition)!.image]),
  );
}

describe('an app of prebuilt images: deploy, re-deploy, change the reference, status, rollback, destroy', () => {
  it('runs the references as written, records them, and builds, pushes and promotes nothing', async () => {
    const w = world();
    const release = `relay=${RELAY},site=${SITE}`;

    // WHEN test is deployed for the first time
    const first = await w.berth('deploy', 'test', '--timeout', '30m');

    // THEN nothing was built, pushed or looked up in a registry, and it said so
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(w.docker.commands, []);
    assert.deepEqual(
      w.model.calls.filter((c) => c.startsWith('ECR.')),
      [],
    );
    assert.ok(
      w.progress.lines.includes(
        'nothing to build: every service runs a prebuilt image, deployed as berth.config.ts names it',
      ),
      w.progress.lines.join('\n'),
    );
    // AND each service runs its reference, the release command ran relay's, and the template got no image context
    assert.deepEqual(running(w.model), { site: SITE, relay: RELAY });
    assert.equal(w.model.runTasks.length, 0, 'a first create has no release task to run yet');
    assert.deepEqual(
      w.deployer.deployed.map((d) => [d.stacks, d.image]),
      [[TEST_STACKS, undefined]],
    );
    // AND the release recorded is the references as deployed, and the URL is printed
    assert.deepEqual(w.model.parameterValues(REGION, TEST_RECORD), [release]);
    assert.match(first.stdout, /^http:\/\/berth-test-\d+\.eu-west-1\.elb\.amazonaws\.com\n$/);

    // WHEN the same config is deployed again
    const taskDefinitions = w.model.servicesOf('test').map((s) => s.taskDefinition);
    const again = await w.berth('deploy', 'test', '--timeout', '30m');

    // THEN no task definition changed, the release command ran the prebuilt reference first, and the same
    // release is recorded again
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      w.model.servicesOf('test').map((s) => s.taskDefinition),
      taskDefinitions,
    );
    assert.equal(w.model.runTasks.length, 1);
    assert.equal(w.model.taskDefinitions.get(w.model.runTasks[0]!.taskDefinition)!.image, RELAY);
    assert.deepEqual(w.model.parameterValues(REGION, TEST_RECORD), [release, release]);

    // WHEN the user changes site's reference in berth.config.ts and deploys
    w.model.editConfig(withSiteImage(SITE_NEXT));
    const changed = await w.berth('deploy', 'test', '--timeout', '30m');

    // THEN site runs the new reference, relay keeps its own, and the new release is recorded
    assert.equal(changed.code, 0, changed.stderr);
    assert.deepEqual(running(w.model), { site: SITE_NEXT, relay: RELAY });
    const next = `relay=${RELAY},site=${SITE_NEXT}`;
    assert.deepEqual(w.model.parameterValues(REGION, TEST_RECORD), [release, release, next]);
    assert.deepEqual(w.docker.commands, []);

    // WHEN the status is asked for
    const status = await w.berth('status', 'test');

    // THEN it shows the references that run
    assert.equal(status.code, 0, status.stderr);
    assert.ok(status.stdout.includes(`  image:    ${next}\n`), status.stdout);

    // WHEN test is rolled back
    const deploys = w.deployer.deployed.length;
    const calls = w.model.calls.length;
    const rollback = await w.berth('rollback', 'test');

    // THEN one line says how a prebuilt app rolls back; nothing was deployed or called
    assert.equal(rollback.code, 1);
    assert.equal(
      rollback.stderr,
      'berth: every service runs a prebuilt image, so there is no built release to roll back to: put the reference that worked back in berth.config.ts (services.site.image) and run `berth deploy test`\n',
    );
    assert.equal(w.deployer.deployed.length, deploys);
    assert.equal(w.model.calls.length, calls);

    // WHEN test is destroyed
    const destroyed = await w.berth('destroy', 'test');

    // THEN its stacks and services are gone; the Global stack (no registry in it) stays
    assert.equal(destroyed.code, 0, destroyed.stderr);
    for (const stack of TEST_STACKS) assert.equal(w.model.stackStatus(stack), undefined, stack);
    assert.deepEqual(w.model.servicesOf('test'), []);
    assert.equal(w.model.stackStatus('Kiosk-Global'), 'CREATE_COMPLETE');
  });

  it('berth image builds nothing and says so; the image flags are refused in one line and deploy nothing', async () => {
    const w = world();

    // WHEN CI's build step runs
    const image = await w.berth('image', 'test', '--json');

    // THEN it builds nothing, calls nothing, prints no release, and says why
    assert.equal(image.code, 0, image.stderr);
    assert.deepEqual(JSON.parse(image.stdout), { digest: null, images: {} });
    assert.deepEqual(w.docker.commands, []);
    assert.deepEqual(w.model.calls, []);
    assert.deepEqual(w.progress.lines, [
      'nothing to build: every service runs a prebuilt image, deployed as berth.config.ts names it',
    ]);
    const plain = await w.berth('image', 'test');
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, '');

    // WHEN a deploy names an image to promote, by digest or by tag
    const digest = await w.berth('deploy', 'prod', '--image-digest', `sha256:${'7a'.repeat(32)}`);
    const tag = await w.berth('deploy', 'test', '--image-tag', '3f9c2ab41d07');

    // THEN each is one line saying there is nothing to promote and what to run; nothing was deployed
    assert.equal(digest.code, 1);
    assert.equal(
      digest.stderr,
      'berth: --image-digest: every service runs a prebuilt image, so there is no built image to promote: drop --image-digest; `berth deploy prod` runs the references berth.config.ts names\n',
    );
    assert.equal(tag.code, 1);
    assert.equal(
      tag.stderr,
      'berth: --image-tag: every service runs a prebuilt image, so there is no built image to promote: drop --image-tag; `berth deploy test` runs the references berth.config.ts names\n',
    );
    assert.deepEqual(w.deployer.deployed, []);
    assert.deepEqual(w.model.calls, []);
  });

  it('a changed reference that fails the smoke test is not recorded, and the way back is through the config', async () => {
    const w = world();
    assert.equal((await w.berth('deploy', 'test', '--timeout', '30m')).code, 0);
    // GIVEN the next reference serves errors to users (its tasks pass ECS's health checks)
    w.model.behaviours.set(`sha256:${'6f'.repeat(32)}`, 'breaks-api');

    // WHEN site's reference is changed to it and deployed
    w.model.editConfig(withSiteImage(SITE_NEXT));
    const broken = await w.berth('deploy', 'test', '--timeout', '30m');

    // THEN the deploy fails saying how to go back (no rollback command for it), and the record keeps the last good
    assert.equal(broken.code, 1);
    const tail = `; relay=${RELAY},site=${SITE_NEXT} is running in test but was not recorded: put the previous image references back in berth.config.ts and run \`berth deploy test\`\n`;
    assert.ok(broken.stderr.startsWith('berth: '), broken.stderr);
    assert.ok(broken.stderr.endsWith(tail), broken.stderr);
    assert.deepEqual(w.model.parameterValues(REGION, TEST_RECORD), [`relay=${RELAY},site=${SITE}`]);
  });

  it('an infrastructure-only deploy (--skip-build) runs the config references, with no record needed first', async () => {
    const w = world();

    // WHEN test, never deployed, is deployed with --skip-build (no digest recorded to keep)
    const result = await w.berth('deploy', 'test', '--skip-build', '--timeout', '30m');

    // THEN it deploys the references the config names
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(running(w.model), { site: SITE, relay: RELAY });
    assert.deepEqual(w.model.parameterValues(REGION, TEST_RECORD), [`relay=${RELAY},site=${SITE}`]);
  });
});
