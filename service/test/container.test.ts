// The container image and compose files. The image is built and run for real with podman + runc, in a
// network namespace of the test's own, so nothing on the host (sysctls, bridges, iptables) is touched.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { commandExists, ensureLocalNodeImage, run } from './support/container-base.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Per process: other checkouts on the same machine may build and run this test at the same time.
const IMAGE = `localhost/berth-service:container-test-${process.pid}`;
const DRAIN_SECONDS = 3;
const PODMAN = ['--runtime', 'runc'];
// Without explicit limits runc cannot set RLIMIT_NOFILE on this kind of host.
const ULIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1024:1024'];

const hasPodman = await commandExists('podman');
const hasIproute = await commandExists('ip', ['-V']);
const hasYamllint = await commandExists('yamllint');

type ComposeService = Record<string, unknown> & {
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
};
type ComposeFile = { services: Record<string, ComposeService> };

async function readCompose(name: string): Promise<ComposeFile> {
  return parse(await readFile(new URL(`../../${name}`, import.meta.url), 'utf8')) as ComposeFile;
}

describe('compose files', () => {
  test('pass yamllint', { skip: !hasYamllint && 'yamllint is not installed' }, async () => {
    const config = `${REPO_ROOT}.yamllint.yaml`;
    const files = ['compose.dev.yaml', 'compose.prod.yaml'].map((name) => `${REPO_ROOT}${name}`);
    const problems = await run('yamllint', ['--strict', '-c', config, ...files], 30_000).then(
      () => '',
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    assert.equal(problems, '', `yamllint found problems:\n${problems}`);
  });

  test('compose.dev.yaml mounts the source, reloads on change and waits for a healthy Postgres', async () => {
    const { services } = await readCompose('compose.dev.yaml');
    const service = services.service!;
    assert.ok((service.volumes as string[]).includes('.:/app'), 'the repository is mounted at /app');
    assert.match(JSON.stringify(service.command), /npm run dev --workspace service/);
    assert.match(service.environment!.DATABASE_URL!, /^postgres:\/\/.+@postgres:5432\//);
    assert.deepEqual(service.depends_on, { postgres: { condition: 'service_healthy' } });
    assert.match(services.postgres!.healthcheck!.test.join(' '), /pg_isready/);
  });

  test('compose.prod.yaml runs the built image hardened like the ECS task', async () => {
    const { services } = await readCompose('compose.prod.yaml');
    const service = services.service!;
    assert.equal((service.build as { dockerfile: string }).dockerfile, 'Dockerfile');
    assert.equal(service.read_only, true);
    assert.ok(
      (service.tmpfs as string[]).some((mount) => mount.startsWith('/tmp')),
      'writable /tmp',
    );
    assert.equal(service.user, '1000:1000');
    assert.deepEqual(service.sysctls, { 'net.ipv4.ip_unprivileged_port_start': 0 });
    assert.deepEqual(service.cap_drop, ['ALL']);
    assert.ok(
      (service.ports as string[]).every((port) => port.endsWith(':80')),
      'container port 80',
    );
    assert.match(service.healthcheck!.test.join(' '), /\/healthz/);
    assert.equal(service.environment!.PGHOST, 'postgres');
    assert.deepEqual(service.depends_on, { postgres: { condition: 'service_healthy' } });
    assert.match(services.postgres!.healthcheck!.test.join(' '), /pg_isready/);
  });
});

describe('Dockerfile', () => {
  test('uses the official Node 24 slim base by default, a non-root user and exec-form CMD', async () => {
    const dockerfile = await readFile(new URL('../../Dockerfile', import.meta.url), 'utf8');
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    assert.match(dockerfile, /^USER 1000:1000$/m);
    assert.match(dockerfile, /^ENV [\s\S]*PORT=80/m);
    assert.match(dockerfile, /^EXPOSE 80$/m);
    assert.match(dockerfile, /^CMD \["node", "[^"]*dist\/server\.js"\]$/m);
    assert.match(dockerfile, /^HEALTHCHECK [\s\S]*CMD \["node"[^\n]*\/healthz/m);
    assert.match(dockerfile, /truststore\.pki\.rds\.amazonaws\.com\/global\/global-bundle\.pem/);
  });
});

describe('RDS CA bundle build stage', {
  skip: !hasPodman && 'podman is not installed',
  timeout: 180_000,
}, () => {
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';
  const TAG = 'localhost/berth-rds-ca:container-test';

  test('downloads the bundle at build time and fails the build on a bad download', async (t) => {
    // GIVEN a stand-in for the RDS trust store on loopback (the build runs on the host network)
    const store = createServer((request, response) => {
      if (request.url === '/global/global-bundle.pem') response.end(PEM);
      else response.writeHead(404).end();
    });
    store.listen(0, '127.0.0.1');
    await once(store, 'listening');
    t.after(() => store.close());
    const origin = `http://127.0.0.1:${(store.address() as AddressInfo).port}`;
    const base = await ensureLocalNodeImage();
    const build = (url: string) =>
      run('podman', [
        'build',
        ...['--format', 'docker', '--isolation', 'chroot', '--network', 'host', '--target', 'rds-ca'],
        ...['--build-arg', `NODE_IMAGE=${base}`, '--build-arg', `RDS_CA_BUNDLE_URL=${url}`, '--tag', TAG],
        REPO_ROOT,
      ]);

    // WHEN the stage is built THEN it holds exactly the served bundle
    await build(`${origin}/global/global-bundle.pem`);
    const read = "process.stdout.write(require('fs').readFileSync('/out/rds-global-bundle.pem', 'utf8'))";
    const { stdout } = await run('podman', [
      ...PODMAN,
      'run',
      '--rm',
      ...ULIMITS,
      '--network',
      'none',
      TAG,
      'node',
      '-e',
      read,
    ]);
    assert.equal(stdout, PEM);

    // WHEN the download fails THEN the build fails and says how to build offline
    await assert.rejects(build(`${origin}/missing.pem`), (error: { stdout?: string; stderr?: string }) =>
      /returned HTTP 404[\s\S]*RDS_CA_BUNDLE=skip/.test(`${error.stdout}${error.stderr}`),
    );
  });
});

/** Runs a node fetch inside the namespace, where the container's port 80 lives. */
async function fetchInNamespace(namespace: string, path: string): Promise<{ status: number; body: string }> {
  const script = `fetch('http://127.0.0.1:80${path}', { signal: AbortSignal.timeout(2000) })
    .then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })))
    .catch((e) => console.log(JSON.stringify({ status: 0, body: String(e.cause?.code ?? e.message) })));`;
  const { stdout } = await run('ip', ['netns', 'exec', namespace, process.execPath, '-e', script], 10_000);
  return JSON.parse(stdout) as { status: number; body: string };
}

async function waitForStatus(namespace: string, path: string, status: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = { status: 0, body: '' };
  while (Date.now() < deadline) {
    last = await fetchInNamespace(namespace, path);
    if (last.status === status) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `GET ${path} did not return ${status} within ${timeoutMs} ms (last: ${JSON.stringify(last)})`,
  );
}

/** Uid line of /proc/<pid>/status: real, effective, saved, filesystem. */
async function processUids(pid: number): Promise<number[]> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((entry) => entry.startsWith('Uid:'));
  return line!.split(/\s+/).slice(1, 5).map(Number);
}

/** Listening TCP ports of the process's network namespace (state 0A = LISTEN). */
async function listeningPorts(pid: number): Promise<number[]> {
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const row of text.split('\n').slice(1)) {
      const [, local, , state] = row.trim().split(/\s+/);
      if (state === '0A' && local) ports.push(Number.parseInt(local.split(':')[1]!, 16));
    }
  }
  return ports;
}

const containerSkip =
  (!hasPodman && 'podman is not installed') ||
  (!hasIproute && 'ip (Debian package iproute2) is not installed');

describe('container image', { skip: containerSkip, timeout: 420_000 }, () => {
  const suffix = `${process.pid}`;
  const namespace = `berth-ct-${suffix}`;
  const container = `berth-ct-${suffix}`;
  let pid = 0;

  const logs = async () => (await run('podman', ['logs', container]).catch(() => ({ stdout: '' }))).stdout;

  before(async () => {
    const base = await ensureLocalNodeImage();
    await run(
      'podman',
      [
        'build',
        // The OCI image format has no HEALTHCHECK; Docker's format (what docker build produces) keeps it.
        '--format',
        'docker',
        '--isolation',
        'chroot',
        '--network',
        'host',
        '--build-arg',
        `NODE_IMAGE=${base}`,
        // No route to the RDS trust store from here.
        '--build-arg',
        'RDS_CA_BUNDLE=skip',
        '--tag',
        IMAGE,
        REPO_ROOT,
      ],
      // Uncached (new lockfile) this runs two npm ci; seconds once the layers are cached.
      360_000,
    );
    await run('ip', ['netns', 'add', namespace]);
    await run('ip', ['netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up']);
  });

  after(async () => {
    await run('podman', ['rm', '--force', '--time', '0', container]).catch(() => undefined);
    await run('podman', ['rm', '--force', '--time', '0', `${container}-worker`]).catch(() => undefined);
    await run('ip', ['netns', 'delete', namespace]).catch(() => undefined);
    await run('podman', ['rmi', '--force', IMAGE]).catch(() => undefined);
  });

  test('starts on a read-only root filesystem and reports ready on port 80', async () => {
    await run('podman', [
      ...PODMAN,
      'run',
      '--detach',
      '--name',
      container,
      ...ULIMITS,
      '--network',
      `ns:/run/netns/${namespace}`,
      // What the ECS task definition sets, so the non-root user may bind port 80.
      '--sysctl',
      'net.ipv4.ip_unprivileged_port_start=0',
      '--read-only',
      '--tmpfs',
      '/tmp:rw,size=256m,mode=1777',
      '--env',
      'DATA_DIR=/tmp/data',
      '--env',
      `SHUTDOWN_DRAIN_SECONDS=${DRAIN_SECONDS}`,
      IMAGE,
    ]);
    pid = Number((await run('podman', ['inspect', '--format', '{{.State.Pid}}', container])).stdout.trim());
    assert.ok(pid > 0, 'the container has a running process');

    const ready = await waitForStatus(namespace, '/readyz', 200, 90_000).catch(async (error: Error) =>
      assert.fail(`${error.message}\ncontainer logs:\n${await logs()}`),
    );
    assert.equal(ready.status, 200);
    assert.ok((await listeningPorts(pid)).includes(80), 'the service listens on port 80');
    const storefront = await fetchInNamespace(namespace, '/');
    assert.equal(storefront.status, 200);
    assert.match(
      storefront.body,
      /<title>Berth Supply Co\.<\/title>/,
      'the storefront is shipped in the image',
    );
  });

  test('runs as the non-root uid 1000', async () => {
    assert.deepEqual(await processUids(pid), [1000, 1000, 1000, 1000]);
  });

  test('cannot write outside /tmp', async () => {
    const write = run('podman', [
      'exec',
      container,
      'node',
      '-e',
      "require('fs').writeFileSync('/app/x', '')",
    ]);
    await assert.rejects(write, (error: { stderr?: string }) => /EROFS|read-only/i.test(error.stderr ?? ''));
  });

  test('holds production dependencies only', async () => {
    const resolve = (name: string) =>
      run('podman', ['exec', container, 'node', '-e', `require.resolve(${JSON.stringify(name)})`]);
    await resolve('fastify');
    await assert.rejects(resolve('typescript'), 'the compiler is not shipped');
    await assert.rejects(resolve('playwright-core'), 'dev dependencies are not shipped');
  });

  test('passes its own HEALTHCHECK', async () => {
    await run('podman', ['healthcheck', 'run', container]).catch(async (error: { stdout?: string }) =>
      assert.fail(`healthcheck failed: ${error.stdout}\ncontainer logs:\n${await logs()}`),
    );
  });

  test('on SIGTERM reports not ready, drains, then exits 0', async () => {
    const started = Date.now();
    const stop = new Promise<number | null>((resolve, reject) => {
      const child = spawn('podman', ['stop', '--time', '30', container], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', resolve);
    });

    await waitForStatus(namespace, '/readyz', 503, DRAIN_SECONDS * 1000);
    assert.equal(await stop, 0, 'podman stop succeeded');
    const elapsedMs = Date.now() - started;

    const exitCode = (
      await run('podman', ['inspect', '--format', '{{.State.ExitCode}}', container])
    ).stdout.trim();
    assert.equal(
      exitCode,
      '0',
      `exit code 0 after SIGTERM, not 137 (SIGKILL)\ncontainer logs:\n${await logs()}`,
    );
    assert.ok(
      elapsedMs >= DRAIN_SECONDS * 1000 - 500,
      `served for the drain period (stopped after ${elapsedMs} ms)`,
    );
    assert.ok(elapsedMs < 30_000, `stopped before the kill timeout (${elapsedMs} ms)`);
  });

  // A worker service runs this image with its own command (the cart's: `node dist/worker.js`), exec form as in
  // the task definition, so node is PID 1 and receives ECS's SIGTERM itself: the stop must end in exit 0
  // within the stop timeout, never in the SIGKILL (137) that follows it.
  test('the worker command, stopped as ECS stops a task: SIGTERM, exit 0 before the stop timeout', async () => {
    const worker = `${container}-worker`;
    await run('podman', [
      ...PODMAN,
      'run',
      '--detach',
      '--name',
      worker,
      ...ULIMITS,
      '--network',
      `ns:/run/netns/${namespace}`,
      '--read-only',
      '--tmpfs',
      '/tmp:rw,size=256m,mode=1777',
      '--env',
      'DATA_DIR=/tmp/worker-data',
      // An hour between passes: the stop must interrupt the wait, not ride it out.
      '--env',
      'WORKER_INTERVAL_SECONDS=3600',
      IMAGE,
      'node',
      'dist/worker.js',
    ]);
    const workerLogs = async () =>
      (await run('podman', ['logs', worker]).catch(() => ({ stdout: '' }))).stdout;
    const deadline = Date.now() + 90_000;
    while (!/"msg":"worker started"/.test(await workerLogs())) {
      if (Date.now() > deadline) assert.fail(`the worker did not start\n${await workerLogs()}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    const started = Date.now();
    await run('podman', ['stop', '--time', '30', worker]);
    const elapsedMs = Date.now() - started;
    const exitCode = (
      await run('podman', ['inspect', '--format', '{{.State.ExitCode}}', worker])
    ).stdout.trim();
    assert.equal(exitCode, '0', `exit code 0 after SIGTERM, not 137 (SIGKILL)\n${await workerLogs()}`);
    assert.match(await workerLogs(), /"msg":"stopped cleanly"/);
    assert.ok(elapsedMs < 30_000, `stopped before the kill timeout (${elapsedMs} ms)`);
  });
});
