import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelUpdateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { stopOrExplain } from '../src/deploy/stack-timeout.js';
import { mockAws } from './fixtures/aws.js';

// What a timed-out deploy says about each stack it was changing. CancelUpdateStack works only in
// UPDATE_IN_PROGRESS (CloudFormation API Reference, "CancelUpdateStack"); anything else still in
// progress gets the `aws cloudformation wait` command that succeeds when that operation ends as expected
// (AWS CLI Command Reference, "wait stack-create-complete" / "stack-update-complete" /
// "stack-rollback-complete": stack-update-complete FAILS on UPDATE_ROLLBACK_COMPLETE, stack-rollback-complete
// succeeds on it).

const REGION = 'eu-central-1';

function stacksIn(statuses: Record<string, string>) {
  const { clients, stubs } = mockAws(REGION);
  stubs.cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => {
    const status = statuses[input.StackName];
    // A stack that does not exist is a ValidationError (CloudFormation API Reference, "DescribeStacks").
    if (status === undefined) {
      throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), {
        name: 'ValidationError',
      });
    }
    return { Stacks: [{ StackName: input.StackName, StackStatus: status, CreationTime: new Date() }] };
  });
  return { cfn: clients.cfn, stubs };
}

describe('stopOrExplain', () => {
  it('cancels only the stack in UPDATE_IN_PROGRESS and names the rollback wait for it', async () => {
    const { cfn, stubs } = stacksIn({ Updating: 'UPDATE_IN_PROGRESS', Done: 'UPDATE_COMPLETE' });
    stubs.cfn.on(CancelUpdateStackCommand, { StackName: 'Updating' }).resolves({});

    const lines = await stopOrExplain(cfn, REGION, ['Done', 'Updating', 'Missing']);

    assert.deepEqual(lines, [
      'Updating: update cancelled; CloudFormation is rolling it back to its previous state ' +
        '(`aws cloudformation wait stack-rollback-complete --region eu-central-1 --stack-name Updating`)',
    ]);
    assert.deepEqual(
      stubs.cfn.commandCalls(CancelUpdateStackCommand).map((c) => c.args[0].input.StackName),
      ['Updating'],
    );
  });

  it('names the waiter that ends with the operation for what cannot be cancelled, and skips a change set under review', async () => {
    const { cfn, stubs } = stacksIn({
      Creating: 'CREATE_IN_PROGRESS',
      RollingBack: 'UPDATE_ROLLBACK_IN_PROGRESS',
      Cleanup: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      Review: 'REVIEW_IN_PROGRESS',
    });

    const lines = await stopOrExplain(cfn, REGION, ['Creating', 'RollingBack', 'Cleanup', 'Review']);

    const line = (stack: string, status: string, waiter: string) =>
      `${stack}: ${status} cannot be cancelled and continues in CloudFormation ` +
      `(\`aws cloudformation wait ${waiter} --region eu-central-1 --stack-name ${stack}\`)`;
    assert.deepEqual(lines, [
      line('Creating', 'CREATE_IN_PROGRESS', 'stack-create-complete'),
      line('RollingBack', 'UPDATE_ROLLBACK_IN_PROGRESS', 'stack-rollback-complete'),
      line('Cleanup', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'stack-update-complete'),
    ]);
    assert.equal(stubs.cfn.commandCalls(CancelUpdateStackCommand).length, 0);
  });
});
