/**
 * An expected failure the user can act on: printed as one line (plus optional detail), exit code 1.
 * Anything else that escapes is a bug and is printed the same way, prefixed with "unexpected".
 */
export class CliError extends Error {
  constructor(
    message: string,
    /** Extra lines printed below the message (a failure diagnosis, stack guidance). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Reads an AWS SDK error's name without trusting its shape. */
export function awsErrorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
