import { CfnOutput, Fn } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ReleaseTask } from '../constructs/release-task.js';
import { OUTPUTS } from '../naming.js';

/** What `berth deploy` reads to run the release task (keys in naming.ts, read by cli/src/aws/release-task.ts). */
export function addReleaseTaskOutputs(stack: Construct, release: ReleaseTask): void {
  new CfnOutput(stack, OUTPUTS.releaseTaskDefinitionArn, { value: release.taskDefinition.taskDefinitionArn });
  new CfnOutput(stack, OUTPUTS.releaseCapacityProviderName, { value: release.capacityProviderName });
  new CfnOutput(stack, OUTPUTS.releaseSubnetIds, { value: Fn.join(',', release.subnets.subnetIds) });
  new CfnOutput(stack, OUTPUTS.releaseSecurityGroupId, { value: release.securityGroup.securityGroupId });
  new CfnOutput(stack, OUTPUTS.releaseLogGroupName, { value: release.logGroup.logGroupName });
}
