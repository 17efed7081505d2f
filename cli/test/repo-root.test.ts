import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PACKAGE_DIR } from '../src/package-dir.js';
import { findRepoRoot } from '../src/repo-root.js';

const scratch = realpathSync(mkdtempSync(path.join(tmpdir(), 'berth-project-root-')));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Creates `files` (relative path → content) under a fresh folder and returns it. */
function tree(name: string, files: Record<string, string>): string {
  const root = path.join(scratch, name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

describe('the project root (the user repository Berth works on)', () => {
  it('is the nearest folder above the working directory holding berth.config.ts', () => {
    const repo = tree('python-service', {
      'berth.config.ts': 'export default {};\n',
      'package.json': '{ "devDependencies": { "@berth/cli": "0.1.0" } }\n',
      'src/api/app.py': '',
    });
    assert.equal(findRepoRoot(path.join(repo, 'src/api')), repo);
  });

  it('prefers berth.config.ts over an npm workspaces root above it', () => {
    const mono = tree('monorepo', {
      'package.json': '{ "workspaces": ["apps/*"] }\n',
      'apps/shop/berth.config.ts': 'export default {};\n',
      'apps/shop/web/index.html': '',
    });
    assert.equal(findRepoRoot(path.join(mono, 'apps/shop/web')), path.join(mono, 'apps/shop'));
  });

  it("without berth.config.ts is the npm workspaces root (Berth's own repository), else the working directory", () => {
    const mono = tree('workspaces-only', {
      'package.json': '{ "workspaces": ["a"] }\n',
      'a/package.json': '{}\n',
    });
    assert.equal(findRepoRoot(path.join(mono, 'a')), mono);
    const plain = tree('static-site', { 'package.json': '{}\n', 'public/index.html': '' });
    assert.equal(findRepoRoot(path.join(plain, 'public')), path.join(plain, 'public'));
  });
});

describe('the package folder (files Berth ships)', () => {
  it("is @berth/cli's own folder, wherever the working directory is", () => {
    assert.equal(PACKAGE_DIR, fileURLToPath(new URL('../', import.meta.url)));
  });
});
