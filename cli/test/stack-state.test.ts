import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { findStackProblems, formatStackProblems } from '../src/aws/stack-state.js';
import { mockAws } from './fixtures/aws.js';

describe('findStackProblems', () => {
  it('gives the fix for each stuck state, skips healthy and missing stacks', async () => {
    const { clients, stubs } = mockAws();
    const states: Record<string, string> = {
      'Berth-Test-eu-west-1-Network': 'UPDATE_COMPLETE',
      'Berth-Test-eu-west-1-Data': 'ROLLBACK_COMPLETE',
      'Berth-Test-eu-west-1-Service': 'UPDATE_IN_PROGRESS',
    };
    stubs.cfn.on(DescribeStacksCommand).callsFake(({ StackName }: { StackName: string }) => {
      const status = states[StackName];
      if (!status) {
        throw Object.assign(new Error(`Stack with id ${StackName} does not exist`), {
          name: 'ValidationError',
        });
      }
      return { Stacks: [{ StackName, StackStatus: status, CreationTime: new Date() }] };
    });

    const problems = await findStackProblems(clients.cfn, [
      ...Object.keys(states),
      'Berth-Test-eu-west-1-Monitoring',
    ]);

    assert.deepEqual(
      problems.map((p) => [p.stackName, p.status]),
      [
        ['Berth-Test-eu-west-1-Data', 'ROLLBACK_COMPLETE'],
        ['Berth-Test-eu-west-1-Service', 'UPDATE_IN_PROGRESS'],
      ],
    );
    const text = formatStackProblems(problems);
    assert.match(
      text,
      /Data is ROLLBACK_COMPLETE: .*`aws cloudformation delete-stack --stack-name Berth-Test-eu-west-1-Data`/,
    );
    assert.match(text, /Service is UPDATE_IN_PROGRESS: another operation is running; wait/);
  });

  it('passes other CloudFormation errors through (they are not "missing stack")', async () => {
    const { clients, stubs } = mockAws();
    stubs.cfn
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await assert.rejects(findStackProblems(clients.cfn, ['Berth-Global']), /Rate exceeded/);
  });
});
