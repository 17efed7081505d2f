import type { IIoHost, IoMessage, IoRequest } from '@aws-cdk/toolkit-lib';
import type { Writer } from '../ui/progress.js';

/**
 * The toolkit's messages (stack events, diffs, warnings) go to stderr, never stdout: stdout carries
 * only berth's own result, so `berth deploy --json` stays parseable. Without a host, toolkit-lib
 * prints through its default console host. Debug and trace are dropped unless BERTH_DEBUG is set.
 */
export class StderrIoHost implements IIoHost {
  constructor(
    private readonly out: Writer,
    private readonly debug = Boolean(process.env.BERTH_DEBUG),
  ) {}

  async notify(msg: IoMessage<unknown>): Promise<void> {
    if (!this.debug && (msg.level === 'debug' || msg.level === 'trace')) return;
    this.out.write(`${msg.message}\n`);
  }

  /** berth runs unattended (CI, scripts): every question gets the toolkit's own default answer. */
  async requestResponse<T>(msg: IoRequest<unknown, T>): Promise<T> {
    await this.notify(msg);
    return msg.defaultResponse;
  }
}
