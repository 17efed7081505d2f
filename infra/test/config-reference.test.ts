import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configReference, REFERENCE_FILE } from '../../scripts/config-reference.js';

test('docs/config-reference.md is what the config types’ doc comments say (run `npm run docs:config`)', () => {
  const generated = configReference();
  // Spot checks that the generator reads what it should: a field, its type, its default, its comment.
  assert.match(generated, /^\| `natGateways` \| `2 \\\| 1` \| test 1, prod 2 \| 1 shares one NAT gateway/m);
  assert.match(generated, /^\| `app` \| `string` \| required \| The application's name/m);
  assert.equal(readFileSync(REFERENCE_FILE, 'utf8'), generated, 'stale: run `npm run docs:config`');
});
