/**
 * The record of a prebuilt app's release (cli/src/aws/image-digest.ts, recordPrebuiltRelease): the references as
 * deployed, written like a deploy's record so `berth status` shows them, and nothing that is not an image
 * reference. Parameter names and texts are literals; the stub answers only PutParameter.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { digestRecord, recordPrebuiltRelease } from '../src/aws/image-digest.js';
import { mockAws } from './fixtures/aws.js';
import { NAMES } from './fixtures/cart-config.js';

const SITE = `public.ecr.aws/nginx/nginx:1.27@sha256:${'5e'.repeat(32)}`;

describe('recording the release of an app of prebuilt images', () => {
  it('writes the references as a String parameter, overwriting, described as a deploy', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm.on(PutParameterCommand).resolves({ Version: 2 });

    await recordPrebuiltRelease(
      clients.ssm,
      digestRecord(NAMES, 'test'),
      `relay=ghcr.io/acme/relay:2.4,site=${SITE}`,
    );
    await recordPrebuiltRelease(clients.ssm, digestRecord(NAMES, 'prod'), 'nginx:1.27');

    assert.deepEqual(
      stubs.ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input),
      [
        {
          Name: '/berth/test/image-digest',
          Value: `relay=ghcr.io/acme/relay:2.4,site=${SITE}`,
          Type: 'String',
          Overwrite: true,
          Description: 'Image digest deployed to test by berth deploy',
        },
        {
          Name: '/berth/prod/image-digest',
          Value: 'nginx:1.27',
          Type: 'String',
          Overwrite: true,
          Description: 'Image digest deployed to prod by berth deploy',
        },
      ],
    );
  });

  it('refuses anything that is not image references, and writes nothing', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm.on(PutParameterCommand).resolves({ Version: 1 });

    for (const release of ['', 'site=', 'site=Nginx:Latest', `site=${SITE},relay=has space:1`]) {
      await assert.rejects(recordPrebuiltRelease(clients.ssm, digestRecord(NAMES, 'test'), release), {
        name: 'CliError',
        message: `refusing to record "${release}": expected image references, <service>=<reference> pairs joined by commas`,
      });
    }
    assert.equal(stubs.ssm.commandCalls(PutParameterCommand).length, 0);
  });
});
