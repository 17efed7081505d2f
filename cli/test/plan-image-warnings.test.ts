import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configWarnings } from '../src/plan/config-warnings.js';
import { TWO_IMAGES } from './scenarios/configs.js';

// A prebuilt image named by a tag runs whatever the tag names when each task starts (#13 item 2): the plan
// says so for that service, and not for built or digest-pinned images. Expected values are literals.

const DIGEST = `sha256:${'d4'.repeat(32)}`;

describe('berth plan: prebuilt images not pinned by digest', () => {
  it('warns for docs in prod (a tag), with the fix; the built services have no warning', () => {
    const { prod } = TWO_IMAGES.environments;
    assert.deepEqual(configWarnings(prod, TWO_IMAGES.environments), [
      'services.docs.image = "public.ecr.aws/nginx/nginx:1.27" is not pinned by digest: each task pulls what the tag names when it starts, so test and prod can run different images; pin it as public.ecr.aws/nginx/nginx:1.27@sha256:<digest>',
    ]);
  });

  it('says nothing once the reference carries a digest', () => {
    const { prod } = TWO_IMAGES.environments;
    const pinned = {
      ...prod,
      services: prod.services.map((s) =>
        s.name === 'docs' ? { ...s, image: { prebuilt: `public.ecr.aws/nginx/nginx:1.27@${DIGEST}` } } : s,
      ),
    };
    assert.deepEqual(configWarnings(pinned, TWO_IMAGES.environments), []);
  });
});
