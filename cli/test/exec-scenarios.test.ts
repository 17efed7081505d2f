import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { EnvironmentConfig, LoadedConfig } from '@berth/infra';
import type { CommandContext } from '../src/context.js';
import type { Terminal } from '../src/terminal.js';
import { ONE_WEB_SERVICE, TWO_SERVICES } from './scenarios/configs.js';
import { modelWorld } from './scenarios/model-context.js';
import { runBerth } from './scenarios/run-berth.js';

/**
 * The app holds one web service, `web`: its container bears that name, the one `berth exec` opens a shell in
 * (whatever the cart's own services are called).
 */
const ENVIRONMENTS = ONE_WEB_SERVICE.environments;

// `berth exec` (#14 item 3) through `main`, against the AWS model after a real `berth deploy test`.
// The session-manager-plugin is a recorded fake: no process is spawned.

const REGION = 'eu-west-1';
const PLUGIN = 'session-manager-plugin';
const INSTALL_URL =
  'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html';

/** The plugin as the CLI sees it: on PATH or not, and every run recorded with its argv. */
class FakeTerminal implements Terminal {
  installed = true;
  exitCode = 0;
  readonly runs: { command: string; args: readonly string[] }[] = [];
  has(command: string): boolean {
    return command === PLUGIN && this.installed;
  }
  async attach(command: string, args: readonly string[]): Promise<number> {
    this.runs.push({ command, args });
    return this.exitCode;
  }
}

const original = ENVIRONMENTS.test;
/**
 * Sets test's exec switch (and two tasks, so picking one means something) for the rest of the case, the way a
 * user edits the config between commands.
 */
function setTestExec(enabled: boolean): void {
  const test = ENVIRONMENTS.test;
  (ENVIRONMENTS as Record<'test', EnvironmentConfig>).test = {
    ...test,
    services: test.services.map((s) => ({ ...s, minTasks: 2 })),
    exec: { enabled },
  };
}

function world(config: LoadedConfig = ONE_WEB_SERVICE) {
  const { model, ctx: base } = modelWorld({ config });
  const terminal = new FakeTerminal();
  const ctx: CommandContext = {
    ...base,
    // berth exec deploys nothing, so it must never synthesize.
    synthesize: async () => assert.fail('berth exec synthesized the app'),
    terminal,
  };
  const berth = (...args: string[]) => runBerth(ctx, ...args);

  async function deployTest() {
    // An explicit --timeout: the default is an estimate from a synth, which this world refuses (see synthesize).
    const result = await berth('deploy', 'test', '--timeout', '30m');
    assert.equal(result.code, 0, result.stderr);
    const cluster = model.stacks.get(config.names.stackName('test', REGION, 'Service'))!.outputs.ClusterName!;
    const service = model.service('test')!;
    return { cluster, service };
  }

  return { model, terminal, berth, deployTest };
}

describe('berth exec', () => {
  const profile = process.env.AWS_PROFILE;
  beforeEach(() => {
    process.env.AWS_PROFILE = 'berth-oncall';
  });
  afterEach(() => {
    (ENVIRONMENTS as Record<'test', EnvironmentConfig>).test = original;
    if (profile === undefined) delete process.env.AWS_PROFILE;
    else process.env.AWS_PROFILE = profile;
  });

  it('opens an interactive /bin/sh in the web container of a running task and hands the session to the plugin', async () => {
    // GIVEN test deployed with exec on, two tasks running
    setTestExec(true);
    const w = world();
    const { cluster, service } = await w.deployTest();
    assert.equal(service.tasks.length, 2);
    const [first] = service.tasks;

    // WHEN the operator asks for a shell
    const result = await w.berth('exec', 'test');

    // THEN ECS is asked for an interactive session running /bin/sh in container web of a running task
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(w.model.execCalls, [
      { cluster, task: first!.arn, container: 'web', command: '/bin/sh', interactive: true },
    ]);
    // AND the plugin gets the AWS CLI's argv: session, region, StartSession, profile, target, ECS endpoint
    assert.equal(w.terminal.runs.length, 1);
    const { command, args } = w.terminal.runs[0]!;
    assert.equal(command, 'session-manager-plugin');
    assert.equal(args.length, 6);
    const session = JSON.parse(args[0]!);
    assert.deepEqual(Object.keys(session).sort(), ['sessionId', 'streamUrl', 'tokenValue']);
    assert.match(session.streamUrl, /^wss:\/\/ssmmessages\.eu-west-1\.amazonaws\.com\/v1\/data-channel\//);
    const taskId = first!.arn.split('/').at(-1);
    assert.deepEqual(args.slice(1), [
      'eu-west-1',
      'StartSession',
      'berth-oncall',
      JSON.stringify({ Target: `ecs:${cluster}_${taskId}_${first!.runtimeId}` }),
      'https://ecs.eu-west-1.amazonaws.com',
    ]);
    assert.equal(result.stdout, '', 'stdout belongs to the session');
  });

  it("--service opens the session in the worker's own service and container", async () => {
    // GIVEN shop's test (web `api`, worker `jobs` with 3 tasks) deployed, exec on (test's default)
    const w = world(TWO_SERVICES);
    const { cluster } = await w.deployTest();
    const jobs = w.model.service('test', 'jobs')!;
    assert.equal(jobs.tasks.length, 3);

    // WHEN the operator asks for a shell in the worker
    const result = await w.berth('exec', 'test', '--service', 'jobs');

    // THEN ECS is asked for a session in container jobs of one of jobs' tasks, and the plugin gets its target
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(w.model.execCalls, [
      { cluster, task: jobs.tasks[0]!.arn, container: 'jobs', command: '/bin/sh', interactive: true },
    ]);
    const taskId = jobs.tasks[0]!.arn.split('/').at(-1);
    assert.equal(
      w.terminal.runs[0]?.args[4],
      JSON.stringify({ Target: `ecs:${cluster}_${taskId}_${jobs.tasks[0]!.runtimeId}` }),
    );
  });

  it('runs a one-off command in the task named with --task', async () => {
    // GIVEN test deployed with exec on
    setTestExec(true);
    const w = world();
    const { cluster, service } = await w.deployTest();
    const second = service.tasks[1]!;

    // WHEN the operator runs one command in the second task, by id
    const result = await w.berth(
      'exec',
      'test',
      '--task',
      second.arn.split('/').at(-1)!,
      '--',
      'ls',
      '-la',
      '/tmp',
    );

    // THEN that task and that command
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(w.model.execCalls, [
      { cluster, task: second.arn, container: 'web', command: 'ls -la /tmp', interactive: true },
    ]);
    assert.equal(w.terminal.runs.length, 1);
  });

  it('without the plugin: one line with the install link, exit 1, no AWS call', async () => {
    setTestExec(true);
    const w = world();
    await w.deployTest();
    w.terminal.installed = false;
    const callsBefore = w.model.calls.length;

    const result = await w.berth('exec', 'test');

    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `berth: session-manager-plugin is not on PATH: install it (${INSTALL_URL}), then run berth exec again\n`,
    );
    assert.deepEqual(w.model.calls.slice(callsBefore), []);
    assert.deepEqual(w.terminal.runs, []);
  });

  it('exec off in the environment: one line naming the setting, exit 1, no session', async () => {
    // GIVEN test deployed with exec off
    setTestExec(false);
    const w = world();
    await w.deployTest();

    const result = await w.berth('exec', 'test');

    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'berth: exec is off in test: set environments.test.exec.enabled: true in berth.config.ts, then `berth deploy test`\n',
    );
    assert.deepEqual(w.model.execCalls, []);
    assert.deepEqual(w.terminal.runs, []);
  });

  it('exec turned on after the tasks started: one line saying how to replace them', async () => {
    // GIVEN test running with exec off, then turned on by a deploy that starts no new task (same image)
    setTestExec(false);
    const w = world();
    const { cluster, service } = await w.deployTest();
    setTestExec(true);
    const redeploy = await w.berth('deploy', 'test', '--timeout', '30m');
    assert.equal(redeploy.code, 0, redeploy.stderr);
    assert.equal(service.enableExecuteCommand, true);

    const result = await w.berth('exec', 'test');

    assert.equal(result.code, 1);
    const firstId = service.tasks[0]!.arn.split('/').at(-1);
    assert.equal(
      result.stderr,
      `berth: task ${firstId} started before exec was turned on: replace the tasks with ` +
        `\`aws ecs update-service --cluster ${cluster} --service ${service.name} --force-new-deployment\`\n`,
    );
    assert.deepEqual(w.model.execCalls, []);
  });

  it('an unknown --task: one line, exit 1', async () => {
    setTestExec(true);
    const w = world();
    const { cluster } = await w.deployTest();

    const result = await w.berth('exec', 'test', '--task', '0123456789abcdef0123456789abcdef');

    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `berth: task 0123456789abcdef0123456789abcdef not found in cluster ${cluster}: omit --task to pick one\n`,
    );
  });
});
