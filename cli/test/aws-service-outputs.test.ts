/**
 * Which AWS names each configured service has, read from the Service stack's outputs (service-outputs.ts).
 * The output keys are written out as literals (`AdminServiceName`, …: the `<PascalName><Thing>` pattern
 * infra/lib/naming.ts documents), never derived with serviceOutputs(), and every value is distinct, so a key
 * read for the wrong service or the wrong field shows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deployedServices, existingServices } from '../src/aws/service-outputs.js';
import { ADMIN, WEB, WORKER, withServices } from './fixtures/services-config.js';

const CONFIG = withServices([ADMIN, WORKER, WEB]).environments.test;
const WHERE = 'Berth-Test-eu-west-1-Service';

/** Everything a blue/green `admin`, a `worker` and a rolling `web` (no production rule) put in the outputs. */
const OUTPUTS: Record<string, string> = {
  ClusterName: 'cluster-c1',
  AdminServiceName: 'svc-admin',
  AdminLogGroupName: 'logs-admin',
  AdminTargetGroupArn: 'tg-admin',
  AdminProductionRuleArn: 'rule-admin',
  WorkerServiceName: 'svc-worker',
  WorkerLogGroupName: 'logs-worker',
  WebServiceName: 'svc-web',
  WebTargetGroupArn: 'tg-web',
};

const ADMIN_DEPLOYED = {
  name: 'admin',
  kind: 'web',
  cluster: 'cluster-c1',
  service: 'svc-admin',
  logGroupName: 'logs-admin',
  targetGroupArn: 'tg-admin',
  productionRuleArn: 'rule-admin',
};
const WORKER_DEPLOYED = {
  name: 'worker',
  kind: 'worker',
  cluster: 'cluster-c1',
  service: 'svc-worker',
  logGroupName: 'logs-worker',
};
// No log group output and no production rule: the fields are absent, not present as undefined.
const WEB_DEPLOYED = {
  name: 'web',
  kind: 'web',
  cluster: 'cluster-c1',
  service: 'svc-web',
  targetGroupArn: 'tg-web',
};

describe('deployedServices', () => {
  it("names each service of the config, in the config's order, with its own outputs only", () => {
    assert.deepStrictEqual(deployedServices(CONFIG, OUTPUTS, WHERE), [
      ADMIN_DEPLOYED,
      WORKER_DEPLOYED,
      WEB_DEPLOYED,
    ]);
  });

  it('gives a worker no target group or production rule, even if outputs under its name had them', () => {
    const outputs = {
      ...OUTPUTS,
      WorkerTargetGroupArn: 'tg-stray',
      WorkerProductionRuleArn: 'rule-stray',
    };
    assert.deepStrictEqual(deployedServices(CONFIG, outputs, WHERE)[1], WORKER_DEPLOYED);
  });

  it('says to deploy when the cluster output is missing', () => {
    const { ClusterName: _, ...outputs } = OUTPUTS;
    assert.throws(() => deployedServices(CONFIG, outputs, WHERE), {
      name: 'CliError',
      message: `output ClusterName not found in ${WHERE}: deploy the environment first (berth deploy <env>)`,
    });
  });

  it('says to deploy when a service of the config has no service output (added since the last deploy)', () => {
    const { WorkerServiceName: _, ...outputs } = OUTPUTS;
    assert.throws(() => deployedServices(CONFIG, outputs, WHERE), {
      name: 'CliError',
      message: `output WorkerServiceName not found in ${WHERE}: deploy the environment first (berth deploy <env>)`,
    });
  });
});

describe('existingServices', () => {
  it('is empty when the Service stack has no cluster output (it does not exist)', () => {
    const { ClusterName: _, ...outputs } = OUTPUTS;
    assert.deepStrictEqual(existingServices(CONFIG, outputs), []);
  });

  it('keeps the services the stacks have, in the config order, and skips the one not deployed yet', () => {
    const { WorkerServiceName: _, ...outputs } = OUTPUTS;
    assert.deepStrictEqual(existingServices(CONFIG, outputs), [ADMIN_DEPLOYED, WEB_DEPLOYED]);
  });

  it('reads the same fields as deployedServices for every service', () => {
    assert.deepStrictEqual(existingServices(CONFIG, OUTPUTS), [
      ADMIN_DEPLOYED,
      WORKER_DEPLOYED,
      WEB_DEPLOYED,
    ]);
  });
});
