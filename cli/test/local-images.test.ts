import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refuseOtherImages } from '../src/local/local-images.js';
import { planLocalRun } from '../src/local/run-plan.js';
import { TWO_IMAGES } from './scenarios/configs.js';

// berth up builds the app's primary image only (#13 item 2 leaves the rest out): a service that would run in a
// container from another build or a prebuilt image is refused by name. Expected values are literals.

describe('berth up: services that run other images', () => {
  it('names admin and docs (another build, a prebuilt image); api and jobs run the primary build', () => {
    const plan = planLocalRun(TWO_IMAGES.services, { containers: false });
    assert.throws(() => refuseOtherImages(plan, 'api'), {
      name: 'CliError',
      message:
        "admin, docs run images other than the app's primary build (api's): berth up does not build or pull them yet; give each a `dev` command in berth.config.ts (and run without --containers)",
    });
  });

  it('accepts them once they run their dev commands', () => {
    const services = TWO_IMAGES.services.map((s) =>
      s.name === 'admin' || s.name === 'docs' ? { ...s, dev: { command: ['./dev', s.name] } } : s,
    );
    assert.doesNotThrow(() => refuseOtherImages(planLocalRun(services, { containers: false }), 'api'));
    assert.throws(() => refuseOtherImages(planLocalRun(services, { containers: true }), 'api'), {
      message: /^admin, docs run images other than/,
    });
  });
});
