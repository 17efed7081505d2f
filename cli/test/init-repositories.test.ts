import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { init, NO_GIT, PYTHON_SERVICE, read, repository, STATIC_SITE } from './init-fixtures.js';

const PYTHON_CONFIG = `// Berth: how this repository runs on AWS. Written by \`berth init\`; yours to edit.
// Reference for every field and its default per environment: docs/config-reference.md in Berth (or hover a field in your editor).
import { defineConfig } from '@berth/cli';

export default defineConfig({
  // Names the stacks, SSM parameters (/quotes-api/test/…) and image repositories (quotes-api/web).
  app: 'quotes-api',
  // The CI roles trust only this repository's workflows (GitHub OIDC, no access keys).
  github: { repository: 'acme/quotes-api' }, // git remote origin
  services: {
    web: {
      type: 'web', // behind the environment's load balancer
      build: { dockerfile: 'Dockerfile', context: '.' },
      port: 8000, // EXPOSE in Dockerfile
      healthCheck: { path: '/healthz' }, // route found in app.py
      // cpu, memoryMiB, scaling, deployment: defaulted per environment, see the reference above.
    },
  },
  environments: {
    test: { account: '111111111111', regions: ['eu-west-2'] },
    // prod's account also holds the account-wide stack: CI roles and the image registry.
    prod: {
      account: '222222222222',
      regions: ['eu-west-2'],
      alarms: { email: 'oncall@quotes.example' }, // who is told when prod's alarms fire
    },
  },
});
`;

const STATIC_CONFIG = `// Berth: how this repository runs on AWS. Written by \`berth init\`; yours to edit.
// Reference for every field and its default per environment: docs/config-reference.md in Berth (or hover a field in your editor).
import { defineConfig } from '@berth/cli';

export default defineConfig({
  // Names the stacks, SSM parameters (/docs-site/test/…) and image repositories (docs-site/web).
  app: 'docs-site',
  // The CI roles trust only this repository's workflows (GitHub OIDC, no access keys).
  github: { repository: 'your-org/your-repository' }, // PLACEHOLDER: set your GitHub owner/name before deploying (no GitHub remote origin found)
  services: {
    web: {
      type: 'web', // behind the environment's load balancer
      build: { dockerfile: 'Dockerfile', context: '.' },
      port: 80, // EXPOSE in Dockerfile
      healthCheck: { path: '/' }, // no health route found: the load balancer expects 200 from /
      // cpu, memoryMiB, scaling, deployment: defaulted per environment, see the reference above.
    },
  },
  environments: {
    test: { account: '123456789012', regions: ['eu-west-1'] }, // PLACEHOLDER: set your AWS account id before deploying
    // prod's account also holds the account-wide stack: CI roles and the image registry.
    prod: {
      account: '123456789012', // PLACEHOLDER: set your AWS account id before deploying
      regions: ['eu-west-1'],
      // PLACEHOLDER: replace the waiver with alarms: { email: '<on-call address>' } before going live.
      alarms: { waiveSubscriber: 'no on-call address yet (written by berth init)' },
    },
  },
});
`;

const WORKFLOWS = [
  '.github/workflows/berth-ci.yml',
  '.github/workflows/berth-deliver.yml',
  '.github/workflows/berth-ami.yml',
];

describe('berth init --yes in a Python service', { timeout: 60_000, skip: NO_GIT }, () => {
  it('writes the config from the Dockerfile, the route in app.py, the remote and the flags', async (t) => {
    const root = repository(t, 'quotes', PYTHON_SERVICE, 'git@github.com:acme/quotes-api.git');
    const { stdout } = await init(root, {
      yes: true,
      account: '111111111111',
      prodAccount: '222222222222',
      region: 'eu-west-2',
      alarmEmail: 'oncall@quotes.example',
    });
    assert.equal(read(root, 'berth.config.ts'), PYTHON_CONFIG);
    for (const file of WORKFLOWS) assert.ok(existsSync(path.join(root, file)), file);
    assert.match(read(root, '.github/workflows/berth-deliver.yml'), /"\$\{URL%\/\}\/healthz"/);
    assert.equal(
      stdout.split('\n').slice(0, 8).join('\n'),
      `web service from Dockerfile (the only Dockerfile)
  port 8000: EXPOSE in Dockerfile
  health check /healthz: route found in app.py
  app quotes-api, repository acme/quotes-api, region eu-west-2
created berth.config.ts
created .github/workflows/berth-ci.yml
created .github/workflows/berth-deliver.yml
created .github/workflows/berth-ami.yml`,
    );
    assert.doesNotMatch(stdout, /PLACEHOLDER/);
  });

  it('prints the next three commands, after how to install Berth where it is not installed', async (t) => {
    const root = repository(t, 'quotes', PYTHON_SERVICE, 'https://github.com/acme/quotes-api.git');
    const { stdout } = await init(root, { yes: true, account: '111111111111' });
    const commands = stdout
      .split('\n')
      .filter((l) => l.startsWith('  npx '))
      .map((l) => l.split('#')[0]!.trim());
    assert.deepEqual(commands, [
      'npx berth plan test',
      'npx berth ami publish test --aws-recommended',
      'npx berth deploy test',
    ]);
    assert.match(
      stdout,
      /^Berth is not installed here yet: npm install --save-dev @berth\/cli@\d+\.\d+\.\d+/m,
    );
    assert.match(stdout, /docs\/deploy\.md, "From an empty AWS account"/);
  });

  it('takes --port, --health-path and --app over what it detects', async (t) => {
    const root = repository(t, 'quotes', PYTHON_SERVICE, 'https://github.com/acme/quotes-api');
    await init(root, {
      yes: true,
      account: '111111111111',
      port: '9000',
      healthPath: '/live',
      app: 'quotes',
    });
    const config = read(root, 'berth.config.ts');
    assert.match(config, /^ {6}port: 9000,$/m, 'a flag value carries no detection comment');
    assert.match(config, /^ {6}healthCheck: \{ path: '\/live' \},$/m);
    assert.match(config, /^ {2}app: 'quotes',$/m);
    assert.match(read(root, '.github/workflows/berth-deliver.yml'), /"\$\{URL%\/\}\/live"/);
  });
});

describe('berth init --yes in a static site behind nginx', { timeout: 60_000, skip: NO_GIT }, () => {
  it('writes health path /, port 80 and marked placeholders for what it was not told', async (t) => {
    const root = repository(t, 'docs-site', STATIC_SITE);
    const { stdout } = await init(root, { yes: true });
    assert.equal(read(root, 'berth.config.ts'), STATIC_CONFIG);
    assert.match(
      stdout,
      /^PLACEHOLDER in berth\.config\.ts: set your GitHub owner\/name before deploying \(no GitHub remote origin found\)$/m,
    );
    assert.match(stdout, /^PLACEHOLDER in berth\.config\.ts: set your AWS account id before deploying$/m);
    assert.match(
      stdout,
      /^PLACEHOLDER in berth\.config\.ts: replace the waiver with alarms: \{ email: '<on-call address>' \} before going live$/m,
    );
    assert.match(
      stdout,
      /^ {2}health check \/: no health route found: the load balancer expects 200 from \/$/m,
    );
  });

  it('takes the default region from AWS_REGION when Berth supports it, else eu-west-1', async (t) => {
    const root = repository(t, 'docs-site', STATIC_SITE);
    await init(root, { yes: true }, undefined, { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'eu-west-2' });
    assert.match(read(root, 'berth.config.ts'), /regions: \['us-east-1'\]/);
    await init(root, { yes: true, force: true }, undefined, { AWS_DEFAULT_REGION: 'eu-west-2' });
    assert.match(read(root, 'berth.config.ts'), /regions: \['eu-west-2'\]/);
    await init(root, { yes: true, force: true }, undefined, { AWS_REGION: 'sa-east-1' });
    assert.match(read(root, 'berth.config.ts'), /regions: \['eu-west-1'\]/);
  });
});

describe('berth init never overwrites a file unasked', { timeout: 60_000, skip: NO_GIT }, () => {
  it('with --yes: refuses, names the file and --force, and writes nothing', async (t) => {
    const root = repository(t, 'docs-site', STATIC_SITE);
    writeFileSync(path.join(root, 'berth.config.ts'), '// mine\n');
    await assert.rejects(
      init(root, { yes: true }),
      /^CliError: berth\.config\.ts exists: berth init keeps it; run again with --force to overwrite it$/,
    );
    assert.equal(read(root, 'berth.config.ts'), '// mine\n');
    for (const file of WORKFLOWS) assert.equal(existsSync(path.join(root, file)), false, file);
  });

  it('with --force: overwrites', async (t) => {
    const root = repository(t, 'docs-site', STATIC_SITE);
    writeFileSync(path.join(root, 'berth.config.ts'), '// mine\n');
    const { stdout } = await init(root, { yes: true, force: true });
    assert.equal(read(root, 'berth.config.ts'), STATIC_CONFIG);
    assert.match(stdout, /^overwritten berth\.config\.ts$/m);
  });

  it('a second identical run changes nothing and needs no --force', async (t) => {
    const root = repository(t, 'docs-site', STATIC_SITE);
    await init(root, { yes: true });
    const { stdout } = await init(root, { yes: true });
    assert.match(stdout, /^unchanged berth\.config\.ts$/m);
    assert.match(stdout, /^unchanged \.github\/workflows\/berth-deliver\.yml$/m);
  });

  it('interactive: asks per file and keeps the ones declined', async (t) => {
    const root = repository(t, 'docs-site', STATIC_SITE);
    await init(root, { yes: true, account: '111111111111', repository: 'acme/docs' });
    writeFileSync(path.join(root, 'berth.config.ts'), '// mine\n');
    writeFileSync(path.join(root, WORKFLOWS[0]!), '# mine\n');
    rmSync(path.join(root, WORKFLOWS[1]!));
    const { stdout, dialogue } = await init(root, { account: '111111111111', repository: 'acme/docs' }, [
      ['AWS region [eu-west-1]: ', ''],
      ['AWS account id for prod [111111111111]: ', ''],
      ['E-mail for prod alarms (empty: none yet): ', ''],
      ['berth.config.ts exists: overwrite it? [y/N]: ', 'n'],
      ['.github/workflows/berth-ci.yml exists: overwrite it? [y/N]: ', 'y'],
    ]);
    assert.equal(read(root, 'berth.config.ts'), '// mine\n');
    assert.notEqual(read(root, WORKFLOWS[0]!), '# mine\n');
    assert.match(stdout, /^kept berth\.config\.ts$/m);
    assert.match(stdout, /^overwritten \.github\/workflows\/berth-ci\.yml$/m);
    assert.match(stdout, /^created \.github\/workflows\/berth-deliver\.yml$/m);
    assert.doesNotMatch(dialogue, /berth-deliver\.yml exists/);
  });
});

describe('berth init asks what it cannot detect', { timeout: 60_000, skip: NO_GIT }, () => {
  it('asks repository, region, both accounts and the port, re-asking after a bad answer', async (t) => {
    const root = repository(t, 'Side Project', {
      Dockerfile: 'FROM python:3.13-slim\nCOPY . .\nCMD ["python", "-m", "http.server"]\n',
    });
    const { dialogue } = await init(
      root,
      {},
      [
        ['has no EXPOSE. Port your server listens on: ', '80800'],
        ['"80800" is not a port: use the number from 1 to 65535 your server listens on'],
        ['Port your server listens on: ', '8000'],
        ['GitHub repository (owner/name): ', 'acme/side-project'],
        ['AWS region [eu-west-2]: ', 'Europe'],
        ['"Europe" is not a region Berth supports: use one of us-east-1, eu-west-1, eu-west-2'],
        ['AWS region [eu-west-2]: ', 'us-east-1'],
        ['AWS account id for test: ', '1111'],
        ['"1111" is not an AWS account id'],
        ['AWS account id for test: ', '333333333333'],
        ['AWS account id for prod [333333333333]: ', '444444444444'],
        ['E-mail for prod alarms (empty: none yet): ', 'on call'],
        ['"on call" is not an e-mail address: e.g. oncall@example.org'],
        ['E-mail for prod alarms (empty: none yet): ', 'pager@side.example'],
      ],
      { AWS_DEFAULT_REGION: 'eu-west-2' },
    );
    const config = read(root, 'berth.config.ts');
    assert.match(config, /^ {2}app: 'side-project',$/m);
    assert.match(config, /^ {2}github: \{ repository: 'acme\/side-project' \},$/m);
    assert.match(config, /^ {4}test: \{ account: '333333333333', regions: \['us-east-1'\] \},$/m);
    assert.match(
      config,
      /^ {4}prod: \{\n {6}account: '444444444444',\n {6}regions: \['us-east-1'\],\n {6}alarms: \{ email: 'pager@side\.example' \},/m,
    );
    assert.match(config, /^ {6}port: 8000,$/m);
    assert.match(dialogue, /^Dockerfile has no EXPOSE\. Port/m);
  });

  it('asks which Dockerfile when there are several and none at the root', async (t) => {
    const root = repository(
      t,
      'mono',
      {
        'api/Dockerfile': 'FROM python:3.13-slim\nEXPOSE 8000\n',
        'api/main.py': '@app.get("/health")\n',
        'web/Dockerfile': 'FROM nginx:1.29-alpine\nEXPOSE 80\n',
      },
      'https://github.com/acme/mono.git',
    );
    const { stdout } = await init(root, { account: '111111111111', region: 'eu-west-1' }, [
      ['  1. api/Dockerfile\n  2. web/Dockerfile\nWhich one (number) [1]: ', '3'],
      ['answer 1 to 2'],
      ['Which one (number) [1]: ', '1'],
      ['AWS account id for prod [111111111111]: ', ''],
      ['E-mail for prod alarms (empty: none yet): ', ''],
    ]);
    const config = read(root, 'berth.config.ts');
    assert.match(config, /build: \{ dockerfile: 'api\/Dockerfile', context: 'api' \},/);
    assert.match(config, /healthCheck: \{ path: '\/health' \}, \/\/ route found in api\/main\.py/);
    assert.match(stdout, /^web service from api\/Dockerfile \(chosen from 2 Dockerfiles\)$/m);
  });

  it('stops with one line when the input ends before the last answer', async (t) => {
    const root = repository(t, 'docs-site', STATIC_SITE, 'https://github.com/acme/docs.git');
    await assert.rejects(
      init(root, { region: 'eu-west-1' }, []),
      /^CliError: input ended before every question was answered: run again, or use --yes and flags$/,
    );
  });
});

describe('berth init chooses one Dockerfile', { timeout: 60_000, skip: NO_GIT }, () => {
  const files = {
    Dockerfile: 'FROM python:3.13-slim\nEXPOSE 8000\n',
    'worker/Dockerfile': 'FROM python:3.13-slim\n',
    'admin/Dockerfile': 'FROM nginx:1.29-alpine\nEXPOSE 8080\n',
  };

  it('takes the root one and says which others it left out', async (t) => {
    const root = repository(t, 'shop', files, 'https://github.com/acme/shop');
    const { stdout } = await init(root, { yes: true });
    assert.match(
      stdout,
      /^web service from Dockerfile \(also found admin\/Dockerfile, worker\/Dockerfile: one web service per repository for now, --dockerfile picks another\)$/m,
    );
  });

  it('takes --dockerfile, with its folder as the build context', async (t) => {
    const root = repository(t, 'shop', files, 'https://github.com/acme/shop');
    await init(root, { yes: true, dockerfile: 'admin/Dockerfile' });
    const config = read(root, 'berth.config.ts');
    assert.match(config, /build: \{ dockerfile: 'admin\/Dockerfile', context: 'admin' \},/);
    assert.match(config, /port: 8080, \/\/ EXPOSE in admin\/Dockerfile/);
  });

  it('with --yes and several Dockerfiles below the root, asks for --dockerfile', async (t) => {
    const root = repository(t, 'shop', { 'a/Dockerfile': 'FROM x\n', 'b/Dockerfile': 'FROM x\n' });
    await assert.rejects(
      init(root, { yes: true }),
      /^CliError: several Dockerfiles and none at the root \(a\/Dockerfile, b\/Dockerfile\): choose one with --dockerfile <path>$/,
    );
  });
});
