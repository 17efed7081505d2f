import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { buildAmis, type CommandRunner, packerBuildArgs } from '../src/ami/build.js';
import { findBuiltAmi, parseManifest } from '../src/ami/manifest.js';
import { registerAmiCommands } from '../src/commands/ami.js';
import { fakeContext, mockedClients } from './ami-fixtures.js';
import { SHOP_CONFIG } from './fixtures/shop-project.js';

/** The template directory inside @berth/cli: cli/ami/ here, node_modules/@berth/cli/ami/ once installed. */
const PACKAGED_TEMPLATE = fileURLToPath(new URL('../ami', import.meta.url));

/** What Packer's manifest post-processor writes after two runs; only the last run counts. */
const MANIFEST = JSON.stringify({
  builds: [
    {
      name: 'x86_64',
      builder_type: 'amazon-ebs',
      artifact_id: 'eu-west-1:ami-00000000000000001',
      packer_run_uuid: 'run-old',
      custom_data: { architecture: 'x86_64', version: 'old', git_sha: 'aaa' },
    },
    {
      name: 'x86_64',
      builder_type: 'amazon-ebs',
      artifact_id: 'eu-west-1:ami-0123456789abcdef0,us-east-1:ami-0123456789abcdef1',
      packer_run_uuid: 'run-new',
      custom_data: { architecture: 'x86_64', version: '2026.11.21-abc1234', git_sha: 'abc1234' },
    },
    {
      name: 'arm64',
      builder_type: 'amazon-ebs',
      artifact_id: 'eu-west-1:ami-0fedcba9876543210',
      packer_run_uuid: 'run-new',
      custom_data: { architecture: 'arm64', version: '2026.11.21-abc1234', git_sha: 'abc1234' },
    },
  ],
  last_run_uuid: 'run-new',
});

describe('Packer manifest', () => {
  it('lists every region copy of the last run, by architecture', () => {
    const amis = parseManifest(MANIFEST);
    assert.deepEqual(
      amis.map((a) => `${a.architecture} ${a.region} ${a.amiId}`),
      [
        'x86_64 eu-west-1 ami-0123456789abcdef0',
        'x86_64 us-east-1 ami-0123456789abcdef1',
        'arm64 eu-west-1 ami-0fedcba9876543210',
      ],
    );
    assert.equal(findBuiltAmi(amis, 'arm64', 'eu-west-1').amiId, 'ami-0fedcba9876543210');
  });

  it('says what the last build lacks instead of guessing', () => {
    assert.throws(
      () => findBuiltAmi(parseManifest(MANIFEST), 'arm64', 'us-east-1'),
      /no arm64 AMI in us-east-1 \(it has x86_64@eu-west-1, x86_64@us-east-1, arm64@eu-west-1\)/,
    );
    assert.throws(() => parseManifest('{not json'), /not valid JSON: rerun `berth ami build`/);
  });
});

describe('berth ami build', () => {
  // A user's repository: berth.config.ts for app `shop`, and no ami/ folder of its own.
  const request = {
    projectRoot: '/work/shop',
    app: 'shop',
    architectures: ['arm64'] as const,
    region: 'eu-west-1',
    copyToRegions: ['us-east-1'],
    version: '2026.11.21-abc1234',
    gitSha: 'abc1234',
  };

  it("selects architectures with -only, names the app, and writes the manifest into the user's project", () => {
    assert.deepEqual(packerBuildArgs({ ...request, architectures: ['x86_64', 'arm64'] }), [
      'build',
      '-only=berth.amazon-ebs.x86_64,berth.amazon-ebs.arm64',
      '-var=app=shop',
      '-var=manifest_path=/work/shop/.berth/ami/manifest.json',
      '-var=region=eu-west-1',
      '-var=copy_to_regions=["us-east-1"]',
      '-var=version=2026.11.21-abc1234',
      '-var=git_sha=abc1234',
      PACKAGED_TEMPLATE,
    ]);
  });

  it('builds from the template shipped in the package, run from the project root', async (t) => {
    // GIVEN a project without an ami/ folder, and a Packer that records one arm64 AMI where it is told
    const projectRoot = await mkdtemp(join(tmpdir(), 'berth-shop-'));
    t.after(() => rm(projectRoot, { recursive: true, force: true }));
    const calls: { args: readonly string[]; cwd: string }[] = [];
    const run: CommandRunner = async (_command, args, options) => {
      calls.push({ args, cwd: options.cwd });
      if (args[0] === 'version') return { code: 0, stdout: 'Packer v1.11.2\n' };
      if (args[0] === 'build') {
        const manifest = args
          .find((a) => a.startsWith('-var=manifest_path='))!
          .split('=')
          .slice(2)
          .join('=');
        await writeFile(manifest, MANIFEST);
      }
      return { code: 0, stdout: '' };
    };

    // WHEN it builds
    const built = await buildAmis({ ...request, projectRoot }, run);

    // THEN packer init and build read the package's template; the manifest lands in .berth/ami/
    assert.deepEqual(
      calls.map((c) => [c.args[0], c.args.at(-1), c.cwd]),
      [
        ['version', 'version', projectRoot],
        ['init', PACKAGED_TEMPLATE, projectRoot],
        ['build', PACKAGED_TEMPLATE, projectRoot],
      ],
    );
    assert.ok(existsSync(join(PACKAGED_TEMPLATE, 'berth-ecs-node.pkr.hcl')));
    assert.ok(existsSync(join(projectRoot, '.berth', 'ami', 'manifest.json')));
    assert.deepEqual(
      built.map((a) => `${a.architecture} ${a.region} ${a.amiId}`),
      ['arm64 eu-west-1 ami-0fedcba9876543210'],
    );
  });

  it("refuses Debian's Packer 1.6.6 before building anything", async () => {
    const calls: string[] = [];
    const run: CommandRunner = async (command, args) => {
      calls.push(`${command} ${args.join(' ')}`);
      return { code: 0, stdout: 'Packer v1.6.6\n' };
    };
    await assert.rejects(
      buildAmis({ ...request }, run),
      /Packer 1\.6\.6 cannot build this template: it needs >= 1\.7/,
    );
    assert.deepEqual(calls, ['packer version']);
  });

  it('reports a failed packer build with its exit code', async (t) => {
    const projectRoot = await mkdtemp(join(tmpdir(), 'berth-shop-'));
    t.after(() => rm(projectRoot, { recursive: true, force: true }));
    const run: CommandRunner = async (_command, args) =>
      args[0] === 'version'
        ? { code: 0, stdout: 'Packer v1.11.2\n' }
        : { code: args[0] === 'build' ? 1 : 0, stdout: '' };
    await assert.rejects(buildAmis({ ...request, projectRoot }, run), /packer build failed \(exit 1\)/);
  });
});

describe('berth ami build in a user repository', () => {
  it("takes the app, regions and project root from the user's berth.config.ts", async (t) => {
    // GIVEN the `shop` app's repository: test in eu-west-2, prod in us-east-1 and eu-west-2
    const projectRoot = await mkdtemp(join(tmpdir(), 'berth-shop-'));
    t.after(() => rm(projectRoot, { recursive: true, force: true }));
    await writeFile(join(projectRoot, 'berth.config.ts'), SHOP_CONFIG);
    const calls: { command: string; args: readonly string[]; cwd: string }[] = [];
    const run: CommandRunner = async (command, args, options) => {
      calls.push({ command, args, cwd: options.cwd });
      if (command === 'git') return { code: 0, stdout: '0123456789abcdef\n' };
      if (args[0] === 'version') return { code: 0, stdout: 'Packer v1.11.2\n' };
      if (args[0] === 'build') await writeFile(join(projectRoot, '.berth/ami/manifest.json'), MANIFEST);
      return { code: 0, stdout: '' };
    };
    const { context, stdout } = fakeContext(mockedClients().clients, run);
    const program = new Command('berth').option('--config <path>').exitOverride();
    registerAmiCommands(program, () => context);

    // WHEN `berth --config <its config> ami build --arch arm64` runs
    await program.parseAsync([
      'node',
      'berth',
      '--config',
      join(projectRoot, 'berth.config.ts'),
      'ami',
      'build',
      '--arch',
      'arm64',
    ]);

    // THEN git and Packer run in that repository, with its app name and regions
    assert.deepEqual(
      calls.map((c) => c.cwd),
      [projectRoot, projectRoot, projectRoot, projectRoot],
    );
    const build = calls.find((c) => c.args[0] === 'build')!.args;
    assert.deepEqual(build.slice(0, 5), [
      'build',
      '-only=berth.amazon-ebs.arm64',
      '-var=app=shop',
      `-var=manifest_path=${join(projectRoot, '.berth/ami/manifest.json')}`,
      '-var=region=us-east-1',
    ]);
    assert.ok(build.includes('-var=copy_to_regions=["eu-west-2"]'), build.join(' '));
    assert.ok(build.includes('-var=git_sha=0123456789abcdef'), build.join(' '));
    assert.equal(stdout.join(''), 'arm64\teu-west-1\tami-0fedcba9876543210\n');
  });
});
