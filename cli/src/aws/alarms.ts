import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';

export interface FiringAlarm {
  readonly name: string;
  readonly reason: string;
  readonly since?: string;
}

/** Alarms currently in ALARM whose names start with the environment's prefix. */
export async function firingAlarms(cloudwatch: CloudWatchClient, prefix: string): Promise<FiringAlarm[]> {
  const firing: FiringAlarm[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, StateValue: 'ALARM', NextToken: nextToken }),
    );
    for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      firing.push({
        name: a.AlarmName ?? '?',
        reason: a.StateReason ?? '',
        ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp.toISOString() } : {}),
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return firing;
}
