/** Editing a config by dotted path in tests, and expecting the one-line error a bad `berth.config.ts` gives. */
import assert from 'node:assert/strict';
import { resolveConfig } from '../../config/resolve.js';
import { ConfigFileError } from '../../config/shape.js';

/**
 * A deep copy of `base` with each dotted path (`services.api.port`) set to its value; `undefined` deletes the key.
 * Objects missing on the way are created, so a test can add a section the fixture does not have. Returns
 * `unknown`: the edit is meant to produce configs the types would refuse.
 */
export function withPaths(base: unknown, changes: Record<string, unknown> = {}): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  for (const [at, value] of Object.entries(changes)) {
    const keys = at.split('.');
    let node = copy;
    for (const key of keys.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    if (value === undefined) delete node[keys.at(-1)!];
    else node[keys.at(-1)!] = value;
  }
  return copy;
}

/** `resolveConfig(input)` refuses it with a ConfigFileError whose message is exactly `message`. */
export function rejectsConfig(input: unknown, message: string): void {
  assert.throws(
    () => resolveConfig(input),
    (error: unknown) => {
      assert.ok(error instanceof ConfigFileError, String(error));
      assert.equal(error.message, message);
      return true;
    },
  );
}
