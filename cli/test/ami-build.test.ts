import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAmis, type CommandRunner, packerBuildArgs } from '../src/ami/build.js';
import { findBuiltAmi, parseManifest } from '../src/ami/manifest.js';

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
  const request = {
    repoRoot: '/repo',
    architectures: ['arm64'] as const,
    region: 'eu-west-1',
    copyToRegions: ['us-east-1'],
    version: '2026.11.21-abc1234',
    gitSha: 'abc1234',
  };

  it('selects architectures with -only and passes provenance as variables', () => {
    assert.deepEqual(packerBuildArgs({ ...request, architectures: ['x86_64', 'arm64'] }), [
      'build',
      '-only=berth.amazon-ebs.x86_64,berth.amazon-ebs.arm64',
      '-var=region=eu-west-1',
      '-var=copy_to_regions=["us-east-1"]',
      '-var=version=2026.11.21-abc1234',
      '-var=git_sha=abc1234',
      'ami/',
    ]);
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

  it('reports a failed packer build with its exit code', async () => {
    const run: CommandRunner = async (_command, args) =>
      args[0] === 'version'
        ? { code: 0, stdout: 'Packer v1.11.2\n' }
        : { code: args[0] === 'build' ? 1 : 0, stdout: '' };
    await assert.rejects(buildAmis({ ...request }, run), /packer build failed \(exit 1\)/);
  });
});
