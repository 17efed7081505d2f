import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const INFRA_DIR = fileURLToPath(new URL('..', import.meta.url));

// Imports one of the package's entries in a fresh Node (from infra/, so the package resolves by its own
// name through package.json's exports) and lists every module URL resolved while it loads.
const PROBE = `
import { registerHooks } from 'node:module';
const resolved = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); resolved.push(r.url); return r; } });
await import(process.argv[1]);
process.stdout.write(JSON.stringify(resolved));
`;

async function modulesLoadedBy(entry: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@berth/source', '--import', 'tsx', '--input-type=module', '-e', PROBE, entry],
    { cwd: INFRA_DIR },
  );
  return JSON.parse(stdout) as string[];
}

const CDK_PACKAGES = /\/node_modules\/(aws-cdk-lib|constructs|cdk-nag)\//;

describe('@berth/infra package entries', () => {
  test('the light entry loads no CDK library (the CLI imports it on every command)', async () => {
    const loaded = await modulesLoadedBy('@berth/infra');
    assert.ok(
      loaded.some((url) => url.endsWith('/infra/lib/index.ts')),
      `resolved through the @berth/source condition: ${loaded[0]}`,
    );
    assert.deepEqual(
      loaded.filter((url) => CDK_PACKAGES.test(url)),
      [],
    );
  });

  test('the app entry does load aws-cdk-lib (so the probe above can see it)', async () => {
    const loaded = await modulesLoadedBy('@berth/infra/app');
    assert.ok(loaded.some((url) => url.includes('/node_modules/aws-cdk-lib/')));
  });
});
