import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { buildAndPushImage, type RunCommand } from '../src/deploy/image-build.js';
import { digest } from './fixtures/aws.js';

const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/service';

describe('buildAndPushImage', () => {
  it('builds for the cluster architecture, tags with the commit and returns the digest buildx pushed', async () => {
    const calls: string[][] = [];
    const run: RunCommand = async (command, args) => {
      calls.push([command, ...args]);
      if (command === 'git') return { code: 0, stdout: '3f9c2ab41d07\n' };
      if (args[1] === 'build') {
        const file = args[args.indexOf('--metadata-file') + 1]!;
        await writeFile(file, JSON.stringify({ 'containerimage.digest': digest('e') }));
      }
      return { code: 0, stdout: '' };
    };

    const result = await buildAndPushImage({
      repoRoot: '/repo',
      repositoryUri: REPO,
      architecture: 'arm64',
      run,
    });

    assert.deepEqual(result, { tag: '3f9c2ab41d07', digest: digest('e') });
    const build = calls.find((c) => c[2] === 'build')!;
    assert.deepEqual(build.slice(0, 7), [
      'docker',
      'buildx',
      'build',
      '--platform',
      'linux/arm64',
      '--tag',
      `${REPO}:3f9c2ab41d07`,
    ]);
    assert.ok(build.includes('--push'));
  });

  it('suggests --image-tag when docker is missing', async () => {
    const run: RunCommand = async () => {
      throw Object.assign(new Error('spawn docker ENOENT'), { code: 'ENOENT' });
    };
    await assert.rejects(
      buildAndPushImage({ repoRoot: '/repo', repositoryUri: REPO, architecture: 'x86_64', run }),
      /docker buildx is not available.*--image-tag <tag>/,
    );
  });
});
