import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { logStreamName } from '@berth/infra';
import { diagnoseService, formatDiagnosis } from '../src/aws/diagnose.js';
import {
  CLUSTER,
  givenCrashingRelease,
  LOG_GROUP,
  mockAws,
  SERVICE,
  TARGET_GROUP_ARN,
  TASK_ID,
} from './fixtures/aws.js';

describe('diagnoseService', () => {
  it('gathers events, the stopped task, its exit code and last log lines, and target health in one explanation', async () => {
    const { clients, stubs } = mockAws();
    givenCrashingRelease(stubs);

    const diagnosis = await diagnoseService(clients, {
      cluster: CLUSTER,
      service: SERVICE,
      container: 'web',
      targetGroupArn: TARGET_GROUP_ARN,
      logGroupName: LOG_GROUP,
    });
    const text = formatDiagnosis(diagnosis);

    assert.equal(diagnosis.events.length, 2);
    assert.match(diagnosis.events[0]!, /is unhealthy in/, 'newest event first');
    assert.deepEqual(diagnosis.stoppedTasks, [
      {
        taskId: TASK_ID,
        stoppedReason: 'Essential container in task exited',
        containers: ['web exit 1'],
        logLines: [
          '{"level":30,"msg":"Server listening at http://0.0.0.0:80"}',
          '{"level":50,"msg":"migration failed: relation \\"products\\" does not exist"}',
        ],
      },
    ]);
    assert.deepEqual(diagnosis.targetProblems, [
      'i-0abc123:32768 unhealthy Target.FailedHealthChecks: Health checks failed with these codes: [503]',
    ]);
    assert.match(text, /Essential container in task exited/);
    assert.match(text, /container web exit 1/);
    assert.match(text, /relation \\"products\\" does not exist/);
    assert.match(text, /Target\.FailedHealthChecks/);
  });

  it('reads the stream awslogs writes: <stream prefix>/<container name>/<task id>, both the service name', () => {
    assert.equal(logStreamName('web', '0123abcd'), 'web/web/0123abcd');
    assert.equal(logStreamName('cart-expiry', '0123abcd'), 'cart-expiry/cart-expiry/0123abcd');
  });

  it('says the container never started when its log stream does not exist', async () => {
    const { clients, stubs } = mockAws();
    givenCrashingRelease(stubs);
    const notFound = Object.assign(new Error('The specified log stream does not exist.'), {
      name: 'ResourceNotFoundException',
    });
    stubs.logs.on(GetLogEventsCommand).rejects(notFound);

    const diagnosis = await diagnoseService(clients, {
      cluster: CLUSTER,
      service: SERVICE,
      container: 'web',
      logGroupName: LOG_GROUP,
    });

    assert.deepEqual(diagnosis.stoppedTasks[0]?.logLines, ['(no log stream: the container never started)']);
    assert.deepEqual(diagnosis.targetProblems, [], 'no target group given, none asked');
  });
});
