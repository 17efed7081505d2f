/**
 * A release's images in one line (infra/lib/image.ts): what `berth image` prints, `--image-digest` takes, the
 * record holds and the stack reads from context. Expectations are literals.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildKeys,
  formatImageSet,
  imagesFromContext,
  isImageReference,
  parseImageSet,
} from '../lib/image.js';
import { PLACEHOLDER_IMAGE } from '../lib/naming.js';

const A = `sha256:${'a0'.repeat(32)}`;
const B = `sha256:${'b0'.repeat(32)}`;

describe('formatImageSet', () => {
  test('an app that builds one image: its bare digest, the form records had before', () => {
    assert.equal(formatImageSet({ web: A }, ['web']), A);
  });

  test('several images: name=digest pairs in name order, whatever the primary', () => {
    assert.equal(formatImageSet({ web: A, admin: B }, ['web', 'admin']), `admin=${B},web=${A}`);
  });
});

describe('parseImageSet', () => {
  test('reads back what formatImageSet wrote, and a bare value for a one-image app', () => {
    assert.deepEqual(parseImageSet(`admin=${B},web=${A}`, ['web', 'admin']), { web: A, admin: B });
    assert.deepEqual(parseImageSet(A, ['web']), { web: A });
    assert.deepEqual(parseImageSet(`web=${A}`, ['web']), { web: A });
    assert.deepEqual(parseImageSet('3f9c2ab41d07', ['web']), { web: '3f9c2ab41d07' }, 'a tag, for a synth');
  });

  const form = 'admin=sha256:…,web=sha256:… (a digest or tag for each image the app builds)';
  for (const [what, text, message] of [
    ['a bare digest for two images', A, `"${A}" names no image: expected ${form}`],
    ['an image missing', `web=${A}`, `no image for admin: expected ${form}`],
    ['an unknown image', `web=${A},admin=${B},api=${A}`, `no image named "api": expected ${form}`],
    ['an image twice', `web=${A},web=${B}`, `"web" is given twice: expected ${form}`],
    [
      'a value that is neither',
      `web=${A},admin=not a tag`,
      `admin's "not a tag" is neither a digest nor a tag: expected ${form}`,
    ],
  ] as const) {
    test(what, () => assert.throws(() => parseImageSet(text, ['web', 'admin']), { message }));
  }
});

describe('imagesFromContext', () => {
  test('no context: every image is the placeholder', () => {
    assert.deepEqual(imagesFromContext(undefined, ['web', 'admin']), {
      images: { web: PLACEHOLDER_IMAGE, admin: PLACEHOLDER_IMAGE },
      isPlaceholder: true,
    });
  });

  test('a release: each image by name', () => {
    assert.deepEqual(imagesFromContext(`admin=${B},web=${A}`, ['web', 'admin']), {
      images: { web: A, admin: B },
      isPlaceholder: false,
    });
  });
});

describe('buildKeys', () => {
  test('the built images in order of first use, prebuilt services left out', () => {
    const services = [
      { image: { prebuilt: 'nginx:1.27' } },
      { image: { build: 'api' } },
      { image: { build: 'admin' } },
      { image: { build: 'api' } },
    ];
    assert.deepEqual(buildKeys(services), ['api', 'admin']);
  });
});

describe('isImageReference', () => {
  test('ECS limits: 255 characters before the digest, sha256 digests of 64 hex', () => {
    assert.equal(isImageReference(`registry.example.org/${'a'.repeat(230)}:1`), true);
    assert.equal(isImageReference(`registry.example.org/${'a'.repeat(240)}:1`), false);
    assert.equal(isImageReference(`nginx@${A}`), true);
    assert.equal(isImageReference(`nginx@sha512:${'a0'.repeat(64)}`), false);
  });
});
