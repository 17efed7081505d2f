import { CancelUpdateStackCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { describeStack } from '../aws/stack-outputs.js';

/**
 * What to do with stacks a deploy was still changing when its --timeout passed: an update is
 * cancelled (CloudFormation then rolls it back; CancelUpdateStack works only in UPDATE_IN_PROGRESS,
 * AWS CloudFormation API Reference "CancelUpdateStack"); anything else in progress (a create, a
 * rollback) cannot be cancelled, so the line says how to wait for it. One line per stack.
 */
export async function stopOrExplain(
  cfn: CloudFormationClient,
  region: string,
  stackNames: readonly string[],
): Promise<string[]> {
  const lines: string[] = [];
  for (const stackName of stackNames) {
    const status = (await describeStack(cfn, stackName))?.StackStatus;
    if (status === 'UPDATE_IN_PROGRESS') {
      await cfn.send(new CancelUpdateStackCommand({ StackName: stackName }));
      lines.push(
        `${stackName}: update cancelled; CloudFormation is rolling it back to its previous state ` +
          `(\`aws cloudformation wait stack-rollback-complete --region ${region} --stack-name ${stackName}\`)`,
      );
    } else if (status?.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS') {
      // The waiter whose success state ends this operation: stack-update-complete treats the
      // UPDATE_ROLLBACK_COMPLETE a rollback ends in as a failure (AWS CLI Command Reference,
      // "wait stack-update-complete" / "wait stack-rollback-complete").
      const waiter = status.startsWith('CREATE')
        ? 'stack-create-complete'
        : status.startsWith('UPDATE_ROLLBACK')
          ? 'stack-rollback-complete'
          : 'stack-update-complete';
      lines.push(
        `${stackName}: ${status} cannot be cancelled and continues in CloudFormation ` +
          `(\`aws cloudformation wait ${waiter} --region ${region} --stack-name ${stackName}\`)`,
      );
    }
  }
  return lines;
}
