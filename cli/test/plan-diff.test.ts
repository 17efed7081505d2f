import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { compareTemplates, diffAgainstDeployed, renderStackDiffs } from '../src/plan/deployed-diff.js';
import type { CfnTemplate, StackTemplate } from '../src/plan/template.js';

const deployed: CfnTemplate = {
  Resources: {
    Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: 'alarms' } },
    Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 30 } },
    Gone: { Type: 'AWS::SNS::Topic' },
  },
};
const synthesized: CfnTemplate = {
  Resources: {
    // Same properties in another key order: not a change.
    Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: 'alarms' } },
    Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 60 } },
    Added: { Type: 'AWS::SQS::Queue' },
  },
};
const stack = (stackName: string): StackTemplate => ({
  stackName,
  region: 'eu-west-1',
  template: synthesized,
});

describe('berth plan --diff', () => {
  it('GIVEN a deployed template THEN lists added, modified and removed resources by logical id', () => {
    const diff = compareTemplates('S', deployed, synthesized);
    assert.equal(diff.status, 'changed');
    assert.deepEqual(diff.added, ['Added']);
    assert.deepEqual(diff.modified, ['Queue']);
    assert.deepEqual(diff.removed, ['Gone']);
  });

  it('ignores key order and CDK metadata', () => {
    const withMetadata = {
      Resources: {
        Topic: {
          Type: 'AWS::SNS::Topic',
          Properties: { B: 1, A: [1, { y: 2, x: 1 }] },
          Metadata: { p: 'a' },
        },
      },
    };
    const reordered = {
      Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { A: [1, { x: 1, y: 2 }], B: 1 } } },
    };
    assert.equal(compareTemplates('S', withMetadata, reordered).status, 'unchanged');
  });

  it('reads each stack from CloudFormation; a stack that does not exist is new', async () => {
    const cfn = mockClient(CloudFormationClient);
    cfn
      .on(GetTemplateCommand, { StackName: 'Deployed' })
      .resolves({ TemplateBody: JSON.stringify(deployed) });
    cfn
      .on(GetTemplateCommand, { StackName: 'Missing' })
      .rejects(Object.assign(new Error('Stack with id Missing does not exist'), { name: 'ValidationError' }));
    const diffs = await diffAgainstDeployed(new CloudFormationClient({ region: 'eu-west-1' }), [
      stack('Deployed'),
      stack('Missing'),
    ]);
    assert.deepEqual(
      diffs.map((d) => [d.stackName, d.status]),
      [
        ['Deployed', 'changed'],
        ['Missing', 'new'],
      ],
    );
    assert.equal(cfn.commandCalls(GetTemplateCommand)[0]!.args[0].input.TemplateStage, 'Original');
    const text = renderStackDiffs(diffs);
    assert.match(text, /Deployed: 1 to add, 1 to modify, 1 to remove/);
    assert.match(text, /\+ Added/);
    assert.match(text, /Missing: not deployed yet, creates 3 resources/);
    cfn.restore();
  });

  it('other CloudFormation errors are not mistaken for a new stack', async () => {
    const cfn = mockClient(CloudFormationClient);
    cfn.on(GetTemplateCommand).rejects(new Error('Rate exceeded'));
    await assert.rejects(
      diffAgainstDeployed(new CloudFormationClient({ region: 'eu-west-1' }), [stack('S')]),
      /Rate exceeded/,
    );
    cfn.restore();
  });
});
