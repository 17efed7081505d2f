/**
 * Every cdk-nag acknowledgement carries its reason next to the code (docs/testing.md, standards): a finding
 * silenced with an empty or token reason leaves the reviewer nothing to check. CDK records each
 * `Validations.of(scope).acknowledge({ id, reason })` as `aws:cdk:acknowledged-rules` metadata on the scope
 * (aws-cdk-lib `Validations.ACKNOWLEDGED_RULES_METADATA_KEY`), which is what this test reads.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Validations } from 'aws-cdk-lib';
import { createCartApp } from './fixtures/platform.js';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: unknown;
}

// GIVEN the whole platform (both environments: exec, tracing and blue/green in test; Multi-AZ, WAF in prod)
const app = createCartApp({ outdir: mkdtempSync(join(tmpdir(), 'berth-acks-')) });
app.synth();

const acknowledgements: Acknowledgement[] = app.node.findAll().flatMap((construct) =>
  construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) =>
      Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
        path: construct.node.path,
        id,
        reason,
      })),
    ),
);

const at = (pathPart: string, id: string) =>
  acknowledgements.filter((a) => a.path.includes(pathPart) && a.id === id);

describe('cdk-nag acknowledgements', () => {
  test('each construct that silences a finding is found (the scan is not vacuous)', () => {
    // One per construct family that acknowledges something; the ids are cdk-nag's AwsSolutions rule ids.
    for (const [path, id] of [
      ['/LoadBalancer/SecurityGroup', 'AwsSolutions::AwsSolutions-EC23'],
      ['/LoadBalancer/AccessLogs', 'AwsSolutions::AwsSolutions-S1'],
      ['/Web/TaskDefinition', 'AwsSolutions::AwsSolutions-ECS2'],
      ['/Cluster/AutoScalingGroup', 'AwsSolutions::AwsSolutions-AS3'],
      ['/Database/Instance', 'AwsSolutions::AwsSolutions-RDS11'],
      ['/Database', 'AwsSolutions::AwsSolutions-SMG4'],
      ['/CiAccess/AmiBuildRole', 'AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
    ] as const) {
      assert.ok(at(path, id).length > 0, `${id} acknowledged at …${path}`);
    }
  });

  test('every acknowledgement states a reason a reviewer can check (a sentence, not empty)', () => {
    assert.ok(acknowledgements.length >= 30, `found only ${acknowledgements.length}`);
    const bad = acknowledgements.filter(
      (a) => typeof a.reason !== 'string' || a.reason.trim().split(/\s+/).length < 5,
    );
    assert.deepEqual(
      bad.map((a) => `${a.path}: ${a.id} → ${JSON.stringify(a.reason)}`),
      [],
    );
  });

  test("prod's Multi-AZ, protected database acknowledges neither the single-AZ nor the deletion-protection rule", () => {
    // Only test's disposable database may silence them; in prod they would hide a regression of either setting.
    const prod = acknowledgements.filter((a) => a.path.startsWith('Berth-Prod-'));
    const test_ = acknowledgements.filter((a) => a.path.startsWith('Berth-Test-'));
    for (const id of ['AwsSolutions::AwsSolutions-RDS3', 'AwsSolutions::AwsSolutions-RDS10']) {
      assert.deepEqual(
        prod.filter((a) => a.id === id).map((a) => a.path),
        [],
        `${id} in prod`,
      );
      assert.ok(
        test_.some((a) => a.id === id && a.path.endsWith('/Database/Instance')),
        `${id} in test`,
      );
    }
  });
});
