import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../src/errors.js';
import { type Fetch, smokeTest } from '../src/smoke-test.js';

describe('smokeTest against an https://<name> URL', () => {
  it('calls readyz and api/products under the domain URL it is given', async () => {
    const called: string[] = [];
    const fake: Fetch = async (url) => {
      called.push(url);
      return new Response(url.endsWith('/api/products') ? '[]' : 'ok', { status: 200 });
    };
    await smokeTest('https://shop.berth-smoke.org', fake);
    assert.deepEqual(called, [
      'https://shop.berth-smoke.org/readyz',
      'https://shop.berth-smoke.org/api/products',
    ]);
  });

  it('a TLS name mismatch shows the reason fetch hides in `cause`, not only "fetch failed"', async () => {
    // Node's fetch rejects with TypeError("fetch failed") and the socket error as its cause.
    const altnames =
      "Hostname/IP does not match certificate's altnames: Host: shop.berth-smoke.org. is not in the cert's altnames: DNS:*.elb.amazonaws.com";
    const fake: Fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error(altnames) });
    };
    await assert.rejects(
      smokeTest('https://shop.berth-smoke.org', fake),
      (e: unknown) =>
        e instanceof CliError &&
        e.message ===
          `smoke test: GET https://shop.berth-smoke.org/readyz failed (fetch failed: ${altnames})`,
    );
  });
});
