/**
 * A service's secret references (`{ ssm }` / `{ secretsManager, key? }`) as ECS secrets. ECS resolves them when
 * the task starts, with the task's execution role; each `ecs.Secret` grants that role read on exactly its
 * parameter or secret (AWS, "Pass sensitive data to an Amazon ECS container": ssm:GetParameters on the
 * parameter, secretsmanager:GetSecretValue on the secret).
 */
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { SecretReferenceConfig } from '../config/environments.js';

/** A Secrets Manager ARN ends with `-` and the six characters AWS appends to the name. */
const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[^:]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

/** The ECS secrets of one service; construct `id` in `scope` holds the imported parameters and secrets. */
export function ecsSecrets(
  scope: Construct,
  id: string,
  references: Readonly<Record<string, SecretReferenceConfig>>,
): Record<string, ecs.Secret> | undefined {
  const entries = Object.entries(references);
  if (entries.length === 0) return undefined;
  const imports = new Construct(scope, id);
  return Object.fromEntries(
    entries.map(([variable, reference]) => [variable, ecsSecret(imports, variable, reference)]),
  );
}

function ecsSecret(scope: Construct, variable: string, reference: SecretReferenceConfig): ecs.Secret {
  if ('ssm' in reference) {
    const parameter = reference.ssm.startsWith('arn:')
      ? ssm.StringParameter.fromStringParameterArn(scope, variable, reference.ssm)
      : ssm.StringParameter.fromSecureStringParameterAttributes(scope, variable, {
          parameterName: reference.ssm,
        });
    return ecs.Secret.fromSsmParameter(parameter);
  }
  const name = reference.secretsManager;
  const secret = !name.startsWith('arn:')
    ? secretsmanager.Secret.fromSecretNameV2(scope, variable, name)
    : COMPLETE_SECRET_ARN.test(name)
      ? secretsmanager.Secret.fromSecretCompleteArn(scope, variable, name)
      : secretsmanager.Secret.fromSecretPartialArn(scope, variable, name);
  return ecs.Secret.fromSecretsManager(secret, reference.key);
}
