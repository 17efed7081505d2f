import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DescribeImagesCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  ensureImage,
  gitSha,
  loginToRegistry,
  type RunCommand,
  runCommand,
} from '../src/deploy/image-build.js';
import { digest, mockAws } from './fixtures/aws.js';
import { caught } from './support/caught.js';

// The image build's edges: the real process runner (exit codes, stdin, cwd, a missing program), the git
// commit it tags with, and each way docker login or buildx can fail. The ECR stubs answer only the
// repository and tag they expect; the token is base64 "AWS:<password>" (ECR API Reference,
// "GetAuthorizationToken").

const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/service';
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const SHA = '3f9c2ab41d07';
const NODE = process.execPath;

function ecr({ token = Buffer.from('AWS:s3cr3t-pw').toString('base64') }: { token?: string | null } = {}) {
  const { clients, stubs } = mockAws();
  stubs.ecr
    .on(DescribeImagesCommand, { repositoryName: 'berth/service', imageIds: [{ imageTag: SHA }] })
    .rejects(Object.assign(new Error('not found'), { name: 'ImageNotFoundException' }));
  stubs.ecr
    .on(GetAuthorizationTokenCommand)
    .resolves({ authorizationData: token === null ? [] : [{ authorizationToken: token }] });
  return clients.ecr;
}

interface Call {
  argv: string[];
  cwd: string;
  quiet?: boolean;
}

/** git and docker as a script: `answer` decides each exit code; a build writes `metadata` unless null. */
function fakeDocker(
  answer: (argv: string[]) => number = () => 0,
  metadata: Record<string, unknown> | null = { 'containerimage.digest': digest('e') },
) {
  const calls: Call[] = [];
  const run: RunCommand = async (command, args, options) => {
    const argv = [command, ...args];
    calls.push({ argv, cwd: options.cwd, ...(options.quiet !== undefined ? { quiet: options.quiet } : {}) });
    if (command === 'git') return { code: 0, stdout: `${SHA}\n` };
    const code = answer(argv);
    if (code === 0 && args[1] === 'build' && metadata !== null) {
      await writeFile(args[args.indexOf('--metadata-file') + 1]!, JSON.stringify(metadata));
    }
    return { code, stdout: '' };
  };
  return { calls, run };
}

const options = (run: RunCommand, ecrClient = ecr()) => ({
  repoRoot: '/repo',
  repositoryUri: REPO,
  repositoryName: 'berth/service',
  architecture: 'x86_64' as const,
  run,
  ecr: ecrClient,
});

describe('runCommand (real processes)', () => {
  const cwd = realpathSync(mkdtempSync(path.join(tmpdir(), 'berth-run-')));

  it('resolves with the exit code and stdout, writes the input to stdin, and runs in cwd', async () => {
    const result = await runCommand(
      NODE,
      [
        '-e',
        "let s='';process.stdin.on('data',(c)=>{s+=c}).on('end',()=>{process.stdout.write(s+'@'+process.cwd());process.exit(3)})",
      ],
      { cwd, quiet: true, input: 's3cr3t-pw' },
    );
    assert.deepEqual(result, { code: 3, stdout: `s3cr3t-pw@${cwd}` });
  });

  it('gives a program no stdin when there is no input (it reads end-of-file at once)', {
    timeout: 15_000,
  }, async () => {
    const result = await runCommand(
      NODE,
      ['-e', "process.stdin.on('data',()=>{}).on('end',()=>process.stdout.write('eof'))"],
      { cwd, quiet: true },
    );
    assert.deepEqual(result, { code: 0, stdout: 'eof' });
  });

  it("echoes the program's stdout to stderr unless quiet", async (t) => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    t.mock.method(process.stderr, 'write', (chunk: string | Uint8Array, ...rest: never[]) => {
      written.push(chunk.toString());
      return original(chunk, ...rest);
    });
    const script = ['-e', "process.stdout.write('step 1/3 done')"];

    const loud = await runCommand(NODE, script, { cwd });
    const echoedLoud = written.join('');
    written.length = 0;
    const quiet = await runCommand(NODE, script, { cwd, quiet: true });

    assert.equal(loud.stdout, 'step 1/3 done');
    assert.equal(quiet.stdout, 'step 1/3 done');
    assert.ok(echoedLoud.includes('step 1/3 done'), echoedLoud);
    assert.ok(!written.join('').includes('step 1/3 done'), 'quiet: nothing echoed');
  });

  it('reports a program killed by a signal as exit 1, and rejects with ENOENT for a missing program', async () => {
    const killed = await runCommand(NODE, ['-e', "process.kill(process.pid, 'SIGKILL')"], {
      cwd,
      quiet: true,
    });
    assert.deepEqual(killed, { code: 1, stdout: '' });
    await assert.rejects(runCommand('berth-no-such-program', [], { cwd, quiet: true }), { code: 'ENOENT' });
  });
});

describe('gitSha', () => {
  it("reads this repository's commit as 12 hex characters with real git", async () => {
    const repo = path.resolve(import.meta.dirname, '../..');
    const sha = await gitSha(runCommand, repo);
    assert.match(sha, /^[0-9a-f]{12}$/);
  });

  it('refuses to tag when git fails, is missing, or prints nothing', async () => {
    const message = 'cannot read the git commit to tag the image: run inside the repository';
    const runs: RunCommand[] = [
      async () => ({ code: 128, stdout: 'fatal: not a git repository\n' }),
      async () => {
        throw Object.assign(new Error('spawn git ENOENT'), { code: 'ENOENT' });
      },
      async () => ({ code: 0, stdout: '\n' }),
    ];
    for (const run of runs) {
      const error = await caught(gitSha(run, '/repo'));
      assert.equal(error.message, message);
    }
  });
});

describe('loginToRegistry', () => {
  it('refuses when ECR hands out no token', async () => {
    const { run, calls } = fakeDocker();
    const error = await caught(loginToRegistry(options(run, ecr({ token: null }))));
    assert.equal(
      error.message,
      'ECR returned no authorization token: check ecr:GetAuthorizationToken is allowed',
    );
    assert.deepEqual(calls, []);
  });

  it('names the registry and exit code when docker login fails, and keeps the login quiet', async () => {
    const { run, calls } = fakeDocker((argv) => (argv[1] === 'login' ? 1 : 0));
    const error = await caught(loginToRegistry(options(run)));
    assert.equal(error.message, `docker login to ${REGISTRY} failed (exit 1)`);
    assert.deepEqual(calls, [
      {
        argv: ['docker', 'login', '--username', 'AWS', '--password-stdin', REGISTRY],
        cwd: '/repo',
        quiet: true,
      },
    ]);
  });
});

describe('ensureImage: build failures', () => {
  it('builds linux/amd64 for x86_64, from the repository root, with buildx output shown and the temp folder removed', async () => {
    let metadataFile = '';
    const { run, calls } = fakeDocker();
    const recording: RunCommand = async (command, args, opts) => {
      if (args[1] === 'build') metadataFile = args[args.indexOf('--metadata-file') + 1]!;
      return run(command, args, opts);
    };

    const result = await ensureImage(options(recording));

    assert.deepEqual(result, { tag: SHA, digest: digest('e'), built: true });
    assert.deepEqual(
      calls.map((c) => ({ ...c, argv: c.argv.join(' ') })),
      [
        { argv: 'git rev-parse --short=12 HEAD', cwd: '/repo', quiet: true },
        { argv: 'docker buildx version', cwd: '/repo', quiet: true },
        { argv: `docker login --username AWS --password-stdin ${REGISTRY}`, cwd: '/repo', quiet: true },
        {
          argv:
            'docker buildx build --platform linux/amd64 --provenance=false --sbom=false ' +
            `--tag ${REPO}:${SHA} --metadata-file ${metadataFile} --file Dockerfile --push .`,
          cwd: '/repo',
        },
      ],
    );
    assert.equal(path.basename(metadataFile), 'metadata.json');
    assert.ok(path.basename(path.dirname(metadataFile)).startsWith('berth-build-'));
    assert.ok(!existsSync(path.dirname(metadataFile)), 'the temporary folder is removed');
  });

  it('suggests --image-tag when buildx answers but is not usable (non-zero exit)', async () => {
    const { run, calls } = fakeDocker((argv) => (argv[2] === 'version' ? 1 : 0));
    const error = await caught(ensureImage(options(run)));
    assert.match(error.message, /^docker buildx is not available to build the image: .*--image-tag <tag>/);
    assert.ok(!calls.some((c) => c.argv[1] === 'login'), 'no login without buildx');
  });

  it('names the exit code of a failed build and removes its temporary folder', async () => {
    let metadataFile = '';
    const { run } = fakeDocker((argv) => (argv[2] === 'build' ? 2 : 0));
    const recording: RunCommand = async (command, args, opts) => {
      if (args[1] === 'build') metadataFile = args[args.indexOf('--metadata-file') + 1]!;
      return run(command, args, opts);
    };
    const error = await caught(ensureImage(options(recording)));
    assert.equal(error.message, 'docker buildx build failed (exit 2): see its output above');
    assert.ok(metadataFile !== '' && !existsSync(path.dirname(metadataFile)));
  });

  it('refuses a build whose metadata has no pushed digest', async () => {
    const { run } = fakeDocker(() => 0, { 'image.name': `${REPO}:${SHA}` });
    const error = await caught(ensureImage(options(run)));
    assert.equal(error.message, 'docker buildx did not report the pushed digest');
  });
});
