import { type CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { describeStack } from './stack-outputs.js';

export interface StackProblem {
  readonly stackName: string;
  readonly status: string;
  /** What to run or do, in one line. */
  readonly guidance: string;
}

/** Resources CloudFormation could not roll back; they must be skipped to continue the rollback. */
async function failedResources(cfn: CloudFormationClient, stackName: string): Promise<string[]> {
  const result = await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  return (result.StackResources ?? [])
    .filter((r) => r.ResourceStatus === 'UPDATE_FAILED' && r.LogicalResourceId)
    .map((r) => r.LogicalResourceId!);
}

/**
 * Stacks in a state that makes any deploy fail immediately, with what to do about each. Looked at
 * before deploying so the user gets the fix instead of a CloudFormation error halfway through.
 */
export async function findStackProblems(
  cfn: CloudFormationClient,
  stackNames: readonly string[],
): Promise<StackProblem[]> {
  const problems: StackProblem[] = [];
  for (const stackName of stackNames) {
    const status = (await describeStack(cfn, stackName))?.StackStatus;
    if (status === undefined) continue;
    const guidance = await guidanceFor(cfn, stackName, status);
    if (guidance) problems.push({ stackName, status, guidance });
  }
  return problems;
}

async function guidanceFor(
  cfn: CloudFormationClient,
  stackName: string,
  status: string,
): Promise<string | undefined> {
  switch (status) {
    case 'UPDATE_ROLLBACK_FAILED': {
      const skip = await failedResources(cfn, stackName);
      const skipArg = skip.length > 0 ? ` --resources-to-skip ${skip.join(' ')}` : '';
      return (
        `a rollback could not finish; fix the cause (see the stack events), then run ` +
        `\`aws cloudformation continue-update-rollback --stack-name ${stackName}${skipArg}\` and deploy again`
      );
    }
    case 'ROLLBACK_COMPLETE':
      return (
        `its first creation failed and the stack cannot be updated; delete it with ` +
        `\`aws cloudformation delete-stack --stack-name ${stackName}\` and deploy again`
      );
    case 'ROLLBACK_FAILED':
      return (
        `its first creation failed and so did the cleanup; delete it with \`aws cloudformation delete-stack ` +
        `--stack-name ${stackName}\` (add --retain-resources for resources that refuse), then deploy again`
      );
    case 'DELETE_FAILED':
      return (
        `a delete failed; remove what blocks it (see the stack events), then ` +
        `\`aws cloudformation delete-stack --stack-name ${stackName}\` and deploy again`
      );
    case 'REVIEW_IN_PROGRESS':
      // A first create that stopped after its change set was made and before it ran: the stack has
      // "an expected StackId but without any templates or resources" (AWS, CloudFormation "Stack
      // status codes"), nothing is running, and CDK's next change set replaces it. Deployable.
      return undefined;
    case 'IMPORT_ROLLBACK_FAILED':
      return `an import rollback failed; resolve it in the CloudFormation console, then deploy again`;
    default:
      if (status.endsWith('_IN_PROGRESS')) {
        return `another operation is running; wait for it to finish (\`aws cloudformation wait stack-update-complete --stack-name ${stackName}\`) and try again`;
      }
      return undefined;
  }
}

export function formatStackProblems(problems: readonly StackProblem[]): string {
  return problems.map((p) => `${p.stackName} is ${p.status}: ${p.guidance}`).join('\n');
}
