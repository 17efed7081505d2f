import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildProgram, main } from '../src/main.js';

const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));

/**
 * Runs the real bin with credentials that cannot resolve and instance metadata disabled, so the
 * SDK fails in-process and nothing reaches AWS.
 */
function berth(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: '/nonexistent',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_REGION: 'eu-west-1',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: path.dirname(BIN), env, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** In-process run for argument checks that need no separate process. */
async function berthInProcess(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await main(['node', 'berth', ...args], undefined, {
    write: (s: string) => {
      stderr += s;
    },
  });
  return { code, stderr };
}

describe('berth (spawned)', () => {
  // Spawned in parallel: each start pays for loading the SDK.
  const runs = Promise.all([
    berth('--help'),
    berth('depoy', 'test'),
    berth('status', 'staging'),
    berth('status', 'test'),
    berth('deploy', 'test', '--image-digest', 'latest'),
    berth('up', '--help'),
    berth('up', '--base-image', 'localhost/node:24'),
    berth('--version'),
  ]);

  it('lists every command in --help', async () => {
    const [help] = await runs;
    assert.equal(help.code, 0);
    for (const command of [
      'up',
      'image',
      'deploy',
      'status',
      'logs',
      'exec',
      'rollback',
      'destroy',
      'plan',
      'ami',
      'bootstrap',
    ]) {
      assert.match(help.stdout, new RegExp(`\\n  ${command} `), command);
    }
  });

  it("prints @berth/cli's version for --version", async () => {
    const version = (await runs)[7];
    const { version: packaged } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    );
    assert.deepEqual(version, { code: 0, stdout: `${packaged}\n`, stderr: '' });
  });

  it('rejects an unknown command in one line', async () => {
    const [, result] = await runs;
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "berth: unknown command 'depoy' (see berth --help)\n");
  });

  it('names the known environments for an unknown one', async () => {
    const [, , result] = await runs;
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'berth: unknown environment "staging": use one of test, prod\n');
  });

  it('says how to provide credentials when there are none, in one line', async () => {
    const [, , , result] = await runs;
    assert.equal(result.code, 1);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^berth: no usable AWS credentials: set AWS_PROFILE .*aws sso login.*OIDC/);
  });

  it('rejects a malformed digest before touching AWS', async () => {
    const [, , , , result] = await runs;
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^berth: --image-digest "latest" is not a digest: expected sha256:/);
  });

  it('documents that up takes its defaults from PORT, HOST and DATA_DIR', async () => {
    const [, , , , , help] = await runs;
    assert.equal(help.code, 0);
    // Commander wraps help at 80 columns: compare with whitespace collapsed.
    const text = help.stdout.replace(/\s+/g, ' ');
    assert.match(text, /--port <port> port to listen on \(default: "8080", env: PORT\)/);
    assert.match(text, /--host <address> [^(]*\([^)]*\) \(default: "127\.0\.0\.1", env: HOST\)/);
    assert.match(text, /--data-dir <dir> [^(]*\(default: "\.\/\.data", env: DATA_DIR\)/);
  });

  it('refuses --base-image without --replicas in one line', async () => {
    const [, , , , , , result] = await runs;
    assert.deepEqual(
      { code: result.code, stderr: result.stderr },
      {
        code: 1,
        stderr:
          "berth: --base-image only applies with --replicas --containers: for your Dockerfile's own arguments use --build-arg NAME=VALUE\n",
      },
    );
  });
});

describe('berth (in process)', () => {
  it('gives every command its own --help', async () => {
    const program = await buildProgram();
    for (const command of program.commands) {
      assert.match(command.helpInformation(), new RegExp(`Usage: berth ${command.name()}`), command.name());
      assert.ok(command.description().length > 10, `${command.name()} has a description`);
    }
  });

  it('rejects bad option values and guards prod, one line each', async () => {
    const since = await berthInProcess('logs', 'test', '--since', 'yesterday');
    assert.deepEqual(since, {
      code: 1,
      stderr: 'berth: --since "yesterday" is not a duration: use a number with s, m, h or d, e.g. 30m\n',
    });
    const prod = await berthInProcess('destroy', 'prod');
    assert.deepEqual(prod, {
      code: 1,
      stderr: 'berth: refusing to destroy prod: pass --yes-destroy-prod if you really mean it\n',
    });
    // `--version` after a command is that command's option (the AMI's version), not the program's.
    const amiVersion = await berthInProcess('ami', 'build', '--version', '2026.12.01', '--arch', 'sparc');
    assert.deepEqual(amiVersion, {
      code: 1,
      stderr: 'berth: --arch "sparc" is not an architecture: use one of x86_64, arm64\n',
    });
    const region = await berthInProcess('status', 'test', '--region', 'us-east-1');
    assert.equal(
      region.stderr,
      'berth: region "us-east-1" is not configured for test: use one of eu-west-1 (environments.test.regions in berth.config.ts)\n',
    );
  });
});
