/**
 * ECS Exec (#14 item 3): what exists in the Service stack with `exec.enabled` on, and that none of it exists
 * with it off. Expected values are AWS's (ECS Developer Guide, "Task IAM role": "ECS Exec permissions";
 * "Monitor Amazon ECS containers with ECS Exec": logging and KMS encryption), written here as literals.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Match } from 'aws-cdk-lib/assertions';
import { ENVIRONMENTS, stackName } from './fixtures/cart-config.js';
import { REGION, synthesize, withEnvironment } from './fixtures/platform.js';

// GIVEN test with exec on (retention 14 days) and prod with exec off, named explicitly whatever the defaults.
const app = withEnvironment(
  'test',
  // Tracing off: its X-Ray statements would share the task role with exec's.
  (c) => ({
    ...c,
    logRetentionDays: 14,
    exec: { enabled: true },
    tracing: { enabled: false, sampleRatio: 1 },
  }),
  () =>
    withEnvironment(
      'prod',
      (c) => ({ ...c, exec: { enabled: false } }),
      () => synthesize(),
    ),
);
const on = app.template(stackName('test', REGION, 'Service'));
const off = app.template(stackName('prod', REGION, 'Service'));
// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON
type Json = any;
const onJson: Json = app.json(stackName('test', REGION, 'Service'));
const offJson: Json = app.json(stackName('prod', REGION, 'Service'));

const logicalIdOf = (json: Json, type: string): string[] =>
  Object.entries(json.Resources as Record<string, { Type: string }>)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);

/** Every statement of the policies attached to the task role (the role ECS hands the containers). */
function taskRoleStatements(json: Json): Json[] {
  const [taskDefinition] = logicalIdOf(json, 'AWS::ECS::TaskDefinition').map((id) => json.Resources[id]);
  const roleId = taskDefinition.Properties.TaskRoleArn['Fn::GetAtt'][0];
  return Object.values(json.Resources as Record<string, Json>)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as Json[]).some((role) => role.Ref === roleId),
    )
    .flatMap((r) => r.Properties.PolicyDocument.Statement);
}

describe('ECS Exec: config defaults', () => {
  test('on in test, off in prod', () => {
    assert.equal(ENVIRONMENTS.test.exec.enabled, true);
    assert.equal(ENVIRONMENTS.prod.exec.enabled, false);
  });
});

describe('ECS Exec on', () => {
  test('synthesizes with no unacknowledged cdk-nag finding', () => {
    assert.deepEqual(
      app.nagViolations,
      [],
      app.nagViolations.map((v) => `${v.rule} at ${v.path}`).join('\n'),
    );
    assert.equal(app.synthError, null, String(app.synthError));
  });

  test('the service has enableExecuteCommand', () => {
    on.hasResourceProperties('AWS::ECS::Service', { EnableExecuteCommand: true });
  });

  test('the cluster encrypts sessions with the key and logs them (OVERRIDE) to the encrypted group', () => {
    const [keyId] = logicalIdOf(onJson, 'AWS::KMS::Key');
    const [groupId] = logicalIdOf(onJson, 'AWS::Logs::LogGroup').filter(
      (id) => onJson.Resources[id].Properties.KmsKeyId !== undefined,
    );
    assert.ok(keyId && groupId, 'an exec key and an encrypted log group');
    on.hasResourceProperties('AWS::ECS::Cluster', {
      Configuration: {
        ExecuteCommandConfiguration: {
          KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
          Logging: 'OVERRIDE',
          LogConfiguration: { CloudWatchEncryptionEnabled: true, CloudWatchLogGroupName: { Ref: groupId } },
        },
      },
    });
    assert.deepEqual(onJson.Resources[groupId].Properties.KmsKeyId, { 'Fn::GetAtt': [keyId, 'Arn'] });
    assert.equal(onJson.Resources[groupId].Properties.RetentionInDays, 14);
    assert.equal(onJson.Resources[groupId].DeletionPolicy, 'Retain', 'the audit trail outlives the stack');
  });

  test('the key rotates and lets CloudWatch Logs of this account and region use it', () => {
    on.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:*'],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  test('the task role gets exactly the documented exec statements', () => {
    const [keyId] = logicalIdOf(onJson, 'AWS::KMS::Key');
    const [groupId] = logicalIdOf(onJson, 'AWS::Logs::LogGroup').filter(
      (id) => onJson.Resources[id].Properties.KmsKeyId !== undefined,
    );
    // CDK merges statements that share a resource, so compare (action, resource) pairs, not statement shapes.
    const grants = taskRoleStatements(onJson)
      .flatMap((s) => {
        assert.equal(s.Effect, 'Allow');
        assert.equal(s.Condition, undefined);
        return [s.Action].flat().map((action: string) => [action, s.Resource]);
      })
      .sort(([a], [b]) => String(a).localeCompare(String(b)));
    const key = { 'Fn::GetAtt': [keyId, 'Arn'] };
    const group = { 'Fn::GetAtt': [groupId, 'Arn'] };
    assert.deepEqual(grants, [
      ['kms:Decrypt', key],
      ['logs:CreateLogStream', group],
      // The agent checks the group is encrypted (cloudWatchEncryptionEnabled); the action has no resource scope.
      ['logs:DescribeLogGroups', '*'],
      ['logs:DescribeLogStreams', group],
      ['logs:PutLogEvents', group],
      // ssmmessages channel actions support only "*" (Service Authorization Reference, Session Manager).
      ['ssmmessages:CreateControlChannel', '*'],
      ['ssmmessages:CreateDataChannel', '*'],
      ['ssmmessages:OpenControlChannel', '*'],
      ['ssmmessages:OpenDataChannel', '*'],
    ]);
  });
});

/** The web container's root filesystem flag and its writable mount points, from the task definition. */
function webContainer(json: Json): { readonly: boolean; mounts: string[] } {
  const [taskDefinition] = logicalIdOf(json, 'AWS::ECS::TaskDefinition').map((id) => json.Resources[id]);
  const web = (taskDefinition.Properties.ContainerDefinitions as Json[]).find((c) => c.Name === 'web');
  return {
    readonly: web.ReadonlyRootFilesystem,
    mounts: (web.MountPoints as Json[])
      .filter((m) => m.ReadOnly === false)
      .map((m) => m.ContainerPath)
      .sort(),
  };
}

describe('ECS Exec and the read-only root filesystem', () => {
  test('on: the root stays read-only and the agent gets its three writable paths', () => {
    // The exec agent writes its state, data and logs there (aws/containers-roadmap#1359).
    assert.deepEqual(webContainer(onJson), {
      readonly: true,
      mounts: ['/managed-agents', '/tmp', '/var/lib/amazon/ssm', '/var/log/amazon/ssm'],
    });
  });

  test('off: only /tmp is writable', () => {
    assert.deepEqual(webContainer(offJson), { readonly: true, mounts: ['/tmp'] });
  });
});

describe('ECS Exec off', () => {
  test('no exec flag, configuration, key, encrypted group or task role permission', () => {
    off.hasResourceProperties('AWS::ECS::Service', { EnableExecuteCommand: false });
    const [cluster] = logicalIdOf(offJson, 'AWS::ECS::Cluster').map((id) => offJson.Resources[id]);
    assert.equal(cluster.Properties.Configuration, undefined);
    assert.deepEqual(logicalIdOf(offJson, 'AWS::KMS::Key'), []);
    assert.deepEqual(
      logicalIdOf(offJson, 'AWS::Logs::LogGroup').filter((id) => offJson.Resources[id].Properties.KmsKeyId),
      [],
    );
    assert.deepEqual(taskRoleStatements(offJson), []);
  });
});

// ---- the operator policy, evaluated by a real IAM policy evaluator (@cloud-copilot/iam-simulate, test-only) ----

const ACCOUNT = '123456789012';
const CLUSTER = 'Berth-Test-Cluster-Abc123';
const CLUSTER_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/${CLUSTER}`;
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** Resolves the policy's intrinsics as CloudFormation would for this fixture's cluster and key. */
function resolve(value: Json): Json {
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  if ('Ref' in value) {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': 'eu-west-1',
      'AWS::AccountId': ACCOUNT,
    };
    if (pseudo[value.Ref]) return pseudo[value.Ref];
    assert.equal(onJson.Resources[value.Ref]?.Type, 'AWS::ECS::Cluster', `unexpected Ref ${value.Ref}`);
    return CLUSTER;
  }
  if ('Fn::GetAtt' in value) {
    const [id, attribute] = value['Fn::GetAtt'];
    const type = onJson.Resources[id]?.Type;
    assert.equal(attribute, 'Arn');
    if (type === 'AWS::ECS::Cluster') return CLUSTER_ARN;
    if (type === 'AWS::KMS::Key') return KEY_ARN;
    throw new Error(`unexpected GetAtt ${id}`);
  }
  if ('Fn::Join' in value) return value['Fn::Join'][1].map(resolve).join(value['Fn::Join'][0]);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
}

async function evaluate(
  policy: Json,
  action: string,
  resource: string,
  context: Record<string, string> = {},
) {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/oncall`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: [{ name: 'ExecOperatorPolicy', policy }],
      // A KMS key answers to its key policy too: CDK's default delegates to IAM (the account root statement).
      resourcePolicy: action.startsWith('kms:') ? keyPolicy() : undefined,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`${action}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

const keyPolicy = () => {
  const [keyId] = logicalIdOf(onJson, 'AWS::KMS::Key');
  return resolve(onJson.Resources[keyId!].Properties.KeyPolicy);
};

describe('ECS Exec operator policy', () => {
  const policies = logicalIdOf(onJson, 'AWS::IAM::ManagedPolicy');
  const task = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task/${CLUSTER}/0f1e2d3c4b5a69788796a5b4c3d2e1f0`;
  const inCluster = { 'ecs:cluster': CLUSTER_ARN };

  test('exists only with exec on, and its ARN is an output', () => {
    assert.equal(policies.length, 1);
    assert.deepEqual(logicalIdOf(offJson, 'AWS::IAM::ManagedPolicy'), []);
    assert.deepEqual(onJson.Outputs.ExecOperatorPolicyArn.Value, { Ref: policies[0] });
  });

  test('allows every call berth exec makes, in this environment', async () => {
    const policy = resolve(onJson.Resources[policies[0]!].Properties.PolicyDocument);
    const allowed: [string, string, Record<string, string>?][] = [
      [
        'cloudformation:DescribeStacks',
        `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/Berth-Test-eu-west-1-Service/0a1b`,
      ],
      [
        'cloudformation:DescribeStacks',
        `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/Berth-Test-eu-west-1-Network/0a1b`,
      ],
      ['ecs:DescribeServices', `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/${CLUSTER}/web`, inCluster],
      ['ecs:ListTasks', '*', inCluster],
      ['ecs:DescribeTasks', task, inCluster],
      ['ecs:ExecuteCommand', task, { 'ecs:container-name': 'web' }],
      ['ecs:ExecuteCommand', CLUSTER_ARN, { 'ecs:container-name': 'web' }],
      ['kms:GenerateDataKey', KEY_ARN],
    ];
    for (const [action, resource, context] of allowed) {
      assert.equal(await evaluate(policy, action, resource, context), 'Allowed', `${action} on ${resource}`);
    }
  });

  test('denies another container, another cluster, another key and prod', async () => {
    const policy = resolve(onJson.Resources[policies[0]!].Properties.PolicyDocument);
    const otherTask = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task/Berth-Prod-Cluster-Xyz/0f1e2d3c4b5a69788796a5b4c3d2e1f0`;
    const denied: [string, string, Record<string, string>?][] = [
      ['ecs:ExecuteCommand', task, { 'ecs:container-name': 'sidecar' }],
      ['ecs:ExecuteCommand', otherTask, { 'ecs:container-name': 'web' }],
      [
        'ecs:DescribeTasks',
        otherTask,
        { 'ecs:cluster': `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/Berth-Prod-Cluster-Xyz` },
      ],
      ['kms:GenerateDataKey', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/ffffffff-12ab-34cd-56ef-1234567890ab`],
      ['kms:Decrypt', KEY_ARN],
      [
        'cloudformation:DescribeStacks',
        `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/Berth-Prod-eu-west-1-Service/0a1b`,
      ],
      ['ssm:StartSession', task],
    ];
    for (const [action, resource, context] of denied) {
      assert.equal(
        await evaluate(policy, action, resource, context),
        'ImplicitlyDenied',
        `${action} on ${resource}`,
      );
    }
  });
});
