import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMPONENTS, GLOBAL_STACK_NAME, IMAGE_CONTEXT_KEY, stackName } from '../../infra/lib/naming.js';
import { ToolkitStackDeployer } from '../src/deploy/toolkit-deployer.js';
import { digest } from './fixtures/aws.js';

// A real deploy needs AWS; this covers what can run offline: in-process synth of infra's app through
// toolkit-lib, and the stack names the deploy and destroy orchestration select by.
describe('ToolkitStackDeployer (offline)', () => {
  const deployer = new ToolkitStackDeployer(['test']);

  it('synthesizes infra/lib/app.ts in-process with every stack the CLI deploys, by name', async () => {
    const names = await deployer.synthesizedStackNames({ [IMAGE_CONTEXT_KEY]: digest('a') });
    const expected = [GLOBAL_STACK_NAME, ...COMPONENTS.map((c) => stackName('test', 'eu-west-1', c))];
    for (const name of expected) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    assert.ok(!names.some((n) => n.startsWith('Berth-Prod-')), 'only the requested environment');
  });

  it('refuses a stack the app does not have before any AWS call', async () => {
    await assert.rejects(
      deployer.deploy(['Berth-Test-eu-west-1-Nope'], {}),
      /the CDK app has no stack named Berth-Test-eu-west-1-Nope/,
    );
  });
});
