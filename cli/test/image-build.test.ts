import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { DescribeImagesCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { ensureImage, type RunCommand } from '../src/deploy/image-build.js';
import { digest, mockAws } from './fixtures/aws.js';

const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/service';
const SHA = '3f9c2ab41d07';

/** ECR as documented: a missing tag is ImageNotFoundException (ECR API Reference, "DescribeImages"). */
function ecrWithout(tag: string) {
  const { clients, stubs } = mockAws();
  stubs.ecr
    .on(DescribeImagesCommand, { repositoryName: 'berth/service', imageIds: [{ imageTag: tag }] })
    .rejects(Object.assign(new Error('not found'), { name: 'ImageNotFoundException' }));
  // The token is base64 "AWS:<password>" (ECR API Reference, "GetAuthorizationToken").
  stubs.ecr.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [{ authorizationToken: Buffer.from('AWS:s3cr3t-pw').toString('base64') }],
  });
  return { ecr: clients.ecr, stubs };
}

describe('ensureImage', () => {
  it('logs in with the ECR token on stdin, then builds one platform without attestations and returns the pushed digest', async () => {
    const { ecr } = ecrWithout(SHA);
    const calls: { argv: string[]; input?: string }[] = [];
    const run: RunCommand = async (command, args, options) => {
      calls.push({ argv: [command, ...args], ...(options.input ? { input: options.input } : {}) });
      if (command === 'git') return { code: 0, stdout: `${SHA}\n` };
      if (args[1] === 'build') {
        const file = args[args.indexOf('--metadata-file') + 1]!;
        await writeFile(file, JSON.stringify({ 'containerimage.digest': digest('e') }));
      }
      return { code: 0, stdout: '' };
    };

    const result = await ensureImage({
      repoRoot: '/repo',
      repositoryUri: REPO,
      repositoryName: 'berth/service',
      architecture: 'arm64',
      run,
      ecr,
    });

    assert.deepEqual(result, { tag: SHA, digest: digest('e'), built: true });
    const login = calls.findIndex((c) => c.argv[1] === 'login');
    const build = calls.findIndex((c) => c.argv[2] === 'build');
    assert.ok(login !== -1 && login < build, 'logged in before the push');
    assert.deepEqual(calls[login], {
      argv: [
        'docker',
        'login',
        '--username',
        'AWS',
        '--password-stdin',
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      ],
      input: 's3cr3t-pw',
    });
    assert.deepEqual(calls[build]!.argv.slice(0, 9), [
      'docker',
      'buildx',
      'build',
      '--platform',
      'linux/arm64',
      '--provenance=false',
      '--sbom=false',
      '--tag',
      `${REPO}:${SHA}`,
    ]);
    assert.ok(calls[build]!.argv.includes('--push'));
    assert.deepEqual(
      calls[build]!.argv.slice(-4),
      ['--file', 'Dockerfile', '--push', '.'],
      "Docker's defaults",
    );
  });

  it("builds the config's Dockerfile and context, relative to the project root", async () => {
    const { clients, stubs } = mockAws();
    stubs.ecr
      .on(DescribeImagesCommand)
      .rejects(Object.assign(new Error('none'), { name: 'ImageNotFoundException' }));
    stubs.ecr
      .on(GetAuthorizationTokenCommand)
      .resolves({ authorizationData: [{ authorizationToken: Buffer.from('AWS:pw').toString('base64') }] });
    const calls: { argv: string[]; cwd: string }[] = [];
    const run: RunCommand = async (command, args, options) => {
      calls.push({ argv: [command, ...args], cwd: options.cwd });
      if (command === 'git') return { code: 0, stdout: `${SHA}\n` };
      if (args[1] === 'build') {
        const file = args[args.indexOf('--metadata-file') + 1]!;
        await writeFile(file, JSON.stringify({ 'containerimage.digest': digest('f') }));
      }
      return { code: 0, stdout: '' };
    };
    await ensureImage({
      repoRoot: '/shop',
      build: { dockerfile: 'docker/web.Dockerfile', context: 'web' },
      repositoryUri: REPO,
      repositoryName: 'shop/web',
      architecture: 'x86_64',
      run,
      ecr: clients.ecr,
    });
    const build = calls.find((c) => c.argv[2] === 'build')!;
    assert.equal(build.cwd, '/shop');
    assert.deepEqual(build.argv.slice(-4), ['--file', 'docker/web.Dockerfile', '--push', 'web']);
  });

  it('resolves the commit tag when it is already in ECR and runs no docker at all', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecr
      .on(DescribeImagesCommand, { repositoryName: 'berth/service', imageIds: [{ imageTag: SHA }] })
      .resolves({ imageDetails: [{ imageDigest: digest('7'), imageTags: [SHA] }] });
    const commands: string[] = [];
    const run: RunCommand = async (command, args) => {
      commands.push(`${command} ${args.join(' ')}`);
      return { code: 0, stdout: `${SHA}\n` };
    };

    const result = await ensureImage({
      repoRoot: '/repo',
      repositoryUri: REPO,
      repositoryName: 'berth/service',
      architecture: 'x86_64',
      run,
      ecr: clients.ecr,
    });

    assert.deepEqual(result, { tag: SHA, digest: digest('7'), built: false });
    assert.deepEqual(commands, ['git rev-parse --short=12 HEAD']);
  });

  it('suggests --image-tag when docker is missing', async () => {
    const { ecr } = ecrWithout(SHA);
    const run: RunCommand = async (command) => {
      if (command === 'git') return { code: 0, stdout: `${SHA}\n` };
      throw Object.assign(new Error('spawn docker ENOENT'), { code: 'ENOENT' });
    };
    await assert.rejects(
      ensureImage({
        repoRoot: '/repo',
        repositoryUri: REPO,
        repositoryName: 'berth/service',
        architecture: 'x86_64',
        run,
        ecr,
      }),
      /docker buildx is not available.*--image-tag <tag>/,
    );
  });
});
