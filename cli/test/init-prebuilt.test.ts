/**
 * `berth init --image <reference>` (#13, "give me an image"): a repository with no Dockerfile gets a config whose
 * web service runs the prebuilt reference, and a deliver workflow with no build job that deploys what the config
 * names (no `berth image`, no digest to promote). Expected values are literals.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { CliError } from '../src/errors.js';
import { init, NO_GIT, read, repository } from './init-fixtures.js';

const IMAGE = `ghcr.io/acme/board:3.1@sha256:${'9c'.repeat(32)}`;
const NO_DOCKERFILE = { 'README.md': '# board\nRuns ghcr.io/acme/board.\n' };

interface Job {
  needs?: string | string[];
  steps?: { uses?: string; run?: string; name?: string }[];
}

/** Makes `import … from '@berth/cli'` in the written config resolve to this checkout's infra sources. */
function standInBerth(root: string): void {
  const stand = path.join(root, 'node_modules', '@berth', 'cli');
  mkdirSync(stand, { recursive: true });
  writeFileSync(
    path.join(stand, 'package.json'),
    JSON.stringify({ name: '@berth/cli', type: 'module', exports: './index.ts' }),
  );
  const infra = fileURLToPath(new URL('../../infra/lib/index.ts', import.meta.url));
  writeFileSync(
    path.join(stand, 'index.ts'),
    `export { defineConfig } from ${JSON.stringify(pathToFileURL(infra).href)};\n`,
  );
}

describe('berth init --image: a web service from a prebuilt image', { timeout: 60_000, skip: NO_GIT }, () => {
  it('writes a config that runs the reference and resolves with nothing to build', async (t) => {
    const root = repository(t, 'board', NO_DOCKERFILE, 'git@github.com:acme/board.git');

    // WHEN init runs with an image and no Dockerfile in the repository
    const run = await init(root, {
      yes: true,
      image: IMAGE,
      port: '3000',
      account: '313131313131',
      alarmEmail: 'oncall@board.example',
    });

    // THEN the config names the image and no build, and the report says where the service comes from
    const config = read(root, 'berth.config.ts');
    assert.ok(
      config.includes(
        `      image: '${IMAGE}', // prebuilt: nothing is built, every environment runs this reference\n`,
      ),
      config,
    );
    assert.ok(!config.includes('build:'), config);
    assert.ok(!config.includes('image repositor'), config);
    assert.match(run.stdout, /^web service running ghcr\.io\/acme\/board:3\.1@sha256:(9c){32} \(--image\)$/m);
    assert.match(run.stdout, /^ {2}port 3000: --port$/m);
    assert.match(run.stdout, /^ {2}health check \/: a prebuilt image: /m);
    assert.match(run.stdout, /npx berth deploy test +# deploy the image as named, wait, smoke-test/);

    // AND it loads as the CLI loads it: one prebuilt service, no image to build, no repository
    standInBerth(root);
    const { loadConfig } = await import('@berth/infra');
    const loaded = await loadConfig({ cwd: root });
    assert.deepEqual(loaded.images, []);
    assert.equal(loaded.global.repositoryName, undefined);
    assert.deepEqual(
      loaded.services.map((s) => [s.name, s.image, s.port]),
      [['web', { prebuilt: IMAGE }, 3000]],
    );
  });

  it('writes a deliver workflow with no build job: test, smoke test, then prod, each deploying the config', async (t) => {
    const root = repository(t, 'board', NO_DOCKERFILE, 'git@github.com:acme/board.git');
    await init(root, { yes: true, image: IMAGE, port: '3000', account: '313131313131' });

    const deliver = read(root, '.github/workflows/berth-deliver.yml');
    const wf = parse(deliver) as { jobs: Record<string, Job> };
    assert.deepEqual(Object.keys(wf.jobs), ['deploy-test', 'smoke-test', 'deploy-prod']);
    assert.equal(wf.jobs['deploy-test']!.needs, undefined);
    assert.equal(wf.jobs['deploy-prod']!.needs, 'smoke-test');
    const runs = Object.values(wf.jobs)
      .flatMap((j) => j.steps ?? [])
      .flatMap((s) => (s.run === undefined ? [] : [s.run]));
    assert.deepEqual(
      runs.filter((r) => r.includes('npx berth deploy')).map((r) => r.replace(/\s+/g, ' ').trim()),
      [
        `url=$(npx berth deploy test --timeout 40m --json \\ | jq -r '.regions[0].url // empty') echo "url=$url" >> "$GITHUB_OUTPUT"`,
        'npx berth deploy prod --timeout 55m',
      ],
    );
    for (const absent of ['berth image', '--image-digest', 'needs.build', 'setup-buildx']) {
      assert.ok(!deliver.includes(absent), absent);
    }
  });

  it('refuses a bad reference, --image with --dockerfile, and --yes without --port, in one line each', async (t) => {
    const root = repository(t, 'board', NO_DOCKERFILE);
    const cases: [Parameters<typeof init>[1], string][] = [
      [
        { yes: true, image: 'Acme/Board:3', port: '3000' },
        '--image "Acme/Board:3" is not an image reference: expected one as docker pull takes it, e.g. nginx:1.27 or <registry>/<name>@sha256:<64 hex>',
      ],
      [
        { yes: true, image: IMAGE, dockerfile: 'Dockerfile', port: '3000' },
        'pass --dockerfile to build the web service or --image to run a prebuilt one, not both',
      ],
      [
        { yes: true, image: IMAGE },
        `${IMAGE} is a prebuilt image, with no Dockerfile to read its port from: pass --port <port> (the port the image serves on)`,
      ],
    ];
    for (const [flags, message] of cases) {
      await assert.rejects(init(root, flags), new CliError(message));
    }
  });
});
