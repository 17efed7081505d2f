// Issue #13 item 4: what `berth ami build` and `berth bootstrap` read at run time is inside the published
// packages (package.json `files`), as `npm pack` would publish them. Reads the compiled dist/ (`npm test`
// builds it first; run `npm run build -w infra -w cli` before running this file alone).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MONOREPO = fileURLToPath(new URL('../../', import.meta.url));

interface Packed {
  readonly files: readonly string[];
  readonly manifest: {
    readonly dependencies: Record<string, string>;
    readonly exports: Record<string, Record<string, string>>;
  };
}

/** The file list `npm pack` would publish (prepack's build skipped: dist/ is what is already built). */
function packed(workspace: 'cli' | 'infra'): Packed {
  const dir = path.join(MONOREPO, workspace);
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [result] = JSON.parse(output) as { files: { path: string }[] }[];
  return {
    files: result!.files.map((f) => f.path),
    manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')),
  };
}

/** The packages a compiled module imports or resolves by bare name (not `node:`, not relative). */
function packageImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  // `require.resolve` too: the bootstrap command reads the CDK toolkit's template file that way.
  const specifiers = [...text.matchAll(/(?:from |import\(|require\.resolve\()\s*'([^'.][^']*)'/g)].map(
    (m) => m[1]!,
  );
  return specifiers
    .filter((s) => !s.startsWith('node:'))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('@berth/cli package', () => {
  const cli = packed('cli');

  it('ships the Packer template and every provisioning script, and no build output', () => {
    assert.deepEqual(cli.files.filter((f) => f.startsWith('ami/')).sort(), [
      'ami/berth-ecs-node.pkr.hcl',
      'ami/packer.pkr.hcl',
      'ami/scripts/10-security-updates.sh',
      'ami/scripts/20-cloudwatch-agent.sh',
      'ami/scripts/30-ssm-agent.sh',
      'ami/scripts/40-ecs-agent-defaults.sh',
      'ami/scripts/90-cleanup.sh',
    ]);
    assert.deepEqual(
      cli.files.filter((f) => /manifest\.json|^\.berth\/|^src\/|^test\//.test(f)),
      [],
    );
  });

  it('ships the ami and bootstrap commands compiled, importing only declared dependencies', () => {
    for (const file of [
      'bin/berth.js',
      'dist/commands/ami.js',
      'dist/ami/build.js',
      'dist/commands/bootstrap.js',
    ]) {
      assert.ok(cli.files.includes(file), `${file} is packed (built? npm run build -w cli)`);
    }
    const declared = Object.keys(cli.manifest.dependencies);
    for (const file of ['dist/commands/bootstrap.js', 'dist/ami/build.js']) {
      for (const name of packageImports(path.join(MONOREPO, 'cli', file))) {
        assert.ok(declared.includes(name), `${file} imports ${name}, not a dependency of @berth/cli`);
      }
    }
  });
});

describe('@berth/infra package', () => {
  const infra = packed('infra');

  it('ships the bootstrap generators and no pre-made bootstrap files', () => {
    for (const file of [
      'dist/lib/bootstrap.js',
      'dist/lib/bootstrap-template.js',
      'dist/lib/bootstrap-files.js',
      'dist/lib/bootstrap-files.d.ts',
    ]) {
      assert.ok(infra.files.includes(file), `${file} is packed (built? npm run build -w infra)`);
    }
    assert.deepEqual(
      infra.files.filter((f) => /\.(ya?ml|json)$/.test(f) && f !== 'package.json'),
      [],
    );
  });

  it('every export, ./bootstrap included, points at a packed file whose imports are dependencies', () => {
    assert.ok('./bootstrap' in infra.manifest.exports);
    const declared = Object.keys(infra.manifest.dependencies);
    for (const [entry, conditions] of Object.entries(infra.manifest.exports)) {
      for (const condition of ['types', 'default']) {
        const file = conditions[condition]!.replace(/^\.\//, '');
        assert.ok(infra.files.includes(file), `${entry} ${condition}: ${file} is packed`);
      }
    }
    for (const file of ['dist/lib/bootstrap-template.js', 'dist/lib/bootstrap-files.js']) {
      for (const name of packageImports(path.join(MONOREPO, 'infra', file))) {
        assert.ok(declared.includes(name), `${file} imports ${name}, not a dependency of @berth/infra`);
      }
    }
  });
});
