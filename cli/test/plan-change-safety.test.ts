/**
 * The change-safety gate around the engine: where "what runs" comes from (CloudFormation, or the
 * templates a deploy recorded), the refusal `berth deploy` shows, and the plan's section. Hand-written
 * two-resource templates keep every expectation visible.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { CliError } from '../src/errors.js';
import { configWarnings } from '../src/plan/config-warnings.js';
import { readRecordedTemplates, recordDeployedTemplates } from '../src/plan/deployed-record.js';
import { renderChangeSafety } from '../src/plan/format.js';
import { changeSafetyGate, checkChangeSafety } from '../src/plan/preflight.js';
import type { StackTemplate } from '../src/plan/template.js';
import { ENVIRONMENTS } from './fixtures/cart-config.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempRoot(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-record-'));
  dirs.push(d);
  return d;
}

/** A data stack whose bucket's BucketName decides whether CloudFormation replaces it. */
function dataStack(bucketName: string): StackTemplate {
  return {
    stackName: 'Berth-Test-eu-west-2-Data',
    region: 'eu-west-2',
    template: {
      Resources: {
        Uploads: { Type: 'AWS::S3::Bucket', Properties: { BucketName: bucketName } },
        Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
      },
    },
  };
}
const DEPLOYED = dataStack('berth-uploads-7d1e');
// "BucketName — Update requires: Replacement" (AWS::S3::Bucket, CloudFormation resource reference)
const RENAMED = dataStack('berth-uploads-9f2a');
const REPLACE_ID = 'stateful-replace:Berth-Test-eu-west-2-Data/Uploads';

describe('recorded deployments', () => {
  it('records one file per stack under .berth/deployed/<env> and reads them back', () => {
    const root = tempRoot();
    recordDeployedTemplates(root, 'test', [DEPLOYED], new Date('2026-11-30T10:00:00Z'));
    assert.deepEqual(readdirSync(join(root, '.berth/deployed/test')), [
      'Berth-Test-eu-west-2-Data.template.json',
    ]);
    assert.deepEqual(readRecordedTemplates(root), [DEPLOYED]);
  });

  it('the newest record of a stack every environment deploys (Global) wins', () => {
    const root = tempRoot();
    const global = (marker: string): StackTemplate => ({
      stackName: 'Berth-Global',
      region: 'eu-west-1',
      template: { Resources: { [marker]: { Type: 'AWS::SNS::Topic' } } },
    });
    recordDeployedTemplates(root, 'test', [global('FromTest')], new Date('2026-11-30T12:00:00Z'));
    recordDeployedTemplates(root, 'prod', [global('FromProd')], new Date('2026-11-30T11:00:00Z'));
    assert.deepEqual(Object.keys(readRecordedTemplates(root)[0]!.template.Resources!), ['FromTest']);
  });

  it('no record yet: nothing deployed', () => {
    assert.deepEqual(readRecordedTemplates(tempRoot()), []);
  });
});

describe('checkChangeSafety (the berth deploy gate)', () => {
  it('refuses an unsafe change with the finding id and the override to pass', async () => {
    const root = tempRoot();
    recordDeployedTemplates(root, 'test', [DEPLOYED]);
    await assert.rejects(checkChangeSafety({ proposed: [RENAMED], repoRoot: root }), (error: unknown) => {
      assert.ok(error instanceof CliError);
      assert.match(
        error.message,
        /refusing to deploy: 1 unsafe change\(s\) against the last recorded stacks/,
      );
      assert.match(error.message, new RegExp(`--allow-change ${REPLACE_ID}$`));
      assert.match(error.detail ?? '', /AWS::S3::Bucket Uploads will be replaced/);
      return true;
    });
  });

  it('lets the change through when the override names the finding, and reports unused overrides', async () => {
    const root = tempRoot();
    recordDeployedTemplates(root, 'test', [DEPLOYED]);
    const result = await checkChangeSafety({
      proposed: [RENAMED],
      repoRoot: root,
      allow: [REPLACE_ID, 'export-in-use:Nope/X'],
    });
    assert.deepEqual(
      result.accepted.map((f) => f.id),
      [REPLACE_ID],
    );
    assert.deepEqual(result.unusedOverrides, ['export-in-use:Nope/X']);
  });

  it('an unchanged stack passes', async () => {
    const root = tempRoot();
    recordDeployedTemplates(root, 'test', [DEPLOYED]);
    const result = await checkChangeSafety({ proposed: [DEPLOYED], repoRoot: root });
    assert.deepEqual(result.findings, []);
  });

  it("with credentials it asks CloudFormation, in the stack's region, for the Original template", async () => {
    const cfn = mockClient(CloudFormationClient);
    cfn.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify(DEPLOYED.template) });
    const regions: string[] = [];
    try {
      await assert.rejects(
        checkChangeSafety({
          proposed: [RENAMED],
          repoRoot: tempRoot(), // empty: the record is not what counts here
          cfnFor: (region) => {
            regions.push(region);
            return new CloudFormationClient({ region });
          },
        }),
        /against the deployed stacks/,
      );
      assert.deepEqual(regions, ['eu-west-2']);
      assert.deepEqual(cfn.commandCalls(GetTemplateCommand)[0]!.args[0].input, {
        StackName: 'Berth-Test-eu-west-2-Data',
        TemplateStage: 'Original',
      });
    } finally {
      cfn.restore();
    }
  });
});

describe('changeSafetyGate (the preflight hook for berth deploy)', () => {
  const OTHER_ENV = dataStack('berth-prod-uploads');
  const other: StackTemplate = { ...OTHER_ENV, stackName: 'Berth-Prod-eu-west-2-Data' };

  it("checks only the targets' stacks and Global, and refuses the unsafe one", async () => {
    const root = tempRoot();
    recordDeployedTemplates(root, 'test', [DEPLOYED]);
    const synthesized: string[] = [];
    const gate = changeSafetyGate({
      allow: [],
      globalStackName: 'Berth-Global',
      repoRoot: root,
      synthesize: async (env) => {
        synthesized.push(env);
        return [RENAMED, other];
      },
    });
    await assert.rejects(
      gate({ env: 'test', targets: [{ stacks: { Data: 'Berth-Test-eu-west-2-Data' } }] }),
      new RegExp(REPLACE_ID),
    );
    assert.deepEqual(synthesized, ['test']);
  });

  it('reports accepted findings and overrides that match nothing', async () => {
    const root = tempRoot();
    recordDeployedTemplates(root, 'test', [DEPLOYED]);
    const lines: string[] = [];
    const gate = changeSafetyGate({
      allow: [REPLACE_ID, 'stateful-replace:Typo/X'],
      globalStackName: 'Berth-Global',
      repoRoot: root,
      synthesize: async () => [RENAMED],
      report: (line) => lines.push(line),
    });
    await gate({ env: 'test', targets: [{ stacks: { Data: 'Berth-Test-eu-west-2-Data' } }] });
    assert.deepEqual(lines, [
      `accepted by --allow-change: ${REPLACE_ID}`,
      '--allow-change stateful-replace:Typo/X matches no finding (a typo, or no longer needed)',
    ]);
  });
});

describe('plan output', () => {
  it('prints each finding with its id, what happens and the fix, and how to override', () => {
    const text = renderChangeSafety({
      against: 'recorded',
      findings: [
        {
          id: REPLACE_ID,
          kind: 'stateful-replace',
          stackName: 'Berth-Test-eu-west-2-Data',
          message: 'AWS::S3::Bucket Uploads will be replaced',
          fix: 'keep the bucket name',
        },
      ],
      configWarnings: ['test.alarmEmail is not set'],
    });
    assert.match(text, /^Change safety, against the templates the last deploy recorded/);
    assert.match(
      text,
      /✗ UNSAFE stateful-replace:Berth-Test-eu-west-2-Data\/Uploads\n {6}AWS::S3::Bucket Uploads will be replaced\n {6}fix: keep the bucket name/,
    );
    assert.match(text, /--allow-change <id>/);
    assert.match(text, /! test.alarmEmail is not set/);
  });

  it('says so when nothing is unsafe', () => {
    assert.match(
      renderChangeSafety({ against: 'cloudformation', findings: [], configWarnings: [] }),
      /✓ no unsafe change found/,
    );
  });

  it('warns when alarms have no subscriber, and not when they do', () => {
    assert.match(
      configWarnings({ ...ENVIRONMENTS.prod, alarms: {} }, ENVIRONMENTS).join('\n'),
      /prod: alarms notify nobody/,
    );
    assert.deepEqual(
      configWarnings({ ...ENVIRONMENTS.prod, alarms: { email: 'oncall@example.org' } }, ENVIRONMENTS),
      [],
    );
  });

  it("warns when test and prod share an account and a bootstrap qualifier (test's CI role could deploy prod)", () => {
    const quiet = { ...ENVIRONMENTS.prod, alarms: { email: 'oncall@example.org' } };
    const shared = {
      test: { ...ENVIRONMENTS.test, account: ENVIRONMENTS.prod.account, bootstrapQualifier: 'sharedq' },
      prod: { ...quiet, bootstrapQualifier: 'sharedq' },
    };
    assert.match(
      configWarnings(shared.prod, shared).join('\n'),
      /test and prod share account .* bootstrap qualifier "sharedq"/,
    );
    assert.deepEqual(configWarnings(quiet, ENVIRONMENTS), [], 'distinct qualifiers: no warning');
  });
});
