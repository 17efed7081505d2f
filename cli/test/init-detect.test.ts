import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { appNameFrom } from '../src/init/app-name.js';
import { readDockerfile } from '../src/init/dockerfile.js';
import { findDockerfiles } from '../src/init/find-dockerfiles.js';
import { githubRepositoryFromRemote } from '../src/init/git-repository.js';
import { findHealthRoute } from '../src/init/health-route.js';

/** A throwaway folder holding `files` (path → content); removed after the test. */
function tree(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'berth-init-detect-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

describe('readDockerfile: EXPOSE', () => {
  it('reads a plain port, a protocol suffix and the first of several', () => {
    assert.equal(readDockerfile('FROM python:3.13-slim\nEXPOSE 8000\n').port, 8000);
    assert.equal(readDockerfile('FROM x\nEXPOSE 8000/tcp\n').port, 8000);
    assert.deepEqual(readDockerfile('FROM x\nEXPOSE 3000 9229\nEXPOSE 4000\n').exposed, [3000, 9229, 4000]);
    assert.equal(readDockerfile('FROM x\nexpose 5000\n').port, 5000, 'instructions are case-insensitive');
  });

  it('skips UDP ports and takes the start of a range', () => {
    assert.equal(readDockerfile('FROM x\nEXPOSE 53/udp 8053/tcp\n').port, 8053);
    assert.equal(readDockerfile('FROM x\nEXPOSE 7000-7010\n').port, 7000);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not JS
  it('substitutes ARG and ENV defaults, in either ENV form and ${VAR:-default}', () => {
    assert.equal(readDockerfile('FROM x\nARG PORT=8081\nEXPOSE $PORT\n').port, 8081);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not JS
    assert.equal(readDockerfile('ARG PORT=8082\nFROM x\nARG PORT\nEXPOSE ${PORT}/tcp\n').port, 8082);
    assert.equal(readDockerfile('FROM x\nENV APP_PORT 8083\nEXPOSE $APP_PORT\n').port, 8083);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not JS
    assert.equal(readDockerfile('FROM x\nENV A=1 APP_PORT="8084"\nEXPOSE ${APP_PORT}\n').port, 8084);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not JS
    assert.equal(readDockerfile('FROM x\nEXPOSE ${PORT:-8085}\n').port, 8085);
  });

  it('reports a variable it cannot resolve instead of guessing', () => {
    const facts = readDockerfile('FROM x\nARG PORT\nEXPOSE $PORT\n');
    assert.equal(facts.port, undefined);
    assert.equal(facts.unresolvedExpose, '$PORT');
  });

  it('joins continued lines and ignores comments, also inside a continuation', () => {
    const text = 'FROM x\n# EXPOSE 1111\nEXPOSE \\\n# a comment in the middle\n  8086 \\\n  8087\n';
    assert.deepEqual(readDockerfile(text).exposed, [8086, 8087]);
  });

  it("reads the final stage, and the earlier stage it is built FROM, not another stage's port", () => {
    const multi = 'FROM node:24 AS build\nEXPOSE 9999\nRUN make\nFROM nginx:1.29-alpine\nEXPOSE 8088\n';
    assert.equal(readDockerfile(multi).port, 8088);
    const inherited = 'FROM python:3.13 AS base\nEXPOSE 8089\nFROM base AS final\nRUN true\n';
    assert.equal(readDockerfile(inherited).port, 8089);
    const unrelated = 'FROM node:24 AS build\nEXPOSE 9998\nFROM nginx:1.29-alpine\nRUN true\n';
    assert.equal(readDockerfile(unrelated).port, undefined);
  });
});

describe('readDockerfile: HEALTHCHECK', () => {
  it('takes the path from a curl or wget URL, shell or exec form', () => {
    const curl = readDockerfile(
      'FROM x\nHEALTHCHECK --interval=30s CMD curl -f http://localhost:8000/health/live || exit 1\n',
    );
    assert.equal(curl.healthPath, '/health/live');
    assert.equal(curl.healthPort, 8000);
    const wget = readDockerfile(
      'FROM x\nHEALTHCHECK CMD ["wget", "-qO-", "http://127.0.0.1:3001/api/ping?deep=1"]\n',
    );
    assert.equal(wget.healthPath, '/api/ping?deep=1');
    assert.equal(wget.healthPort, 3001);
  });

  it('substitutes variables in the URL, and keeps the path when the port stays unknown', () => {
    const known = readDockerfile(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not JS
      'FROM x\nENV PORT=8090\nHEALTHCHECK CMD curl -f http://localhost:${PORT}/up\n',
    );
    assert.deepEqual([known.healthPath, known.healthPort], ['/up', 8090]);
    const unknown = readDockerfile('FROM x\nHEALTHCHECK CMD curl -f http://localhost:$PORT/alive\n');
    assert.deepEqual([unknown.healthPath, unknown.healthPort], ['/alive', undefined]);
  });

  it('has no path for HEALTHCHECK NONE, a command without a URL, or a URL with no path', () => {
    assert.equal(readDockerfile('FROM x\nHEALTHCHECK NONE\n').healthPath, undefined);
    assert.equal(readDockerfile('FROM x\nHEALTHCHECK CMD pg_isready\n').healthPath, undefined);
    assert.equal(readDockerfile('FROM x\nHEALTHCHECK CMD curl -f http://localhost:81\n').healthPath, '/');
  });

  it("lets the final stage's HEALTHCHECK NONE switch off an inherited one", () => {
    const text = 'FROM x AS base\nHEALTHCHECK CMD curl http://localhost/old\nFROM base\nHEALTHCHECK NONE\n';
    assert.equal(readDockerfile(text).healthPath, undefined);
  });
});

describe('findDockerfiles', () => {
  it('lists the root first (plain Dockerfile before variants), then one level of folders in order', (t) => {
    const root = tree(t, {
      'Dockerfile.dev': 'FROM x',
      Dockerfile: 'FROM x',
      'worker/Dockerfile': 'FROM x',
      'api/Containerfile': 'FROM x',
      'api/deep/Dockerfile': 'FROM x',
      'node_modules/pkg/Dockerfile': 'FROM x',
      '.devcontainer/Dockerfile': 'FROM x',
      '.dockerignore': 'node_modules',
      'api/web.Dockerfile': 'FROM x',
    });
    assert.deepEqual(findDockerfiles(root), [
      'Dockerfile',
      'Dockerfile.dev',
      'api/Containerfile',
      'api/web.Dockerfile',
      'worker/Dockerfile',
    ]);
  });

  it('finds none in a folder without one', (t) => {
    assert.deepEqual(findDockerfiles(tree(t, { 'README.md': '# hi' })), []);
  });
});

describe('findHealthRoute', () => {
  it('finds a quoted route in Python, Go and JavaScript sources', (t) => {
    const py = tree(t, { 'app.py': '@app.get("/healthz")\ndef healthz():\n    return "ok"\n' });
    assert.deepEqual(findHealthRoute(py), { route: '/healthz', file: 'app.py' });
    const go = tree(t, { 'cmd/server/main.go': 'http.HandleFunc("/ping", ping)\n' });
    assert.deepEqual(findHealthRoute(go), { route: '/ping', file: 'cmd/server/main.go' });
    const js = tree(t, { 'src/app.js': "app.get('/ready', (req, res) => res.send('ok'))\n" });
    assert.deepEqual(findHealthRoute(js), { route: '/ready', file: 'src/app.js' });
  });

  it('finds an nginx location block', (t) => {
    const root = tree(t, { 'nginx.conf': 'server {\n  location = /health {\n    return 200;\n  }\n}\n' });
    assert.deepEqual(findHealthRoute(root), { route: '/health', file: 'nginx.conf' });
  });

  it('prefers the earlier route of the list wherever it is, and matches routes exactly', (t) => {
    const root = tree(t, {
      'a.py': 'routes = ["/status", "/health/db"]\n',
      'z/b.py': 'ROUTE = "/readyz"\n',
    });
    assert.deepEqual(findHealthRoute(root), { route: '/readyz', file: 'z/b.py' });
  });

  it('reads no dependency folders, hidden folders or non-source files', (t) => {
    const root = tree(t, {
      'node_modules/express/index.js': "app.get('/healthz')",
      '.venv/lib/site.py': '"/healthz"',
      'README.md': 'GET "/healthz"',
      'index.html': '<a href="/status">status</a>',
    });
    assert.equal(findHealthRoute(root), undefined);
  });
});

describe('githubRepositoryFromRemote', () => {
  it('reads https and ssh forms, with or without .git', () => {
    assert.equal(githubRepositoryFromRemote('https://github.com/acme/shop.git'), 'acme/shop');
    assert.equal(githubRepositoryFromRemote('https://github.com/acme/shop'), 'acme/shop');
    assert.equal(githubRepositoryFromRemote('https://token@github.com/acme/shop.git'), 'acme/shop');
    assert.equal(githubRepositoryFromRemote('git@github.com:Acme-Corp/my.site.git'), 'Acme-Corp/my.site');
    assert.equal(githubRepositoryFromRemote('ssh://git@github.com/acme/cart_api.git\n'), 'acme/cart_api');
  });

  it('gives nothing for other hosts or shapes', () => {
    assert.equal(githubRepositoryFromRemote('https://gitlab.com/acme/shop.git'), undefined);
    assert.equal(githubRepositoryFromRemote('git@github.com.evil.example:acme/shop.git'), undefined);
    assert.equal(githubRepositoryFromRemote('https://github.com/acme'), undefined);
    assert.equal(githubRepositoryFromRemote('/srv/git/shop.git'), undefined);
  });
});

describe('appNameFrom', () => {
  it('lower-cases and turns other characters into single hyphens', () => {
    assert.equal(appNameFrom('Cart_API'), 'cart-api');
    assert.equal(appNameFrom('my.site.git'), 'my-site');
    assert.equal(appNameFrom('2024-Shop--Front'), 'shop-front');
  });

  it('stays within 20 characters without a trailing hyphen, and gives nothing when nothing is left', () => {
    assert.equal(appNameFrom('a-long-repository-name-for-a-service'), 'a-long-repository-na');
    assert.equal(appNameFrom('abcdefghijklmnopqrs-tu'), 'abcdefghijklmnopqrs');
    assert.equal(appNameFrom('abcdefghijklmnopqr-tu'), 'abcdefghijklmnopqr-t');
    assert.equal(appNameFrom('123'), undefined);
    assert.equal(appNameFrom('---'), undefined);
  });
});
