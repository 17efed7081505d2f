/**
 * `berth logs` and `berth exec` through `main`, in an environment with several services: which service
 * `--service` picks, the defaults when it is omitted, and the one-line errors. AWS is stubbed; output keys are
 * written as literals (what serviceOutputs names them), so a change of naming shows here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ExecuteCommandCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import type { LoadedConfig } from '@berth/infra';
import { main } from '../src/main.js';
import type { Terminal } from '../src/terminal.js';
import {
  CLUSTER,
  deployment,
  fakeContext,
  givenServiceStackOutputs,
  mockAws,
  REGION,
  type Stubs,
  service,
} from './fixtures/aws.js';
import { ADMIN, WEB, WORKER, withServices } from './fixtures/services-config.js';

const WEB_SERVICE = 'Berth-Test-eu-west-1-Service-WebService1A2B3C-aaa111';
const WORKER_SERVICE = 'Berth-Test-eu-west-1-Service-WorkerService7A8B9C-ccc333';

function givenOutputs(stubs: Stubs): void {
  givenServiceStackOutputs(stubs, {
    ClusterName: CLUSTER,
    WebServiceName: WEB_SERVICE,
    WebLogGroupName: 'Web-Logs',
    WorkerServiceName: WORKER_SERVICE,
    WorkerLogGroupName: 'Worker-Logs',
  });
}

class RecordingTerminal implements Terminal {
  readonly runs: { command: string; args: readonly string[] }[] = [];
  has = () => true;
  async attach(command: string, args: readonly string[]): Promise<number> {
    this.runs.push({ command, args });
    return 0;
  }
}

async function berth(config: LoadedConfig, setup: (stubs: Stubs) => void, ...args: string[]) {
  const { clients, stubs } = mockAws();
  setup(stubs);
  const terminal = new RecordingTerminal();
  const ctx = fakeContext(clients, { config, terminal });
  const err: string[] = [];
  const code = await main(['node', 'berth', ...args], () => ctx, { write: (s) => err.push(s) });
  return { code, stdout: ctx.out.join(''), stderr: err.join(''), stubs, terminal, progress: ctx.progress };
}

describe('berth logs --service', () => {
  it('an unknown name: one line listing the services, exit 1, no AWS call', async () => {
    const run = await berth(withServices([WEB, WORKER]), () => {}, 'logs', 'test', '--service', 'wrker');
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'berth: --service wrker: test has no service of that name; expected one of web, worker\n',
    );
    assert.equal(run.stubs.sts.calls().length, 0);
    assert.equal(run.stubs.cfn.calls().length, 0);
  });

  it("prints only that service's group, each line tagged with it", async () => {
    const run = await berth(
      withServices([WEB, WORKER]),
      (stubs) => {
        givenOutputs(stubs);
        stubs.logs.on(FilterLogEventsCommand, { logGroupName: 'Worker-Logs' }).resolves({
          events: [
            {
              eventId: 'k1',
              timestamp: Date.parse('2026-11-21T09:55:00Z'),
              logStreamName: 'worker/worker/5e5e5e5e99',
              message: 'expired 3 carts',
            },
          ],
        });
      },
      'logs',
      'test',
      '--service',
      'worker',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '2026-11-21T09:55:00.000Z worker 5e5e5e5e expired 3 carts\n');
    const asked = run.stubs.logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    // --since defaults to 10 minutes before the fake clock's 10:00.
    assert.deepEqual(
      asked.map((i) => [i.logGroupName, i.startTime]),
      [['Worker-Logs', Date.parse('2026-11-21T09:50:00Z')]],
    );
  });

  it('without --service reads every service in the config', async () => {
    const run = await berth(
      withServices([WEB, WORKER]),
      (stubs) => {
        givenOutputs(stubs);
        stubs.logs.on(FilterLogEventsCommand).resolves({ events: [] });
      },
      'logs',
      'test',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      run.stubs.logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input.logGroupName),
      ['Web-Logs', 'Worker-Logs'],
    );
  });
});

describe('berth exec --service', () => {
  const taskArn = `arn:aws:ecs:${REGION}:111122223333:task/${CLUSTER}/9f9f9f9f9f9f`;
  const givenWorkerTask = (stubs: Stubs) => {
    givenOutputs(stubs);
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [WORKER_SERVICE] })
      .resolves(service([deployment()], { serviceName: WORKER_SERVICE, enableExecuteCommand: true }));
    stubs.ecs
      .on(ListTasksCommand, { cluster: CLUSTER, serviceName: WORKER_SERVICE, desiredStatus: 'RUNNING' })
      .resolves({ taskArns: [taskArn] });
    stubs.ecs.on(DescribeTasksCommand, { cluster: CLUSTER, tasks: [taskArn] }).resolves({
      tasks: [
        {
          taskArn,
          lastStatus: 'RUNNING',
          enableExecuteCommand: true,
          containers: [
            {
              name: 'worker',
              runtimeId: '9f9f9f9f9f9f-worker',
              managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }],
            },
          ],
        },
      ],
    });
    stubs.ecs
      .on(ExecuteCommandCommand, { task: taskArn, container: 'worker', interactive: true })
      .resolves({ session: { sessionId: 's-1', streamUrl: 'wss://x', tokenValue: 't' } });
  };

  it("opens the session in the named service's ECS service and container", async () => {
    const run = await berth(
      withServices([WEB, WORKER]),
      givenWorkerTask,
      'exec',
      'test',
      '--service',
      'worker',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.terminal.runs.length, 1);
    assert.equal(
      run.terminal.runs[0]!.args[4],
      JSON.stringify({ Target: `ecs:${CLUSTER}_9f9f9f9f9f9f_9f9f9f9f9f9f-worker` }),
    );
    assert.ok(
      run.progress.lines.includes('session in worker task 9f9f9f9f9f9f, container worker (logged)'),
      run.progress.lines.join('\n'),
    );
  });

  it('without --service: the only web service', async () => {
    const run = await berth(
      withServices([WORKER, WEB]),
      (stubs) => {
        givenOutputs(stubs);
        stubs.ecs
          .on(DescribeServicesCommand, { services: [WEB_SERVICE] })
          .resolves(service([deployment()], { serviceName: WEB_SERVICE, enableExecuteCommand: false }));
      },
      'exec',
      'test',
    );
    // exec is off for it in this stub: the refusal proves which service was asked.
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^berth: exec is off in test/);
    assert.deepEqual(
      run.stubs.ecs.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input.services),
      [[WEB_SERVICE]],
    );
  });

  it('without --service and two web services: one line asking for it, no AWS call', async () => {
    const run = await berth(withServices([WEB, ADMIN, WORKER]), () => {}, 'exec', 'test');
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'berth: test has 2 web services (web, admin): choose one with --service <name> (one of web, admin, worker)\n',
    );
    assert.equal(run.stubs.cfn.calls().length, 0);
  });

  it('without --service and only workers: one line asking for it, no AWS call', async () => {
    const run = await berth(withServices([WORKER]), () => {}, 'exec', 'test');
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'berth: test has no web service: choose one with --service <name> (one of worker)\n',
    );
    assert.equal(run.stubs.cfn.calls().length, 0);
  });

  it('an unknown --service: one line listing the services', async () => {
    const run = await berth(withServices([WEB, WORKER]), () => {}, 'exec', 'test', '--service', 'api');
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'berth: --service api: test has no service of that name; expected one of web, worker\n',
    );
  });
});
