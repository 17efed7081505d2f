/**
 * `berth status` through `main` against the AWS model, after a real `berth deploy` of an app with a web
 * service and a worker (shop: `api` on 8080, worker `jobs` with 3 tasks in test).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnvironmentStatus } from '../src/observe/status.js';
import { TWO_SERVICES } from './scenarios/configs.js';
import { modelWorld } from './scenarios/model-context.js';
import { runBerth } from './scenarios/run-berth.js';

describe('berth status after deploying a web service and a worker', () => {
  it('lists both: the worker with its task count, the web service with its target health and URL', async () => {
    // GIVEN shop's test environment deployed
    const { ctx, model } = modelWorld({ config: TWO_SERVICES });
    const deploy = await runBerth(ctx, 'deploy', 'test', '--timeout', '30m');
    assert.equal(deploy.code, 0, deploy.stderr);

    // WHEN the operator asks for the status, as JSON and as text
    const json = await runBerth(ctx, 'status', 'test', '--json');
    const text = await runBerth(ctx, 'status', 'test');

    // THEN every service of the config is there, in its order, each as ECS runs it
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout) as EnvironmentStatus;
    const api = model.service('test', 'api')!;
    const jobs = model.service('test', 'jobs')!;
    assert.deepEqual(
      status.services.map((s) => [s.name, s.kind, s.ecsName, s.running, s.desired, s.rolloutState]),
      [
        ['api', 'web', api.name, 1, 1, 'COMPLETED'],
        ['jobs', 'worker', jobs.name, 3, 3, 'COMPLETED'],
      ],
    );
    assert.deepEqual(status.services[0]?.targets, { healthy: 1, total: 1, problems: [] });
    assert.equal(status.services[0]?.url, status.url, 'the catch-all answers at the environment URL');
    assert.equal(status.services[1]?.targets, undefined, 'a worker has no target group');
    assert.match(text.stdout, /\n {4}api +web +1\/1 running, rollout COMPLETED\n +targets 1\/1 healthy\n/);
    assert.match(text.stdout, /\n {4}jobs +worker +3\/3 running, rollout COMPLETED\n/);
  });
});
