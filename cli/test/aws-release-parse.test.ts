/**
 * A release in its one-line form (cli/src/aws/image-digest.ts): what `--image-digest`, `--to` and the record
 * accept (parseRelease), what counts as a recorded release (isRelease), and what recordDeployedDigest refuses to
 * write. Apps: `berth` builds one image, `web` (ONE_WEB_SERVICE); `depot` builds `api` and `admin` (TWO_IMAGES).
 * Digests, tags and messages are literals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { digestRecord, isRelease, parseRelease, recordDeployedDigest } from '../src/aws/image-digest.js';
import { mockAws } from './fixtures/aws.js';
import { NAMES } from './fixtures/cart-config.js';
import { ONE_WEB_SERVICE, TWO_IMAGES } from './scenarios/configs.js';

const D1 = `sha256:${'1a'.repeat(32)}`;
const D2 = `sha256:${'2b'.repeat(32)}`;
const PLACEHOLDER = 'berth-placeholder-image-not-deployable';
const NOT_A_DIGEST = 'expected sha256: followed by 64 hex characters';

describe('parseRelease', () => {
  it('an app of one image takes its digest bare or as `<image>=<digest>`', () => {
    assert.deepStrictEqual(parseRelease(ONE_WEB_SERVICE.images, D1, '--image-digest'), { web: D1 });
    assert.deepStrictEqual(parseRelease(ONE_WEB_SERVICE.images, `web=${D1}`, '--image-digest'), { web: D1 });
  });

  it('an app of several images refuses a tag where a digest belongs, naming the image and where the text came from', () => {
    assert.deepStrictEqual(parseRelease(TWO_IMAGES.images, `api=${D1},admin=${D2}`, '--to'), {
      api: D1,
      admin: D2,
    });
    assert.throws(() => parseRelease(TWO_IMAGES.images, `api=${D1},admin=v1.2.3`, '--to'), {
      name: 'CliError',
      message: `--to "api=${D1},admin=v1.2.3": admin's "v1.2.3" is not a digest: ${NOT_A_DIGEST}`,
    });
  });

  it('refuses the synth placeholder as any one of several images', () => {
    assert.throws(() => parseRelease(TWO_IMAGES.images, `api=${PLACEHOLDER},admin=${D2}`, '--image-digest'), {
      name: 'CliError',
      message: `refusing to deploy the placeholder image "${PLACEHOLDER}": pass --image-tag or --image-digest of a pushed image`,
    });
  });
});

describe('isRelease', () => {
  it('is a digest, or `<image>=<digest>` pairs whose every image name and every value is well formed', () => {
    assert.equal(isRelease(D1), true);
    assert.equal(isRelease(`api=${D1},admin=${D2}`), true);
    assert.equal(isRelease(`api=${D1},admin=v1.2.3`), false, 'one pair holds a tag');
    assert.equal(isRelease('api=v1.2.3'), false, 'a name with a tag');
    assert.equal(isRelease(`${D1},${D2}`), false, 'digests without names');
    assert.equal(isRelease(`Api=${D1}`), false, 'image names are lower case');
    assert.equal(isRelease(`1api=${D1}`), false, 'image names start with a letter');
  });
});

describe('recordDeployedDigest refuses what is not a release, before writing', () => {
  for (const [value, message] of [
    ['v1.2.3', `--image-digest "v1.2.3" is not a digest: ${NOT_A_DIGEST}`],
    [
      `api=${D1},admin=v1.2.3`,
      `refusing to record "api=${D1},admin=v1.2.3": expected <image>=sha256:… pairs joined by commas`,
    ],
  ] as const) {
    it(`"${value.slice(0, 24)}…"`, async () => {
      const { clients, stubs } = mockAws();
      stubs.ssm.on(PutParameterCommand).resolves({ Version: 1 });

      await assert.rejects(recordDeployedDigest(clients.ssm, digestRecord(NAMES, 'test'), value), {
        name: 'CliError',
        message,
      });
      assert.equal(stubs.ssm.commandCalls(PutParameterCommand).length, 0);
    });
  }

  it('writes `<image>=<digest>` pairs as they are', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm.on(PutParameterCommand).resolves({ Version: 1 });

    await recordDeployedDigest(clients.ssm, digestRecord(NAMES, 'test'), `api=${D1},admin=${D2}`);

    assert.deepEqual(
      stubs.ssm.commandCalls(PutParameterCommand).map((c) => [c.args[0].input.Name, c.args[0].input.Value]),
      [['/berth/test/image-digest', `api=${D1},admin=${D2}`]],
    );
  });
});
