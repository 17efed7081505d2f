/**
 * `berth up` for an app whose services run several images, against a fake podman that records the exact
 * argument lists it gets (fixtures/fake-podman.mjs): each distinct build built once with its own Dockerfile,
 * context, target and arguments (then the --build-arg flags), a prebuilt image pulled once (Docker Hub for a
 * short name; the local copy when the pull fails), no build for a service that runs its dev command, each
 * container run from its own image. Needs neither podman nor HAProxy: it runs everywhere.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { upBanner } from '../src/commands/up.js';
import { type AppUpOptions, type RunningApp, startApp } from '../src/local/app-up.js';
import { freePort } from '../src/local/free-port.js';
import type { LocalBuild } from '../src/local/local-images.js';
import type { LocalService } from '../src/local/run-plan.js';

const FAKE_PODMAN = fileURLToPath(new URL('./fixtures/fake-podman.mjs', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));

interface FakePodman {
  readonly dir: string;
  readonly bin: string;
  calls(): Promise<string[][]>;
}

/** A scratch project with a `podman` (and a `runc`, so `--runtime runc` is passed on every machine). */
async function fakePodman(): Promise<FakePodman> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-fake-podman-'));
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  // berth up signals a container with a podman of its own environment: the directory goes in the wrapper.
  const wrapper = `#!/bin/sh\nFAKE_PODMAN_DIR='${dir}' exec '${process.execPath}' '${FAKE_PODMAN}' "$@"\n`;
  await writeFile(path.join(bin, 'podman'), wrapper, { mode: 0o755 });
  await writeFile(path.join(bin, 'runc'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  await writeFile(path.join(dir, 'calls.jsonl'), '');
  for (const file of ['Dockerfile', 'mailer/Dockerfile', 'reports/Dockerfile']) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), 'FROM scratch\n');
  }
  return {
    dir,
    bin,
    calls: async () =>
      (await readFile(path.join(dir, 'calls.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string[]),
  };
}

const service = (name: string, kind: 'web' | 'worker', image: LocalService['image'], extra = {}) =>
  ({ name, kind, image, environment: {}, secrets: {}, database: false, ...extra }) as LocalService;

const BUILDS: LocalBuild[] = [
  { key: 'site', dockerfile: 'Dockerfile', context: '.', args: {} },
  {
    key: 'mailer',
    dockerfile: 'mailer/Dockerfile',
    context: 'mailer',
    target: 'runtime',
    args: { FLAVOUR: 'slim' },
  },
  { key: 'reports', dockerfile: 'reports/Dockerfile', context: 'reports', args: {} },
];

function options(
  fake: FakePodman,
  port: number,
  services: LocalService[],
  extra: Partial<AppUpOptions> = {},
) {
  const lines: string[] = [];
  const output: string[] = [];
  const opts: AppUpOptions = {
    app: 'shop',
    projectRoot: fake.dir,
    builds: BUILDS,
    services,
    listenHost: '127.0.0.1',
    listenPort: port,
    dataDir: path.join(fake.dir, '.data'),
    shell: { PATH: `${fake.bin}:/usr/bin:/bin` },
    log: (line) => lines.push(line),
    output: (line) => output.push(line),
    ...extra,
  };
  return { opts, lines, output };
}

/** What `podman run` ran: the image and the command after it (these containers get no --env). */
const ranFrom = (args: readonly string[]) => args.slice(args.indexOf('/tmp') + 1);

describe('berth up with several images (fake podman)', { timeout: 60_000 }, () => {
  let fake: FakePodman;
  let app: RunningApp;
  let port: number;
  let run: ReturnType<typeof options>;
  let beforeStop: string[][];

  before(async () => {
    fake = await fakePodman();
    port = await freePort();
    const keepRunning = 'process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000)';
    run = options(
      fake,
      port,
      [
        service(
          'site',
          'web',
          { build: 'site' },
          {
            port: 8080,
            healthCheckPath: '/healthz',
            release: { command: ['./migrate'] },
          },
        ),
        service('jobs', 'worker', { build: 'site' }, { command: ['./jobs'] }),
        service('mailer', 'worker', { build: 'mailer' }),
        service('cache', 'worker', { prebuilt: 'redis:7.4' }),
        service('metrics', 'worker', { prebuilt: 'ghcr.io/acme/metrics:2' }),
        service(
          'reports',
          'worker',
          { build: 'reports' },
          {
            dev: { command: [process.execPath, '-e', keepRunning] },
          },
        ),
      ],
      { buildArgs: ['FLAVOUR=fat', 'NODE_IMAGE=localhost/node:24'] },
    );
    run.opts = {
      ...run.opts,
      shell: {
        ...run.opts.shell,
        FAKE_PODMAN_PULL_FAILS: 'ghcr.io/acme/metrics:2',
        FAKE_PODMAN_LOCAL: 'ghcr.io/acme/metrics:2',
      },
    };
    app = await startApp(run.opts);
    beforeStop = await fake.calls();
  });

  after(async () => {
    await app?.stop();
    if (fake) await rm(fake.dir, { recursive: true, force: true });
  });

  it('builds each build a container runs once, with its own settings and then the flags, and pulls each prebuilt image once', () => {
    const d = fake.dir;
    assert.deepEqual(
      beforeStop.filter((args) => args[0] !== 'run'),
      [
        // site and jobs share the primary build: one build, tagged as the primary image.
        [
          'build',
          '--isolation',
          'chroot',
          '--network',
          'host',
          '--build-arg',
          'FLAVOUR=fat',
          '--build-arg',
          'NODE_IMAGE=localhost/node:24',
          '--tag',
          'localhost/shop:local',
          '--file',
          `${d}/Dockerfile`,
          d,
        ],
        // mailer's own build: its args first, so the flag's FLAVOUR wins; its stage; its own tag.
        [
          'build',
          '--isolation',
          'chroot',
          '--network',
          'host',
          '--build-arg',
          'FLAVOUR=slim',
          '--build-arg',
          'FLAVOUR=fat',
          '--build-arg',
          'NODE_IMAGE=localhost/node:24',
          '--target',
          'runtime',
          '--tag',
          'localhost/shop:mailer-local',
          '--file',
          `${d}/mailer/Dockerfile`,
          `${d}/mailer`,
        ],
        ['pull', 'docker.io/library/redis:7.4'],
        ['pull', 'ghcr.io/acme/metrics:2'],
        ['image', 'exists', 'ghcr.io/acme/metrics:2'],
      ],
    );
    // reports runs its dev command: its build is not built.
    assert.ok(!beforeStop.flat().includes(`${d}/reports/Dockerfile`));
  });

  it('runs the release command, then each container, from its own service image', () => {
    const runs = beforeStop.filter((args) => args[0] === 'run');
    assert.deepEqual(runs[0], [
      'run',
      '--rm',
      '--replace',
      '--name',
      'berth-shop-site-release',
      '--runtime',
      'runc',
      '--ulimit',
      'nofile=20000:20000',
      '--ulimit',
      'nproc=1024:1024',
      '--network',
      'slirp4netns:allow_host_loopback=true',
      '--sysctl',
      'net.ipv4.ip_unprivileged_port_start=0',
      '--user',
      '1000',
      '--read-only',
      '--tmpfs',
      '/tmp',
      'localhost/shop:local',
      './migrate',
    ]);
    // The services start together: their `podman run`s may be recorded in any order.
    const named = (args: readonly string[]) => args[args.indexOf('--name') + 1]!;
    const others = runs.slice(1).sort((a, b) => named(a).localeCompare(named(b)));
    assert.deepEqual(others.map(named), [
      'berth-shop-cache',
      'berth-shop-jobs',
      'berth-shop-mailer',
      'berth-shop-metrics',
      'berth-shop-site',
    ]);
    assert.deepEqual(others[4], [
      'run',
      '--rm',
      '--replace',
      '--name',
      'berth-shop-site',
      '--runtime',
      'runc',
      '--ulimit',
      'nofile=20000:20000',
      '--ulimit',
      'nproc=1024:1024',
      '--network',
      'slirp4netns:allow_host_loopback=true',
      '--sysctl',
      'net.ipv4.ip_unprivileged_port_start=0',
      '--user',
      '1000',
      '--read-only',
      '--tmpfs',
      '/tmp',
      '--publish',
      `127.0.0.1:${port}:8080`,
      '--env',
      'PORT',
      'localhost/shop:local',
    ]);
    assert.deepEqual(
      others.slice(0, 4).map((args) => [named(args), ...ranFrom(args)]),
      [
        ['berth-shop-cache', 'docker.io/library/redis:7.4'],
        ['berth-shop-jobs', 'localhost/shop:local', './jobs'],
        ['berth-shop-mailer', 'localhost/shop:mailer-local'],
        ['berth-shop-metrics', 'ghcr.io/acme/metrics:2'],
      ],
    );
  });

  it('serves the web container on its address, and says which images it built, pulled or ran from the local copy', async () => {
    assert.equal(app.url, `http://127.0.0.1:${port}/`);
    const body = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json();
    assert.deepEqual(body, { name: 'berth-shop-site', image: 'localhost/shop:local', command: [] });
    const podmanLines = run.lines
      .filter((l) => l.startsWith('podman: '))
      .map((l) => l.replace(/ in \d+\.\d s$/, ''));
    assert.deepEqual(podmanLines, [
      'podman: building localhost/shop:local from Dockerfile (site, jobs)',
      'podman: built localhost/shop:local',
      'podman: building localhost/shop:mailer-local from mailer/Dockerfile (mailer)',
      'podman: built localhost/shop:mailer-local',
      'podman: pulling docker.io/library/redis:7.4 (cache)',
      'podman: pulled docker.io/library/redis:7.4',
      'podman: pulling ghcr.io/acme/metrics:2 (metrics)',
      'podman: could not pull ghcr.io/acme/metrics:2 (Error: initializing source docker://ghcr.io/acme/metrics:2: pinging container registry: connection refused); running the copy podman has, as ECS does',
    ]);
  });

  it('stops each container through podman kill', async () => {
    await app.stop();
    const kills = (await fake.calls()).filter((args) => args[0] === 'kill').map((args) => args.join(' '));
    assert.deepEqual(kills.sort(), [
      'kill --signal SIGTERM berth-shop-cache',
      'kill --signal SIGTERM berth-shop-jobs',
      'kill --signal SIGTERM berth-shop-mailer',
      'kill --signal SIGTERM berth-shop-metrics',
      'kill --signal SIGTERM berth-shop-site',
    ]);
    assert.ok(run.lines.includes('reports stopped (code 0)'), run.lines.join('\n'));
  });
});

describe('berth up: an app of workers only, and a prebuilt image that cannot be had (fake podman)', {
  timeout: 60_000,
}, () => {
  it('needs no free address, prints no URL and starts no router', async (t) => {
    const fake = await fakePodman();
    // Something else holds the address: a workers-only app does not listen there, so it still starts.
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => taken.once('listening', resolve));
    let app: RunningApp | undefined;
    // In this order: stopping the containers needs the fake's directory (after hooks run first to last).
    t.after(async () => {
      await app?.stop();
      taken.close();
      await rm(fake.dir, { recursive: true, force: true });
    });
    const port = (taken.address() as { port: number }).port;
    const { opts } = options(fake, port, [
      service('ingest', 'worker', { prebuilt: 'acme/ingest:3' }),
      service('digest', 'worker', { build: 'site' }),
    ]);
    app = await startApp(opts);
    assert.equal(app.url, undefined);
    assert.deepEqual(app.endpoints, []);
    assert.equal(
      upBanner(app, '/srv/feeds/.data'),
      'berth is up (data in /srv/feeds/.data); no web service: nothing to open; Ctrl-C stops it\n',
    );
    const calls = await fake.calls();
    assert.deepEqual(
      calls.filter((args) => args[0] !== 'run').map((args) => args.slice(0, 2)),
      [
        ['pull', 'docker.io/acme/ingest:3'],
        ['build', '--isolation'],
      ],
    );
    assert.deepEqual(
      calls
        .filter((args) => args[0] === 'run')
        .map((args) => ranFrom(args)[0])
        .sort(),
      ['docker.io/acme/ingest:3', 'localhost/shop:local'],
    );
  });

  it('refuses in one line when a pull fails and podman has no copy, before any container runs', async (t) => {
    const fake = await fakePodman();
    t.after(() => rm(fake.dir, { recursive: true, force: true }));
    const { opts } = options(fake, await freePort(), [
      service('web', 'web', { build: 'site' }, { port: 80 }),
      service('proxy', 'worker', { prebuilt: 'ghcr.io/acme/proxy:1' }),
      service('proxy-2', 'worker', { prebuilt: 'ghcr.io/acme/proxy:1' }),
    ]);
    const shell = { ...opts.shell, FAKE_PODMAN_PULL_FAILS: 'ghcr.io/acme/proxy:1' };
    await assert.rejects(startApp({ ...opts, shell }), {
      name: 'CliError',
      message:
        'podman pull ghcr.io/acme/proxy:1 failed (Error: initializing source docker://ghcr.io/acme/proxy:1: pinging container registry: connection refused) and podman has no copy of it: proxy, proxy-2 run it; check the image in berth.config.ts and your network, or log in to its registry (podman login)',
    });
    assert.deepEqual(
      (await fake.calls()).map((args) => args.slice(0, 2).join(' ')),
      ['build --isolation', 'pull ghcr.io/acme/proxy:1', 'image exists'],
    );
  });
});

describe('upBanner', () => {
  it("gives berth up's address, and each route when several web services share it", () => {
    assert.equal(
      upBanner(
        { url: 'http://127.0.0.1:8080/', endpoints: [{ name: 'web', url: 'http://127.0.0.1:8080/' }] },
        '.data',
      ),
      'berth is up at http://127.0.0.1:8080/ (data in .data); Ctrl-C stops it\n',
    );
    assert.equal(
      upBanner(
        {
          url: 'http://127.0.0.1:8080/',
          endpoints: [
            { name: 'web', url: 'http://127.0.0.1:8080/' },
            { name: 'api', url: 'http://127.0.0.1:8080/api/' },
          ],
        },
        '.data',
      ),
      'berth is up at http://127.0.0.1:8080/ (data in .data); Ctrl-C stops it\n  web: http://127.0.0.1:8080/\n  api: http://127.0.0.1:8080/api/\n',
    );
  });
});

describe('berth up, the command, for an app of workers only (fake podman)', { timeout: 60_000 }, () => {
  it("builds and pulls what its config's services run, says there is nothing to open, and stops on Ctrl-C", async (t) => {
    const fake = await fakePodman();
    t.after(() => rm(fake.dir, { recursive: true, force: true }));
    // A user's config as `berth up` loads it: one worker built from the Dockerfile, one prebuilt.
    await writeFile(
      path.join(fake.dir, 'berth.config.ts'),
      `export default {
  app: 'tidy',
  github: { repository: 'tidy-team/tidy' },
  global: { account: '246813579024', region: 'eu-west-1' },
  services: {
    sweeper: { type: 'worker', command: ['./sweep'], database: false },
    cache: { type: 'worker', image: 'redis:7.4', database: false },
  },
  environments: {
    test: { account: '246813579024', regions: ['eu-west-1'], cluster: { maxInstances: 20 } },
    prod: {
      account: '246813579024',
      regions: ['eu-west-1'],
      cluster: { maxInstances: 20 },
      alarms: { email: 'ops@tidy.example' },
    },
  },
};
`,
    );
    const berth = spawn(process.execPath, [BIN, '--config', path.join(fake.dir, 'berth.config.ts'), 'up'], {
      cwd: fake.dir,
      env: { PATH: `${fake.bin}:/usr/bin:/bin`, PORT: '1', DATA_DIR: '.data' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    berth.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    berth.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exit = new Promise<number | null>((resolve) => berth.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 45_000;
    while (!stdout.includes('berth is up')) {
      if (berth.exitCode !== null) assert.fail(`berth up exited ${berth.exitCode}: ${stderr}`);
      if (Date.now() > deadline) assert.fail(`berth up did not start: ${stdout}${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    process.kill(-berth.pid!, 'SIGINT');
    assert.equal(await exit, 0, stderr);
    assert.ok(
      stdout.includes(
        `berth is up (data in ${path.join(fake.dir, '.data')}); no web service: nothing to open; Ctrl-C stops it\n`,
      ),
      stdout,
    );
    const calls = await fake.calls();
    assert.deepEqual(
      calls.filter((args) => args[0] !== 'run' && args[0] !== 'kill'),
      [
        [
          'build',
          '--isolation',
          'chroot',
          '--network',
          'host',
          '--tag',
          'localhost/tidy:local',
          '--file',
          path.join(fake.dir, 'Dockerfile'),
          fake.dir,
        ],
        ['pull', 'docker.io/library/redis:7.4'],
      ],
    );
    assert.deepEqual(
      calls
        .filter((args) => args[0] === 'run')
        .map((args) => ranFrom(args))
        .sort(),
      [['docker.io/library/redis:7.4'], ['localhost/tidy:local', './sweep']],
    );
  });
});
