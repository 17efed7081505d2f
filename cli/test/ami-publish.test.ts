import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { Command } from 'commander';
import { publishAmi } from '../src/ami/publish.js';
import { registerAmiCommands } from '../src/commands/ami.js';
import { CliError } from '../src/errors.js';
import { availableImage, fakeContext, mockedClients, NEW_AMI, OLD_AMI, REGION } from './ami-fixtures.js';
import { NAMES } from './fixtures/cart-config.js';
import { SHOP_CONFIG } from './fixtures/shop-project.js';

const request = {
  names: NAMES,
  env: 'test',
  region: REGION,
  architecture: 'x86_64',
  amiId: NEW_AMI,
} as const;

describe('berth ami publish', () => {
  it('writes a verified, available image to the SSM parameter as an aws:ec2:image', async () => {
    // GIVEN an available x86_64 image
    const { clients, mocks } = mockedClients();
    mocks.ec2.on(DescribeImagesCommand, { ImageIds: [NEW_AMI] }).resolves({ Images: [availableImage()] });
    mocks.ssm.on(PutParameterCommand).resolves({ Version: 4 });

    // WHEN it is published to test
    const published = await publishAmi(clients.ec2, clients.ssm, request);

    // THEN the parameter the Cluster reads holds it, typed so SSM validates it too
    assert.deepEqual(published, {
      parameter: '/berth/test/ami/x86_64',
      amiId: NEW_AMI,
      version: 4,
      imageName: availableImage().Name,
    });
    const put = mocks.ssm.commandCalls(PutParameterCommand);
    assert.equal(put.length, 1);
    assert.equal(put[0]!.args[0].input.Name, '/berth/test/ami/x86_64');
    assert.equal(put[0]!.args[0].input.Value, NEW_AMI);
    assert.equal(put[0]!.args[0].input.DataType, 'aws:ec2:image');
    assert.equal(put[0]!.args[0].input.Overwrite, true);
    assert.equal(put[0]!.args[0].input.Type, 'String');
  });

  it('refuses an image that is still pending and writes nothing', async () => {
    const { clients, mocks } = mockedClients();
    mocks.ec2.on(DescribeImagesCommand).resolves({ Images: [availableImage({ State: 'pending' })] });

    await assert.rejects(publishAmi(clients.ec2, clients.ssm, request), (error: Error) => {
      assert.ok(error instanceof CliError);
      assert.match(error.message, new RegExp(`${NEW_AMI} is pending, not available`));
      return true;
    });
    assert.equal(mocks.ssm.commandCalls(PutParameterCommand).length, 0);
  });

  it('refuses an image built for the other architecture', async () => {
    const { clients, mocks } = mockedClients();
    mocks.ec2.on(DescribeImagesCommand).resolves({ Images: [availableImage({ Architecture: 'arm64' })] });

    await assert.rejects(
      publishAmi(clients.ec2, clients.ssm, request),
      /is a arm64 image but x86_64 was asked for: pass --arch arm64/,
    );
    assert.equal(mocks.ssm.commandCalls(PutParameterCommand).length, 0);
  });

  it('says the image does not exist in the region when EC2 answers InvalidAMIID.NotFound', async () => {
    const { clients, mocks } = mockedClients();
    mocks.ec2.on(DescribeImagesCommand).rejects(
      Object.assign(new Error(`The image id '[${NEW_AMI}]' does not exist`), {
        name: 'InvalidAMIID.NotFound',
      }),
    );

    await assert.rejects(publishAmi(clients.ec2, clients.ssm, request), /does not exist in eu-west-1/);
  });

  it('rejects a malformed id before calling AWS', async () => {
    const { clients, mocks } = mockedClients();
    await assert.rejects(
      publishAmi(clients.ec2, clients.ssm, { ...request, amiId: 'ami-xyz' }),
      /"ami-xyz" is not an AMI id/,
    );
    assert.equal(mocks.ec2.calls().length, 0);
  });

  it('names the known environments for an unknown one, before any AWS call', async () => {
    const { clients, mocks } = mockedClients();
    const { context } = fakeContext(clients);
    const program = new Command('berth').exitOverride();
    registerAmiCommands(program, () => context);

    await assert.rejects(
      program.parseAsync(['node', 'berth', 'ami', 'publish', 'staging', '--ami', NEW_AMI]),
      /unknown environment "staging": use one of test, prod/,
    );
    assert.equal(mocks.sts.calls().length + mocks.ec2.calls().length + mocks.ssm.calls().length, 0);
  });

  it('publishes through the command after checking credentials, and prints the next steps', async () => {
    const { clients, mocks } = mockedClients();
    mocks.ec2.on(DescribeImagesCommand).resolves({ Images: [availableImage()] });
    mocks.ssm.on(PutParameterCommand).resolves({ Version: 2 });
    const { context, stdout } = fakeContext(clients);
    const program = new Command('berth').exitOverride();
    registerAmiCommands(program, () => context);

    await program.parseAsync(['node', 'berth', 'ami', 'publish', 'test', '--ami', NEW_AMI]);

    assert.equal(mocks.sts.calls().length, 1);
    assert.match(
      stdout.join(''),
      /eu-west-1: \/berth\/test\/ami\/x86_64 = ami-0123456789abcdef0 \(version 2\)/,
    );
  });

  it('--aws-recommended publishes the AMI AWS recommends today, verified like any other', async () => {
    // GIVEN AWS's public ECS-optimized AL2023 parameter (Amazon ECS Developer Guide, "Retrieving Amazon
    // ECS-optimized Linux AMI metadata") names an available image
    const { clients, mocks } = mockedClients();
    mocks.ssm
      .on(GetParameterCommand, {
        Name: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
      })
      .resolves({ Parameter: { Value: OLD_AMI } });
    mocks.ec2.on(DescribeImagesCommand, { ImageIds: [OLD_AMI] }).resolves({
      Images: [availableImage({ ImageId: OLD_AMI, Name: 'al2023-ami-ecs-hvm-2023.0.20261120-x86_64' })],
    });
    mocks.ssm.on(PutParameterCommand).resolves({ Version: 1 });
    const { context, stdout } = fakeContext(clients);
    const program = new Command('berth').exitOverride();
    registerAmiCommands(program, () => context);

    // WHEN a new environment gets its first AMI
    await program.parseAsync(['node', 'berth', 'ami', 'publish', 'test', '--aws-recommended']);

    // THEN the parameter the Cluster reads exists, holding AWS's image
    const put = mocks.ssm.commandCalls(PutParameterCommand)[0]!.args[0].input;
    assert.equal(put.Name, '/berth/test/ami/x86_64');
    assert.equal(put.Value, OLD_AMI);
    assert.match(stdout.join(''), /\/berth\/test\/ami\/x86_64 = ami-0fedcba9876543210 \(version 1\)/);
  });

  it('refuses --ami together with --aws-recommended before any AWS call', async () => {
    const { clients, mocks } = mockedClients();
    const { context } = fakeContext(clients);
    const program = new Command('berth').exitOverride();
    registerAmiCommands(program, () => context);
    await assert.rejects(
      program.parseAsync(['node', 'berth', 'ami', 'publish', 'test', '--ami', NEW_AMI, '--aws-recommended']),
      /pass either --ami or --aws-recommended, not both/,
    );
    assert.equal(mocks.sts.calls().length + mocks.ssm.calls().length, 0);
  });
});

describe('berth ami publish in a user repository', () => {
  it("reads the AMI `berth ami build` recorded in the project's .berth/ami/manifest.json, into /shop/test/ami/x86_64", async (t) => {
    // GIVEN the shop's repository (test in eu-west-2, account 111111111111) after a build
    const projectRoot = await mkdtemp(join(tmpdir(), 'berth-shop-'));
    t.after(() => rm(projectRoot, { recursive: true, force: true }));
    await writeFile(join(projectRoot, 'berth.config.ts'), SHOP_CONFIG);
    await mkdir(join(projectRoot, '.berth', 'ami'), { recursive: true });
    await writeFile(
      join(projectRoot, '.berth', 'ami', 'manifest.json'),
      JSON.stringify({
        builds: [
          {
            builder_type: 'amazon-ebs',
            artifact_id: 'us-east-1:ami-00000000000000001,eu-west-2:ami-0aaaabbbbccccdddd',
            packer_run_uuid: 'run-1',
            custom_data: { architecture: 'x86_64' },
          },
        ],
        last_run_uuid: 'run-1',
      }),
    );
    const { clients, mocks } = mockedClients();
    mocks.sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: '111111111111', Arn: 'arn:aws:iam::111111111111:user/ci' });
    mocks.ec2
      .on(DescribeImagesCommand, { ImageIds: ['ami-0aaaabbbbccccdddd'] })
      .resolves({ Images: [availableImage({ ImageId: 'ami-0aaaabbbbccccdddd' })] });
    mocks.ssm.on(PutParameterCommand).resolves({ Version: 1 });
    const { context } = fakeContext(clients);
    const program = new Command('berth').option('--config <path>').exitOverride();
    registerAmiCommands(program, () => context);

    // WHEN it publishes to test without --ami
    const config = join(projectRoot, 'berth.config.ts');
    await program.parseAsync(['node', 'berth', '--config', config, 'ami', 'publish', 'test']);

    // THEN the eu-west-2 copy goes into the shop's parameter
    const put = mocks.ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input);
    assert.deepEqual(
      put.map((p) => [p.Name, p.Value]),
      [['/shop/test/ami/x86_64', 'ami-0aaaabbbbccccdddd']],
    );
  });
});
