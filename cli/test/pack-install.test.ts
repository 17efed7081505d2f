// Issue #13 item 4: Berth installs into someone else's repository. Packs @berth/infra and @berth/cli as npm
// would publish them, installs the tarballs as dev dependencies into two repositories that are not Node projects
// (a Python service and a static site behind nginx, each with its own Dockerfile) and runs the installed CLI there.
// Nothing is read from this monorepo at run time: every check runs in the temporary repositories.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const MONOREPO = fileURLToPath(new URL('../../', import.meta.url));

/** Reaching the registry is the one thing this test may not have: say so in one line instead of failing. */
function registryUnreachable(): string | false {
  const ping = spawnSync('npm', ['ping'], { encoding: 'utf8', timeout: 30_000 });
  return ping.status === 0
    ? false
    : `npm cannot reach the registry (npm ping: ${ping.stderr.trim().split('\n').at(-1)})`;
}

/** The two user repositories: their own language, their own Dockerfile, no package.json. */
const REPOSITORIES: Record<string, Record<string, string>> = {
  'python-service': {
    Dockerfile: 'FROM python:3.13-slim\nWORKDIR /app\nCOPY app.py .\nEXPOSE 8000\nCMD ["python", "app.py"]\n',
    'app.py':
      'from http.server import BaseHTTPRequestHandler, HTTPServer\n\n' +
      'class Health(BaseHTTPRequestHandler):\n' +
      '    def do_GET(self):\n' +
      '        self.send_response(200 if self.path == "/health" else 404)\n' +
      '        self.end_headers()\n\n' +
      'HTTPServer(("0.0.0.0", 8000), Health).serve_forever()\n',
  },
  'static-site': {
    Dockerfile: 'FROM nginx:1.27-alpine\nCOPY public/ /usr/share/nginx/html/\nEXPOSE 80\n',
    'public/index.html': '<!doctype html><title>Static site</title><h1>Hello</h1>\n',
  },
};

/** What `berth init` must find in each repository's Dockerfile and sources, and the app name the test gives. */
const SERVICES: Record<string, { app: string; port: number; healthPath: string }> = {
  'python-service': { app: 'quotes', port: 8000, healthPath: '/health' },
  'static-site': { app: 'site', port: 80, healthPath: '/' },
};

/** The parts of a CloudFormation resource the assertions read. */
interface Resource {
  readonly Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON
  readonly Properties: Record<string, any>;
}

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON (container definitions, actions)
type Json = Record<string, any>;

/** A synthesized template, as the assertions read it. */
interface Template {
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: Record<string, unknown>;
}

/**
 * The user's config, loaded and synthesized by the installed packages alone (createApp runs cdk-nag's
 * AwsSolutions checks: an unacknowledged finding fails the synth). Prints every stack's template by name.
 */
const SYNTH_PROBE = [
  "import { mkdtempSync } from 'node:fs';",
  "import { tmpdir } from 'node:os';",
  "import { join } from 'node:path';",
  "import { loadConfig } from '@berth/infra';",
  "import { createApp } from '@berth/infra/app';",
  'const config = await loadConfig({ cwd: process.cwd() });',
  "const outdir = mkdtempSync(join(tmpdir(), 'berth-user-synth-'));",
  "const assembly = createApp({ config, outdir, environments: ['test'] }).synth();",
  'const stacks = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.template]));',
  'process.stdout.write(JSON.stringify(stacks));',
].join('\n');

const exec = promisify(execFile);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command in `cwd` and resolves with its exit code and output (a non-zero exit is a result, not an error). */
async function run(
  cwd: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(command, args, {
      cwd,
      env,
      maxBuffer: 32 * 1024 * 1024,
      timeout: 600_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}

/**
 * `npx berth …` in a user repository. `--no`: never download a package called `berth`, use the installed bin;
 * `--`: the rest (e.g. `--version`) is berth's, not npx's.
 */
const berth = (repo: string, ...args: string[]) => run(repo, 'npx', ['--no', '--', 'berth', ...args]);

/** No AWS credentials anywhere (HOME too), so AWS commands stop at their credential check; npm keeps its cache. */
const WITHOUT_AWS: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: '/nonexistent',
  npm_config_cache: path.join(homedir(), '.npm'),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
  AWS_REGION: 'eu-west-1',
};

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

const skip = registryUnreachable();

describe('Berth packed and installed as dev dependencies of repositories that are not Node projects', {
  skip,
}, () => {
  const scratch = realpathSync(mkdtempSync(path.join(tmpdir(), 'berth-pack-install-')));
  const tarballs: string[] = [];
  const repos: Record<string, string> = {};
  const installSeconds: Record<string, number> = {};
  after(() => rmSync(scratch, { recursive: true, force: true }));

  before(async () => {
    // Packed from the workspaces' builds (cli's pretest builds infra, then cli): --ignore-scripts skips the
    // prepack rebuild, minutes of tsc on a busy machine, so run `npm run build` before this file alone.
    for (const workspace of ['infra', 'cli']) {
      const packed = await run(path.join(MONOREPO, workspace), 'npm', [
        'pack',
        '--json',
        '--ignore-scripts',
        '--pack-destination',
        scratch,
      ]);
      assert.equal(packed.code, 0, `npm pack in ${workspace}: ${packed.stderr}`);
      const [{ filename }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [
        { filename: string },
      ];
      tarballs.push(path.join(scratch, filename));
    }
    // One after the other (two at once took longer on a 2-core machine), from the shared npm cache.
    for (const [name, files] of Object.entries(REPOSITORIES)) {
      const repo = path.join(scratch, name);
      for (const [file, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
        writeFileSync(path.join(repo, file), content);
      }
      const started = performance.now();
      const installed = await run(repo, 'npm', [
        'install',
        '--save-dev',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        ...tarballs,
      ]);
      installSeconds[name] = Math.round((performance.now() - started) / 100) / 10;
      assert.equal(installed.code, 0, `npm install in ${name}: ${installed.stderr}`);
      repos[name] = repo;
    }
  });

  it('packs only compiled JavaScript, declarations, the bin, package.json and the AMI template: no sources, tests or build state', async (t) => {
    for (const tarball of tarballs) {
      const listing = await run(scratch, 'tar', ['-tzf', tarball]);
      const files = listing.stdout.trim().split('\n');
      // ami/: the Packer template and scripts `berth ami build` runs (cli/test/package-files.test.ts lists them).
      const unexpected = files.filter(
        (file) =>
          !/^package\/(package\.json|README\.md|bin\/berth\.js|dist\/.+\.(js|d\.ts)|ami\/[\w-]+\.pkr\.hcl|ami\/scripts\/[\w-]+\.sh)$/.test(
            file,
          ) || /\/test\/|\.tsbuildinfo$/.test(file),
      );
      assert.deepEqual(unexpected, [], path.basename(tarball));
      assert.ok(
        files.includes('package/dist/lib/index.js') || files.includes('package/dist/main.js'),
        path.basename(tarball),
      );
      t.diagnostic(
        `${path.basename(tarball)}: ${files.length} files, ${lstatSync(tarball).size} bytes packed`,
      );
    }
  });

  it('records both packages as dev dependencies of the user repository', (t) => {
    for (const [name, repo] of Object.entries(repos)) {
      const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
      assert.deepEqual(Object.keys(manifest.devDependencies).sort(), ['@berth/cli', '@berth/infra'], name);
      assert.equal(manifest.dependencies, undefined, name);
      t.diagnostic(`npm install --save-dev in ${name}: ${installSeconds[name]} s`);
    }
  });

  it('installs copies that mention no path of the repository they were built in', () => {
    for (const [name, repo] of Object.entries(repos)) {
      for (const pkg of ['cli', 'infra']) {
        const installed = path.join(repo, 'node_modules/@berth', pkg);
        assert.equal(lstatSync(installed).isSymbolicLink(), false, `${name}: @berth/${pkg} is a link`);
        const mentions = filesUnder(installed).filter((file) =>
          readFileSync(path.join(installed, file), 'utf8').includes(MONOREPO),
        );
        assert.deepEqual(mentions, [], `${name}: @berth/${pkg} files naming ${MONOREPO}`);
      }
    }
  });

  it('runs `npx berth --version` and `npx berth --help` in each repository', async () => {
    const version = path.basename(tarballs[1]!).match(/^berth-cli-(.+)\.tgz$/)?.[1];
    for (const [name, repo] of Object.entries(repos)) {
      assert.deepEqual(await berth(repo, '--version'), { code: 0, stdout: `${version}\n`, stderr: '' }, name);
      const help = await berth(repo, '--help');
      assert.equal(help.code, 0, `${name}: ${help.stderr}`);
      for (const command of ['up', 'plan', 'deploy', 'status', 'logs', 'rollback', 'destroy', 'ami']) {
        assert.match(help.stdout, new RegExp(`\\n  ${command} `), `${name}: ${command}`);
      }
    }
  });

  it("loads @berth/infra's compiled light entry from the install, without the CDK", async () => {
    const repo = repos['static-site']!;
    const probe = [
      "import { registerHooks } from 'node:module';",
      'const resolved = [];',
      'registerHooks({ resolve(s, c, next) { const r = next(s, c); resolved.push(r.url); return r; } });',
      "await import('@berth/infra');",
      'process.stdout.write(JSON.stringify(resolved));',
    ].join('\n');
    const result = await run(repo, process.execPath, ['--input-type=module', '-e', probe]);
    assert.equal(result.code, 0, result.stderr);
    const resolved = JSON.parse(result.stdout) as string[];
    assert.equal(resolved[0], `file://${repo}/node_modules/@berth/infra/dist/lib/index.js`);
    // Node's own modules are fine; anything else outside the light entry (aws-cdk-lib above all) is not.
    assert.deepEqual(
      resolved.filter(
        (url) =>
          !url.startsWith('node:') && !url.startsWith(`file://${repo}/node_modules/@berth/infra/dist/`),
      ),
      [],
    );
  });

  it('`npx berth init --yes` writes berth.config.ts from each Dockerfile (port 8000 / 80)', async () => {
    for (const [name, { app, port, healthPath }] of Object.entries(SERVICES)) {
      const init = await berth(
        repos[name]!,
        'init',
        '--yes',
        '--app',
        app,
        '--repository',
        `acme/${app}`,
        '--account',
        '111111111111',
        '--prod-account',
        '222222222222',
        '--region',
        'eu-west-1',
        '--alarm-email',
        'oncall@acme.example',
      );
      assert.equal(init.code, 0, `${name}: ${init.stderr}`);
      const config = readFileSync(path.join(repos[name]!, 'berth.config.ts'), 'utf8');
      assert.match(config, /^import \{ defineConfig \} from '@berth\/cli';$/m, name);
      assert.match(config, new RegExp(`\\bport: ${port},`), name);
      assert.match(config, new RegExp(`healthCheck: \\{ path: '${healthPath}' \\}`), name);
      for (const workflow of ['berth-ci.yml', 'berth-deliver.yml', 'berth-ami.yml']) {
        assert.ok(
          lstatSync(path.join(repos[name]!, '.github/workflows', workflow)).isFile(),
          `${name}: ${workflow}`,
        );
      }
    }
  });

  it("`npx berth plan test` plans the repository's own app from its berth.config.ts", async () => {
    const plan = await berth(repos['python-service']!, 'plan', 'test');
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /Quotes-Test-eu-west-1-Service/);
    assert.doesNotMatch(plan.stdout, /Berth-Test/);
    assert.match(plan.stdout, /first create +~\d+ min/);
  });

  it('synthesizes each app offline from the install, cdk-nag clean: the load balancer reaches the service on its port', async () => {
    for (const [name, { app, port, healthPath }] of Object.entries(SERVICES)) {
      const result = await run(repos[name]!, process.execPath, ['--input-type=module', '-e', SYNTH_PROBE]);
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      const stacks = JSON.parse(result.stdout) as Record<string, { Resources: Record<string, Resource> }>;
      const prefix = app.charAt(0).toUpperCase() + app.slice(1);
      assert.deepEqual(
        Object.keys(stacks).sort(),
        [
          'Global',
          'Test-eu-west-1-Data',
          'Test-eu-west-1-Monitoring',
          'Test-eu-west-1-Network',
          'Test-eu-west-1-Service',
        ].map((stack) => `${prefix}-${stack}`),
        name,
      );
      const service = Object.values(stacks[`${prefix}-Test-eu-west-1-Service`]!.Resources);
      const ofType = (type: string) => service.filter((r) => r.Type === type).map((r) => r.Properties);
      // Blue/green: two target groups, both on the container's port, both probing its health path.
      const groups = ofType('AWS::ElasticLoadBalancingV2::TargetGroup');
      assert.ok(groups.length >= 1, name);
      for (const group of groups) {
        assert.equal(group.Port, port, name);
        assert.equal(group.HealthCheckPath, healthPath, name);
      }
      const [taskDefinition] = ofType('AWS::ECS::TaskDefinition');
      const app_ = (taskDefinition!.ContainerDefinitions as Resource['Properties'][]).find(
        (c) => c.Name === 'web',
      )!;
      assert.deepEqual(
        (app_.PortMappings as { ContainerPort: number }[]).map((m) => m.ContainerPort),
        [port],
        name,
      );
      // Only the load balancer's security group reaches the instances; nothing is open to the internet but it.
      const open = ofType('AWS::EC2::SecurityGroupIngress').filter((rule) => rule.CidrIp === '0.0.0.0/0');
      const inline = ofType('AWS::EC2::SecurityGroup').flatMap(
        (group) => (group.SecurityGroupIngress as { CidrIp?: string; FromPort?: number }[] | undefined) ?? [],
      );
      assert.deepEqual(
        [...open, ...inline.filter((rule) => rule.CidrIp === '0.0.0.0/0')]
          .map((rule) => rule.FromPort)
          .sort(),
        [80],
        `${name}: only the load balancer's port 80 is open to the internet`,
      );
      for (const logGroup of ofType('AWS::Logs::LogGroup')) assert.equal(logGroup.RetentionInDays, 14, name);
      const monitoring = Object.values(stacks[`${prefix}-Test-eu-west-1-Monitoring`]!.Resources);
      assert.ok(monitoring.filter((r) => r.Type === 'AWS::CloudWatch::Alarm').length >= 5, `${name}: alarms`);
    }
  });

  it('runs the AWS commands from the install up to their credential check, one line each', async () => {
    const repo = repos['static-site']!;
    for (const args of [
      ['status', 'test'],
      ['logs', 'test'],
      ['rollback', 'test'],
    ]) {
      const result = await run(repo, 'npx', ['--no', '--', 'berth', ...args], WITHOUT_AWS);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(
        result.stderr,
        /^berth: no usable AWS credentials: set AWS_PROFILE [^\n]*\n$/,
        args.join(' '),
      );
    }
  });

  it('a worker and a release command added to the generated config synthesize, cdk-nag clean: the routes, the worker, the release task, SGs, logs, alarms', async () => {
    // GIVEN the config `berth init` wrote, edited the way a user adds a worker and a migration step
    const repo = repos['python-service']!;
    const file = path.join(repo, 'berth.config.ts');
    const written = readFileSync(file, 'utf8');
    const edited = written
      // (init may end the line with a comment saying where it found the path)
      .replace(
        /^( {6}healthCheck: \{ path: '\/health' \},.*\n)/m,
        "$1      release: { command: ['python', 'migrate.py'] },\n",
      )
      .replace(
        '    },\n  },\n  environments: {',
        "    },\n    worker: { type: 'worker', command: ['python', 'worker.py'], scaling: { maxTasks: 2 } },\n  },\n  environments: {",
      )
      // Room for both services at their maxTasks during a deploy: config validation counts every service.
      .replace(
        "    test: { account: '111111111111', regions: ['eu-west-1'] }",
        "    test: { account: '111111111111', regions: ['eu-west-1'], cluster: { maxInstances: 6 } }",
      );
    assert.notEqual(edited, written);
    assert.equal(edited.split('\n').length, written.split('\n').length + 2, 'release and worker added');
    assert.match(edited, /cluster: \{ maxInstances: 6 \}/);
    writeFileSync(file, edited);

    // WHEN the installed packages synthesize it (cdk-nag's findings fail the synth)
    const result = await run(repo, process.execPath, ['--input-type=module', '-e', SYNTH_PROBE]);
    assert.equal(result.code, 0, result.stderr);
    const stacks = JSON.parse(result.stdout) as Record<string, Template>;
    const service = stacks['Quotes-Test-eu-west-1-Service']!;
    const resources = service.Resources;
    const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
    const ref = (value: unknown) => (value as { Ref?: string } | undefined)?.Ref;

    // THEN two ECS services: web behind the load balancer on 8000, the worker with none
    const services = ofType('AWS::ECS::Service');
    assert.equal(services.length, 2);
    const [webId, web] = services.find(([, r]) => r.Properties.LoadBalancers)!;
    const [workerId, worker] = services.find(([, r]) => !r.Properties.LoadBalancers)!;
    assert.equal(web.Properties.LoadBalancers.length, 1);
    const [balanced] = web.Properties.LoadBalancers as {
      ContainerName: string;
      ContainerPort: number;
      TargetGroupArn: unknown;
    }[];
    assert.deepEqual([balanced!.ContainerName, balanced!.ContainerPort], ['web', 8000]);
    // AND the listener sends requests to web's target group (a rule or the default action forwards to it)
    const webGroup = ref(balanced!.TargetGroupArn)!;
    assert.equal(resources[webGroup]?.Properties.Port, 8000);
    assert.equal(resources[webGroup]?.Properties.HealthCheckPath, '/health');
    const forwards = [
      ...ofType('AWS::ElasticLoadBalancingV2::ListenerRule'),
      ...ofType('AWS::ElasticLoadBalancingV2::Listener'),
    ]
      .flatMap(([, r]) => (r.Properties.Actions ?? r.Properties.DefaultActions ?? []) as Json[])
      .flatMap((a) => [
        a.TargetGroupArn,
        ...(a.ForwardConfig?.TargetGroups ?? []).map((g: { TargetGroupArn: unknown }) => g.TargetGroupArn),
      ])
      .map(ref);
    assert.ok(forwards.includes(webGroup), `nothing forwards to ${webGroup}`);

    // AND each service runs its own container, named after it, logging under its name to a group with retention
    const container = (serviceResource: Resource, name: string) => {
      const task = resources[ref(serviceResource.Properties.TaskDefinition)!]!;
      return (task.Properties.ContainerDefinitions as Json[]).find((c) => c.Name === name)!;
    };
    const webContainer = container(web, 'web');
    const workerContainer = container(worker, 'worker');
    assert.deepEqual(
      webContainer.PortMappings.map((m: { ContainerPort: number }) => m.ContainerPort),
      [8000],
    );
    assert.deepEqual(workerContainer.Command, ['python', 'worker.py']);
    assert.equal(workerContainer.PortMappings, undefined, 'the worker listens on nothing');
    for (const [name, c] of [
      ['web', webContainer],
      ['worker', workerContainer],
    ] as const) {
      assert.equal(c.LogConfiguration.LogDriver, 'awslogs', name);
      assert.equal(c.LogConfiguration.Options['awslogs-stream-prefix'], name);
      const group = resources[ref(c.LogConfiguration.Options['awslogs-group'])!];
      assert.equal(group?.Properties.RetentionInDays, 14, `${name}'s log group`);
    }

    // AND the release task: the same image running the release command, its definition an output
    const release = ofType('AWS::ECS::TaskDefinition')
      .flatMap(([, r]) => r.Properties.ContainerDefinitions as Json[])
      .find((c) => c.Name === 'release');
    assert.deepEqual(release?.Command, ['python', 'migrate.py']);
    assert.deepEqual(release?.Image, webContainer.Image);
    assert.ok(service.Outputs?.ReleaseTaskDefinitionArn, 'ReleaseTaskDefinitionArn output');

    // AND only the load balancer's port 80 is open to the internet
    const open = ofType('AWS::EC2::SecurityGroupIngress').filter(
      ([, r]) => r.Properties.CidrIp === '0.0.0.0/0',
    );
    const inline = ofType('AWS::EC2::SecurityGroup').flatMap(
      ([, r]) =>
        (r.Properties.SecurityGroupIngress as { CidrIp?: string; FromPort?: number }[] | undefined) ?? [],
    );
    assert.deepEqual(
      [...open.map(([, r]) => r.Properties), ...inline]
        .filter((rule) => rule.CidrIp === '0.0.0.0/0')
        .map((rule) => rule.FromPort),
      [80],
    );

    // AND alarms watch both services (an alarm names each one, in its own stack or through an import)
    const alarms = Object.values(stacks)
      .flatMap((t) => Object.values(t.Resources))
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => JSON.stringify(r.Properties));
    for (const id of [webId, workerId]) {
      assert.ok(
        alarms.some((a) => a.includes(id)),
        `no alarm on ${id}`,
      );
    }

    // AND berth plan lists both services
    const plan = await berth(repo, 'plan', 'test');
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /\n {2}web +web +.*→ port 8000/);
    assert.match(plan.stdout, /\n {2}worker +worker +no inbound traffic/);
  });
});
