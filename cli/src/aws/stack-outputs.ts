import { type CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { CliError } from '../errors.js';

/** DescribeStacks for one stack; undefined when it does not exist (CloudFormation says ValidationError). */
export async function describeStack(
  cfn: CloudFormationClient,
  stackName: string,
): Promise<Stack | undefined> {
  try {
    const result = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return result.Stacks?.[0];
  } catch (error) {
    if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) {
      return undefined;
    }
    throw error;
  }
}

/**
 * The outputs of several stacks merged into one map, so callers need not know which component
 * exports what. Missing stacks contribute nothing.
 */
export async function readOutputs(
  cfn: CloudFormationClient,
  stackNames: readonly string[],
): Promise<Record<string, string>> {
  const outputs: Record<string, string> = {};
  for (const name of stackNames) {
    const stack = await describeStack(cfn, name);
    for (const output of stack?.Outputs ?? []) {
      if (output.OutputKey && output.OutputValue !== undefined)
        outputs[output.OutputKey] = output.OutputValue;
    }
  }
  return outputs;
}

export function requireOutput(outputs: Record<string, string>, key: string, where: string): string {
  const value = outputs[key];
  if (value === undefined) {
    throw new CliError(
      `output ${key} not found in ${where}: deploy the environment first (berth deploy <env>)`,
    );
  }
  return value;
}
