import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMPONENTS, IMAGE_CONTEXT_KEY } from '@berth/infra';
import { ToolkitStackDeployer } from '../src/deploy/toolkit-deployer.js';
import { StderrIoHost } from '../src/deploy/toolkit-io-host.js';
import { digest } from './fixtures/aws.js';
import { CART, GLOBAL_STACK_NAME, stackName } from './fixtures/cart-config.js';

// A real deploy needs AWS; this covers what can run offline: in-process synth of infra's app through
// toolkit-lib, and the stack names the deploy and destroy orchestration select by.
describe('ToolkitStackDeployer (offline)', () => {
  const deployer = new ToolkitStackDeployer(CART, ['test']);

  it('synthesizes the app from @berth/infra/app in-process with every stack the CLI deploys, by name', async () => {
    const names = await deployer.synthesizedStackNames({ [IMAGE_CONTEXT_KEY]: digest('a') });
    const expected = [GLOBAL_STACK_NAME, ...COMPONENTS.map((c) => stackName('test', 'eu-west-1', c))];
    for (const name of expected) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    assert.ok(!names.some((n) => n.startsWith('Berth-Prod-')), 'only the requested environment');
  });

  it('refuses a stack the app does not have before any AWS call', async () => {
    await assert.rejects(
      deployer.deploy(['Berth-Test-eu-west-1-Nope'], {}),
      /the CDK app has no stack named Berth-Test-eu-west-1-Nope: check @berth\/infra's createApp \(it has (?=.*Berth-Global)(?=.*Berth-Test-eu-west-1-Network, ).*\)$/,
    );
  });

  it('refuses a typo in a stack to destroy instead of selecting nothing', async () => {
    await assert.rejects(
      deployer.destroy(['Berth-Test-eu-west-1-Netwrok']),
      /the CDK app has no stack named Berth-Test-eu-west-1-Netwrok/,
    );
  });

  it("sends the toolkit's messages to berth's host (stderr), not to toolkit-lib's console host", async () => {
    const messages: string[] = [];
    const host = new StderrIoHost({ write: (s: string) => messages.push(s) }, true);
    await new ToolkitStackDeployer(CART, ['test'], host).synthesizedStackNames({
      [IMAGE_CONTEXT_KEY]: digest('a'),
    });
    assert.ok(messages.length > 0, 'the host received the synth messages');
  });
});
