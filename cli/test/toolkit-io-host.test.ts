import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StderrIoHost } from '../src/deploy/toolkit-io-host.js';

// berth's host for toolkit-lib's messages (cli/src/deploy/toolkit-io-host.ts), on its own: no synth, so these
// run in a moment (the ToolkitStackDeployer suites check that the toolkit's messages reach it).
describe('StderrIoHost', () => {
  const base = { time: new Date(), action: 'deploy' as const, data: undefined };

  it('passes debug and trace on when asked to', async () => {
    const lines: string[] = [];
    const host = new StderrIoHost({ write: (s: string) => lines.push(s) }, true);
    await host.notify({ ...base, level: 'debug', message: 'assembly at /tmp/cdk.out' });
    await host.notify({ ...base, level: 'trace', message: 'trace line' });
    assert.deepEqual(lines, ['assembly at /tmp/cdk.out\n', 'trace line\n']);
  });

  it('takes its default from BERTH_DEBUG', async (t) => {
    const lines: string[] = [];
    t.after(() => {
      delete process.env.BERTH_DEBUG;
    });
    delete process.env.BERTH_DEBUG;
    await new StderrIoHost({ write: (s: string) => lines.push(s) }).notify({
      ...base,
      level: 'debug',
      message: 'off',
    });
    process.env.BERTH_DEBUG = '1';
    await new StderrIoHost({ write: (s: string) => lines.push(s) }).notify({
      ...base,
      level: 'debug',
      message: 'on',
    });
    assert.deepEqual(lines, ['on\n']);
  });

  it('drops debug and trace unless asked, and answers questions with the default', async () => {
    const lines: string[] = [];
    const host = new StderrIoHost({ write: (s: string) => lines.push(s) }, false);
    await host.notify({ ...base, level: 'debug', message: 'noise' });
    await host.notify({ ...base, level: 'trace', message: 'more noise' });
    await host.notify({
      ...base,
      level: 'info',
      message: 'Berth-Test-eu-west-1-Network: deploying... [1/4]',
    });
    const answer = await host.requestResponse({
      ...base,
      level: 'info',
      code: 'CDK_TOOLKIT_I5060',
      message: 'Do you wish to deploy these changes',
      defaultResponse: true,
    });
    assert.deepEqual(lines, [
      'Berth-Test-eu-west-1-Network: deploying... [1/4]\n',
      'Do you wish to deploy these changes\n',
    ]);
    assert.equal(answer, true);
  });
});
