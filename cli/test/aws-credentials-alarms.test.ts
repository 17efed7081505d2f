/**
 * Who-am-I before anything else (cli/src/aws/credentials.ts) and the firing alarms `berth status` lists
 * (cli/src/aws/alarms.ts). Messages are literals: they are the one line the user acts on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { firingAlarms } from '../src/aws/alarms.js';
import { checkCredentials } from '../src/aws/credentials.js';
import { CliError } from '../src/errors.js';
import { mockAws } from './fixtures/aws.js';

const HINT =
  'no usable AWS credentials: set AWS_PROFILE (run `aws sso login --profile <name>` first), ' +
  'export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or in CI assume the deploy role via OIDC ' +
  '(aws-actions/configure-aws-credentials)';

describe('checkCredentials', () => {
  it('returns the account and ARN STS reports', async () => {
    const { clients, stubs } = mockAws();
    stubs.sts.reset();
    stubs.sts.on(GetCallerIdentityCommand).resolves({
      Account: '444455556666',
      Arn: 'arn:aws:sts::444455556666:assumed-role/admin/alice',
      UserId: 'AROAEXAMPLE:alice',
    });

    assert.deepEqual(await checkCredentials(clients.sts, { name: 'prod', account: '444455556666' }), {
      account: '444455556666',
      arn: 'arn:aws:sts::444455556666:assumed-role/admin/alice',
    });
    assert.deepEqual(await checkCredentials(clients.sts), {
      account: '444455556666',
      arn: 'arn:aws:sts::444455556666:assumed-role/admin/alice',
    });
  });

  it('refuses credentials of another account, naming both accounts and the field to change', async () => {
    const { clients, stubs } = mockAws();
    stubs.sts.reset();
    stubs.sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: '777788889999', Arn: 'arn:aws:iam::777788889999:user/bob' });

    const error = await checkCredentials(clients.sts, { name: 'prod', account: '444455556666' }).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CliError);
    assert.equal(
      error.message,
      'credentials are for account 777788889999 but environments.prod.account in berth.config.ts is 444455556666: if 777788889999 is where prod should run, set environments.prod.account to \'777788889999\' (docs/deploy.md, "Your account and repository"); otherwise use credentials for 444455556666',
    );
  });

  it('treats an identity without an account as a mismatch, and a missing ARN as empty', async () => {
    const { clients, stubs } = mockAws();
    stubs.sts.reset();
    stubs.sts.on(GetCallerIdentityCommand).resolves({});

    await assert.rejects(checkCredentials(clients.sts, { name: 'test', account: '111122223333' }), {
      message: /^credentials are for account {2}but environments\.test\.account in berth\.config\.ts/,
    });
    assert.deepEqual(await checkCredentials(clients.sts), { account: '', arn: '' });
  });

  it('turns an STS failure into the credentials hint with the first line of the reason', async () => {
    const { clients, stubs } = mockAws();
    stubs.sts.reset();
    stubs.sts
      .on(GetCallerIdentityCommand)
      .rejects(new Error('The security token included in the request is expired\n    at signer (x.js:1:1)'));

    const error = await checkCredentials(clients.sts).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CliError);
    assert.equal(error.message, `${HINT} (The security token included in the request is expired)`);
  });

  it('says what was thrown when it is not an Error', async () => {
    const { clients, stubs } = mockAws();
    stubs.sts.reset();
    stubs.sts.on(GetCallerIdentityCommand).callsFake(() => {
      throw 'Could not load credentials from any providers';
    });

    await assert.rejects(checkCredentials(clients.sts), {
      message: `${HINT} (Could not load credentials from any providers)`,
    });
  });
});

describe('firingAlarms', () => {
  it('asks only for ALARM state under the prefix, follows NextToken and lists metric and composite alarms', async () => {
    const { clients, stubs } = mockAws();
    // DescribeAlarms pages with NextToken (CloudWatch API Reference, "DescribeAlarms").
    stubs.cloudwatch
      .on(
        DescribeAlarmsCommand,
        { AlarmNamePrefix: 'Berth-Prod-', StateValue: 'ALARM', NextToken: undefined },
        true,
      )
      .resolves({
        MetricAlarms: [
          {
            AlarmName: 'Berth-Prod-Http5xx',
            StateReason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
            StateUpdatedTimestamp: new Date('2026-11-30T21:00:00Z'),
          },
        ],
        NextToken: 'page-2',
      });
    stubs.cloudwatch
      .on(
        DescribeAlarmsCommand,
        { AlarmNamePrefix: 'Berth-Prod-', StateValue: 'ALARM', NextToken: 'page-2' },
        true,
      )
      .resolves({
        MetricAlarms: [{}],
        CompositeAlarms: [{ AlarmName: 'Berth-Prod-ServiceDown', StateReason: 'children in ALARM' }],
      });

    assert.deepEqual(await firingAlarms(clients.cloudwatch, 'Berth-Prod-'), [
      {
        name: 'Berth-Prod-Http5xx',
        reason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
        since: '2026-11-30T21:00:00.000Z',
      },
      { name: '?', reason: '' },
      { name: 'Berth-Prod-ServiceDown', reason: 'children in ALARM' },
    ]);
    assert.equal(stubs.cloudwatch.commandCalls(DescribeAlarmsCommand).length, 2);
  });

  it('is empty when nothing fires', async () => {
    const { clients, stubs } = mockAws();
    stubs.cloudwatch
      .on(DescribeAlarmsCommand, { AlarmNamePrefix: 'Berth-Test-', StateValue: 'ALARM' })
      .resolves({});

    assert.deepEqual(await firingAlarms(clients.cloudwatch, 'Berth-Test-'), []);
  });
});
