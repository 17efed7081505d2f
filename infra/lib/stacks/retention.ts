import type * as logs from 'aws-cdk-lib/aws-logs';

/** Config holds retention as a plain number (validated against CloudWatch's allowed values). */
export function retentionDays(days: number): logs.RetentionDays {
  return days as logs.RetentionDays;
}
