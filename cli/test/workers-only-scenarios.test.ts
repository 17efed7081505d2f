/**
 * An app of workers only (#13 item 2): the real commands, through `main`, against the AWS model holding app
 * `feeds` (cli/test/scenarios/configs/workers-only.berth.config.ts): workers `ingest` (2 tasks, a queue) and
 * `digest` (a queue), no web service. There is no load balancer, so no URL: deploy and status say so and check
 * what exists instead of failing on a missing output; rollback and destroy work as for any app. Expected values
 * are literals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandContext } from '../src/context.js';
import { WORKERS_ONLY } from './scenarios/configs.js';
import { inOrder, modelWorld } from './scenarios/model-context.js';
import { runBerth } from './scenarios/run-berth.js';

const REGION = 'eu-west-1';
const SERVICE_STACK = 'Feeds-Test-eu-west-1-Service';
const STACKS = ['Network', 'Data', 'Service', 'Monitoring'].map((c) => `Feeds-Test-eu-west-1-${c}`);

function world() {
  const w = modelWorld({ config: WORKERS_ONLY });
  const fetched: string[] = [];
  const ctx: CommandContext = {
    ...w.ctx,
    // No web service: nothing may be smoke-tested; a request would be a bug.
    fetch: async (url: string) => {
      fetched.push(url);
      throw new TypeError('fetch failed');
    },
  };
  return { ...w, fetched, berth: (...args: string[]) => runBerth(ctx, ...args) };
}

describe('an app of workers only: deploy and status with no load balancer', () => {
  it('deploys both workers, smoke-tests nothing, records the image, and prints no URL', async () => {
    const w = world();

    // WHEN the first image is deployed to a fresh test
    w.docker.sha = '5ca1ab1e0042';
    const deploy = await w.berth('deploy', 'test', '--timeout', '30m');

    // THEN it succeeds, waited for each worker, requested nothing, and says there is no URL
    assert.equal(deploy.code, 0, deploy.stderr);
    const ingest = w.model.service('test', 'ingest')!;
    const digest = w.model.service('test', 'digest')!;
    assert.equal(ingest.desiredCount, 2);
    assert.ok(
      inOrder(w.progress.lines, [
        `deploying ${STACKS.join(', ')}`,
        `waiting for ingest (${ingest.name}) to reach a steady state`,
        'ingest: rollout COMPLETED, tasks 2/2 running (0 pending)',
        `waiting for digest (${digest.name}) to reach a steady state`,
        'digest: rollout COMPLETED, tasks 1/1 running (0 pending)',
        'steady after 0s; no web service, nothing to smoke-test (ingest, digest running)',
      ]),
      w.progress.lines.join('\n'),
    );
    assert.deepEqual(w.fetched, []);
    assert.equal(deploy.stdout, 'test (eu-west-1): deployed, no URL (no web service)\n');
    assert.equal(w.model.stacks.get(SERVICE_STACK)!.outputs.ServiceUrl, undefined);
    assert.deepEqual(w.model.parameterValues(REGION, '/feeds/test/image-digest'), [
      w.model.images.get('5ca1ab1e0042'),
    ]);

    // WHEN the same deploy is asked for as JSON
    const json = await w.berth('deploy', 'test', '--timeout', '30m', '--json');

    // THEN the region carries no url field at all (not null, not '')
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).regions, [{ region: 'eu-west-1' }]);

    // WHEN the operator asks for the status
    const status = await w.berth('status', 'test');

    // THEN it shows no URL as a fact, not as "not deployed", and each worker's queue
    assert.equal(status.code, 0, status.stderr);
    const lines = status.stdout.split('\n');
    assert.ok(lines.includes('  url:      none (no web service)'), status.stdout);
    assert.ok(
      lines.some((l) => /^ {4}ingest {2}worker {2}2\/2 running, rollout COMPLETED$/.test(l)),
      status.stdout,
    );
    const queueLine = lines.find((l) =>
      l.includes('queue https://sqs.eu-west-1.amazonaws.com/309876543210/'),
    );
    assert.ok(queueLine?.includes('IngestQueue-'), status.stdout);
    assert.equal(lines.filter((l) => l.includes('queue https://sqs.')).length, 2, status.stdout);

    // WHEN a second image is deployed and then rolled back
    w.docker.sha = '5ca1ab1e0043';
    const second = await w.berth('deploy', 'test', '--timeout', '30m');
    assert.equal(second.code, 0, second.stderr);
    const rollback = await w.berth('rollback', 'test', '--timeout', '30m');

    // THEN the workers run the first image again, still with no request made
    assert.equal(rollback.code, 0, rollback.stderr);
    const first = w.model.images.get('5ca1ab1e0042')!;
    assert.equal(rollback.stdout, `test now runs ${first}\n`);
    for (const name of ['ingest', 'digest']) {
      const revision = w.model.taskDefinitions.get(w.model.service('test', name)!.taskDefinition)!;
      assert.equal(revision.image.split('@')[1], first, name);
    }
    assert.deepEqual(w.fetched, []);

    // WHEN test is destroyed
    const destroy = await w.berth('destroy', 'test');

    // THEN both workers were scaled to zero and every stack is gone
    assert.equal(destroy.code, 0, destroy.stderr);
    assert.deepEqual(w.model.deletedServices, [
      { name: 'ingest', desiredCount: 0 },
      { name: 'digest', desiredCount: 0 },
    ]);
    assert.deepEqual(
      STACKS.map((s) => w.model.stackStatus(s)),
      [undefined, undefined, undefined, undefined],
    );
  });
});
