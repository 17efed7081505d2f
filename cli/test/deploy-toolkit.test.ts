import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Toolkit } from '@aws-cdk/toolkit-lib';
import { IMAGE_CONTEXT_KEY } from '@berth/infra';
import { ToolkitStackDeployer } from '../src/deploy/toolkit-deployer.js';
import { digest } from './fixtures/aws.js';
import { CART } from './fixtures/cart-config.js';

// ToolkitStackDeployer's deploy and destroy past the name check. Toolkit.deploy/destroy are the calls
// that reach AWS, so only they are replaced (and record their input); synth of infra's app is real.
// toolkit-lib's documented stack selection: "pattern-must-match" fails when a pattern matches no stack
// (@aws-cdk/toolkit-lib, StackSelectionStrategy).

const NETWORK = 'Berth-Test-eu-west-1-Network';
const SERVICE = 'Berth-Test-eu-west-1-Service';
const MONITORING = 'Berth-Test-eu-west-1-Monitoring';

type Selection = { stacks: { strategy: string; patterns?: string[] } };

describe('ToolkitStackDeployer: deploy and destroy (Toolkit calls recorded)', () => {
  it('deploys each named stack on its own, in the given order, with the context, and returns exactly their templates', async (t) => {
    const selected: Selection[] = [];
    t.mock.method(Toolkit.prototype, 'deploy', async (_assembly: unknown, options: Selection) => {
      selected.push(options);
    });
    const deployer = new ToolkitStackDeployer(CART, ['test']);

    const templates = await deployer.deploy([SERVICE, NETWORK], { [IMAGE_CONTEXT_KEY]: digest('b') });

    assert.deepEqual(selected, [
      { stacks: { strategy: 'pattern-must-match', patterns: [SERVICE] } },
      { stacks: { strategy: 'pattern-must-match', patterns: [NETWORK] } },
    ]);
    assert.deepEqual(templates.map((s) => s.stackName).sort(), [NETWORK, SERVICE]);
    // The context reached the app: the Service template pulls the digest it was given.
    const service = templates.find((s) => s.stackName === SERVICE)!;
    assert.ok(
      JSON.stringify(service.template).includes(`@${digest('b')}`),
      'the image digest is in the template',
    );
  });

  it('destroys each named stack on its own, in the given order', async (t) => {
    const selected: Selection[] = [];
    t.mock.method(Toolkit.prototype, 'destroy', async (_assembly: unknown, options: Selection) => {
      selected.push(options);
    });

    await new ToolkitStackDeployer(CART, ['test']).destroy([MONITORING, SERVICE]);

    assert.deepEqual(selected, [
      { stacks: { strategy: 'pattern-must-match', patterns: [MONITORING] } },
      { stacks: { strategy: 'pattern-must-match', patterns: [SERVICE] } },
    ]);
  });
});
