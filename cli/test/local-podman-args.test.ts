/** The podman command lines of `berth up`'s container path, written out by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  containerName,
  containerRunArgs,
  containerSignalArgs,
  imageBuildArgs,
} from '../src/local/podman-args.js';

describe('podman arguments', () => {
  it('build the one image of the app from its Dockerfile, passing build arguments on', () => {
    assert.deepEqual(
      imageBuildArgs({
        image: 'localhost/shop:local',
        dockerfile: '/repo/docker/api.Dockerfile',
        context: '/repo',
        buildArgs: ['NODE_IMAGE=localhost/node-local:24', 'FLAVOUR=slim'],
      }),
      [
        'build',
        '--isolation',
        'chroot',
        '--network',
        'host',
        '--build-arg',
        'NODE_IMAGE=localhost/node-local:24',
        '--build-arg',
        'FLAVOUR=slim',
        '--tag',
        'localhost/shop:local',
        '--file',
        '/repo/docker/api.Dockerfile',
        '/repo',
      ],
    );
  });

  it('build a stage of the Dockerfile when the build names a target', () => {
    assert.deepEqual(
      imageBuildArgs({
        image: 'localhost/depot:local',
        dockerfile: '/depot/api/Dockerfile',
        context: '/depot/api',
        target: 'admin',
        buildArgs: ['THEME=dark'],
      }),
      [
        'build',
        '--isolation',
        'chroot',
        '--network',
        'host',
        '--build-arg',
        'THEME=dark',
        '--target',
        'admin',
        '--tag',
        'localhost/depot:local',
        '--file',
        '/depot/api/Dockerfile',
        '/depot/api',
      ],
    );
  });

  it('run a web service in its own network namespace, its port published on loopback, env by name only', () => {
    assert.deepEqual(
      containerRunArgs({
        name: containerName('shop', 'api'),
        image: 'localhost/shop:local',
        command: ['python', '-m', 'shop.api'],
        envNames: ['PORT', 'DATABASE_URL', 'API_KEY'],
        publish: { host: '127.0.0.1', hostPort: 43001, containerPort: 8000 },
        runtime: 'runc',
      }),
      [
        'run',
        '--rm',
        '--replace',
        '--name',
        'berth-shop-api',
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
        '127.0.0.1:43001:8000',
        '--env',
        'API_KEY',
        '--env',
        'DATABASE_URL',
        '--env',
        'PORT',
        'localhost/shop:local',
        'python',
        '-m',
        'shop.api',
      ],
    );
  });

  it("run a worker with the image's CMD, no published port and podman's default runtime", () => {
    const args = containerRunArgs({ name: 'berth-shop-mailer', image: 'localhost/shop:local', envNames: [] });
    assert.deepEqual(args.slice(0, 5), ['run', '--rm', '--replace', '--name', 'berth-shop-mailer']);
    assert.equal(args.includes('--runtime'), false);
    assert.equal(args.includes('--publish'), false);
    assert.equal(args.at(-1), 'localhost/shop:local');
  });

  it('signal the container, not the podman client', () => {
    assert.deepEqual(containerSignalArgs('berth-shop-api', 'SIGTERM'), [
      'kill',
      '--signal',
      'SIGTERM',
      'berth-shop-api',
    ]);
  });
});
