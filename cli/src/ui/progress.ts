import { formatSeconds } from '../duration.js';

export interface Writer {
  write(text: string): unknown;
}

/**
 * Progress lines on stderr, each prefixed with the time since the command started, so stdout stays
 * clean for `--json` and the URL. Repeated identical lines are dropped to keep long waits readable.
 */
export class Progress {
  private last = '';
  private readonly started: number;

  constructor(
    private readonly out: Writer = process.stderr,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  step(message: string): void {
    if (message === this.last) return;
    this.last = message;
    this.out.write(`[${formatSeconds(this.now() - this.started).padStart(6)}] ${message}\n`);
  }
}

/** A progress sink for tests and --json runs that still records what would have been shown. */
export class RecordingProgress extends Progress {
  readonly lines: string[] = [];

  constructor() {
    super({ write: () => true });
  }

  override step(message: string): void {
    this.lines.push(message);
  }
}
