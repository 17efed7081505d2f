import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { DescribeImagesCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { ensureImage, type RunCommand, tagPrefix } from '../src/deploy/image-build.js';
import { digest, mockAws } from './fixtures/aws.js';

// One image of several (#13 item 2): its own stage and build arguments, and a tag of its own in the app's one
// repository. Expected values are literals.

const REPO = '210987654321.dkr.ecr.eu-west-2.amazonaws.com/depot/api';
const SHA = '9d4c1b7e2a60';

describe('ensureImage: an image with a stage, arguments and a tag prefix', () => {
  it('looks its own tag up, then builds the stage with the arguments under that tag', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecr
      .on(DescribeImagesCommand, { repositoryName: 'depot/api', imageIds: [{ imageTag: `admin-${SHA}` }] })
      .rejects(Object.assign(new Error('not found'), { name: 'ImageNotFoundException' }));
    stubs.ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [{ authorizationToken: Buffer.from('AWS:pw').toString('base64') }],
    });
    const builds: string[][] = [];
    const run: RunCommand = async (command, args) => {
      if (command === 'git') return { code: 0, stdout: `${SHA}\n` };
      if (args[1] === 'build') {
        builds.push([...args]);
        await writeFile(
          args[args.indexOf('--metadata-file') + 1]!,
          JSON.stringify({ 'containerimage.digest': digest('c') }),
        );
      }
      return { code: 0, stdout: '' };
    };

    const result = await ensureImage({
      repoRoot: '/depot',
      build: {
        dockerfile: 'api/Dockerfile',
        context: 'api',
        target: 'admin',
        args: { BASE: 'python:3.13', THEME: 'dark' },
      },
      tagPrefix: 'admin-',
      repositoryUri: REPO,
      repositoryName: 'depot/api',
      architecture: 'x86_64',
      run,
      ecr: clients.ecr,
    });

    assert.deepEqual(result, { tag: `admin-${SHA}`, digest: digest('c'), built: true });
    const [argv] = builds;
    assert.equal(argv![argv!.indexOf('--tag') + 1], `${REPO}:admin-${SHA}`);
    assert.deepEqual(argv!.slice(-10), [
      '--file',
      'api/Dockerfile',
      '--target',
      'admin',
      '--build-arg',
      'BASE=python:3.13',
      '--build-arg',
      'THEME=dark',
      '--push',
      'api',
    ]);
  });
});

describe('tagPrefix', () => {
  it('the primary image (the first build) keeps the bare sha; the others are prefixed with their name', () => {
    const images = [{ key: 'api' }, { key: 'admin' }];
    assert.equal(tagPrefix(images, 'api'), '');
    assert.equal(tagPrefix(images, 'admin'), 'admin-');
  });
});
