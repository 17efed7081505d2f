import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { GetParameterHistoryCommand, ParameterNotFound, PutParameterCommand } from '@aws-sdk/client-ssm';
import { rollbackAmi } from '../src/ami/rollback.js';
import { availableImage, mockedClients, NEW_AMI, OLD_AMI, REGION } from './ami-fixtures.js';
import { NAMES } from './fixtures/cart-config.js';

const OLDEST_AMI = 'ami-0aaaaaaaaaaaaaaaa';
const request = { names: NAMES, env: 'prod', region: REGION, architecture: 'x86_64' } as const;
const entry = (version: number, value: string) => ({
  Name: '/berth/prod/ami/x86_64',
  Version: version,
  Value: value,
});

describe('berth ami rollback', () => {
  it('republishes the last value that differs from the current one, across history pages', async () => {
    // GIVEN a history where the current AMI was published twice in a row, split over two pages
    const { clients, mocks } = mockedClients();
    mocks.ssm
      .on(GetParameterHistoryCommand, { NextToken: undefined })
      .resolves({ Parameters: [entry(1, OLDEST_AMI), entry(2, OLD_AMI)], NextToken: 'page-2' })
      .on(GetParameterHistoryCommand, { NextToken: 'page-2' })
      .resolves({ Parameters: [entry(3, NEW_AMI), entry(4, NEW_AMI)] });
    mocks.ec2.on(DescribeImagesCommand).resolves({ Images: [availableImage({ ImageId: OLD_AMI })] });
    mocks.ssm.on(PutParameterCommand).resolves({ Version: 5 });

    // WHEN rolling back
    const result = await rollbackAmi(clients.ec2, clients.ssm, request);

    // THEN the AMI before the current one is verified and published again
    assert.equal(result.amiId, OLD_AMI);
    assert.equal(result.replaced, NEW_AMI);
    assert.equal(result.version, 5);
    assert.deepEqual(mocks.ec2.commandCalls(DescribeImagesCommand)[0]!.args[0].input.ImageIds, [OLD_AMI]);
    const put = mocks.ssm.commandCalls(PutParameterCommand)[0]!.args[0].input;
    assert.equal(put.Name, '/berth/prod/ami/x86_64');
    assert.equal(put.Value, OLD_AMI);
    assert.equal(put.DataType, 'aws:ec2:image');
  });

  it('explains that there is nothing to roll back to when only one AMI was ever published', async () => {
    const { clients, mocks } = mockedClients();
    mocks.ssm.on(GetParameterHistoryCommand).resolves({ Parameters: [entry(1, NEW_AMI), entry(2, NEW_AMI)] });

    await assert.rejects(
      rollbackAmi(clients.ec2, clients.ssm, request),
      /has only ever held ami-0123456789abcdef0: there is no earlier AMI to roll back to/,
    );
    assert.equal(mocks.ssm.commandCalls(PutParameterCommand).length, 0);
  });

  it('says to publish first when the parameter does not exist', async () => {
    const { clients, mocks } = mockedClients();
    mocks.ssm
      .on(GetParameterHistoryCommand)
      .rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));

    await assert.rejects(
      rollbackAmi(clients.ec2, clients.ssm, request),
      /no AMI has been published to \/berth\/prod\/ami\/x86_64: publish one with `berth ami publish prod`/,
    );
  });

  it('refuses to roll back to an AMI that has since been deregistered', async () => {
    const { clients, mocks } = mockedClients();
    mocks.ssm.on(GetParameterHistoryCommand).resolves({ Parameters: [entry(1, OLD_AMI), entry(2, NEW_AMI)] });
    mocks.ec2.on(DescribeImagesCommand).resolves({ Images: [] });

    await assert.rejects(
      rollbackAmi(clients.ec2, clients.ssm, request),
      /ami-0fedcba9876543210 does not exist/,
    );
    assert.equal(mocks.ssm.commandCalls(PutParameterCommand).length, 0);
  });
});
