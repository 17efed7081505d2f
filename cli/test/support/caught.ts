/** Awaiting a flow that must fail the way a user sees it: with a CliError (one line, its hints). */
import assert from 'node:assert/strict';
import { CliError } from '../../src/errors.js';

/** The CliError `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function caught(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof CliError, `expected a CliError, got ${String(error)}`);
  return error;
}
