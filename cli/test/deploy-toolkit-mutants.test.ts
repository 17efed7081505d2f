/**
 * ToolkitStackDeployer's contract with @aws-cdk/toolkit-lib beyond what deploy-toolkit.test.ts pins: every
 * synthesized assembly is disposed (toolkit-lib, Toolkit.synth: "The caller assumes ownership of the
 * `CachedCloudAssembly` and is responsible for calling `dispose()` on it after use"), also when the name check
 * refuses; the list of known stacks is asked for all stacks; the refusal names every unknown stack and only those.
 * Synth of infra's app is real; Toolkit.deploy/destroy (the calls that reach AWS) are replaced and record their input.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Toolkit } from '@aws-cdk/toolkit-lib';
import { IMAGE_CONTEXT_KEY } from '@berth/infra';
import { ToolkitStackDeployer } from '../src/deploy/toolkit-deployer.js';
import { digest } from './fixtures/aws.js';
import { CART } from './fixtures/cart-config.js';

const NETWORK = 'Berth-Test-eu-west-1-Network';
const DATA = 'Berth-Test-eu-west-1-Data';

/** Counts the assemblies Toolkit.synth hands out and the ones disposed, and records what Toolkit.list is asked. */
function watchToolkit(t: TestContext) {
  const seen = {
    synthesized: 0,
    disposed: 0,
    listed: [] as unknown[],
    deployed: [] as unknown[],
    destroyed: [] as unknown[],
  };
  const realSynth = Toolkit.prototype.synth;
  const realList = Toolkit.prototype.list;
  t.mock.method(
    Toolkit.prototype,
    'synth',
    async function (this: Toolkit, ...args: Parameters<Toolkit['synth']>) {
      const assembly = await realSynth.apply(this, args);
      seen.synthesized++;
      const dispose = assembly.dispose.bind(assembly);
      assembly.dispose = async () => {
        seen.disposed++;
        await dispose();
      };
      return assembly;
    },
  );
  t.mock.method(
    Toolkit.prototype,
    'list',
    async function (this: Toolkit, ...args: Parameters<Toolkit['list']>) {
      seen.listed.push(args[1]);
      return realList.apply(this, args);
    },
  );
  t.mock.method(Toolkit.prototype, 'deploy', async (_assembly: unknown, options: unknown) => {
    seen.deployed.push(options);
  });
  t.mock.method(Toolkit.prototype, 'destroy', async (_assembly: unknown, options: unknown) => {
    seen.destroyed.push(options);
  });
  return seen;
}

const ALL_STACKS = { stacks: { strategy: 'all-stacks' } };

describe('ToolkitStackDeployer: assemblies and the name check', () => {
  it('lists all stacks of the assembly and disposes it after reading the names', async (t) => {
    const seen = watchToolkit(t);
    await new ToolkitStackDeployer(CART, ['test']).synthesizedStackNames({
      [IMAGE_CONTEXT_KEY]: digest('c'),
    });
    assert.deepEqual(seen.listed, [ALL_STACKS]);
    assert.deepEqual(
      { synthesized: seen.synthesized, disposed: seen.disposed },
      { synthesized: 1, disposed: 1 },
    );
  });

  it('names every unknown stack (and no known one) and still disposes the assembly; nothing is deployed', async (t) => {
    const seen = watchToolkit(t);
    await assert.rejects(
      new ToolkitStackDeployer(CART, ['test']).deploy(
        [NETWORK, 'Berth-Test-eu-west-1-Nope', 'Berth-Test-eu-west-1-Nada'],
        { [IMAGE_CONTEXT_KEY]: digest('c') },
      ),
      {
        name: 'CliError',
        message:
          /^the CDK app has no stack named Berth-Test-eu-west-1-Nope, Berth-Test-eu-west-1-Nada: check /,
      },
    );
    assert.deepEqual(seen.deployed, []);
    assert.deepEqual(seen.listed, [ALL_STACKS]);
    assert.deepEqual(
      { synthesized: seen.synthesized, disposed: seen.disposed },
      { synthesized: 1, disposed: 1 },
    );
  });

  it('disposes the assembly after a deploy', async (t) => {
    const seen = watchToolkit(t);
    const templates = await new ToolkitStackDeployer(CART, ['test']).deploy([DATA], {
      [IMAGE_CONTEXT_KEY]: digest('c'),
    });
    assert.deepEqual(
      templates.map((s) => s.stackName),
      [DATA],
    );
    assert.deepEqual(seen.deployed, [{ stacks: { strategy: 'pattern-must-match', patterns: [DATA] } }]);
    assert.deepEqual(
      { synthesized: seen.synthesized, disposed: seen.disposed },
      { synthesized: 1, disposed: 1 },
    );
  });

  it('disposes the assembly after a destroy, and after a refused one', async (t) => {
    const seen = watchToolkit(t);
    const deployer = new ToolkitStackDeployer(CART, ['test']);
    await deployer.destroy([DATA]);
    await assert.rejects(deployer.destroy(['Berth-Test-eu-west-1-Dtaa']), {
      message: /^the CDK app has no stack named Berth-Test-eu-west-1-Dtaa: check /,
    });
    assert.deepEqual(seen.destroyed, [{ stacks: { strategy: 'pattern-must-match', patterns: [DATA] } }]);
    assert.deepEqual(
      { synthesized: seen.synthesized, disposed: seen.disposed },
      { synthesized: 2, disposed: 2 },
    );
  });
});
