/**
 * Every AWS call each CI job makes, evaluated with a real IAM policy evaluator (@cloud-copilot/iam-simulate,
 * AGPL: test-only) against the role's policy as Berth-Global synthesizes it.
 * - The calls are derived, not listed: `new XxxCommand(` in every cli/src module a command imports
 *   (client package → IAM service prefix), the `aws <service> <operation>` lines of the workflow steps
 *   that run under the role, and the CDK bootstrap roles the synthesized stacks ask the toolkit to assume.
 * - On the environment's own resources every call must be allowed; the test role's calls on prod's
 *   stacks, parameters, services, groups and bootstrap roles (and Berth-Global's) must be denied.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { parse } from 'yaml';
import { ENV_NAMES, type EnvName } from '../config/environments.js';
import { COMPONENTS } from '../lib/naming.js';
import { GLOBAL, GLOBAL_STACK_NAME, PARAMETERS, stackName } from './fixtures/cart-config.js';
import { createCartApp } from './fixtures/platform.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_SRC = join(ROOT, 'cli/src');
const ACCOUNT = GLOBAL.account;
const REGION = GLOBAL.primaryRegion;

/** SDK v3 client package → IAM service prefix (AWS Service Authorization Reference, "service prefix"). */
const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-auto-scaling': 'autoscaling',
  '@aws-sdk/client-cloudformation': 'cloudformation',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-cloudwatch-logs': 'logs',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-ecs': 'ecs',
  '@aws-sdk/client-elastic-load-balancing-v2': 'elasticloadbalancing',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-sts': 'sts',
};
/** AWS CLI v2 command name → IAM service prefix, for workflow steps. */
const CLI_SERVICE: Record<string, string> = { cloudformation: 'cloudformation', ecs: 'ecs', ssm: 'ssm' };

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every `service:Action` the module graph under `entry` sends, with the modules that send it. */
export function sdkCallsOf(entry: string): Map<string, string[]> {
  const calls = new Map<string, string[]>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const commandPackage = new Map<string, string>();
    for (const match of source.matchAll(IMPORT)) {
      const [, typeOnly, from, dynamic] = match;
      const target = from ?? dynamic;
      if (!target || typeOnly) continue;
      if (target.startsWith('@aws-sdk/client-')) {
        const names = /\{([^}]*)\}/.exec(match[0])?.[1] ?? '';
        for (const name of names.split(',').map((n) => n.replace(/^\s*type\s+/, '').trim())) {
          if (name.endsWith('Command')) commandPackage.set(name, target);
        }
      } else if (target.startsWith('.')) {
        const path = resolve(dirname(file), target.replace(/\.js$/, '.ts'));
        if (path.startsWith(CLI_SRC)) visit(path);
      }
    }
    for (const [, command] of source.matchAll(/new ([A-Z]\w*Command)\(/g)) {
      const pkg = commandPackage.get(command!);
      assert.ok(pkg, `${file}: ${command} is not imported from an @aws-sdk client`);
      const prefix = SERVICE_PREFIX[pkg];
      assert.ok(prefix, `${file}: add ${pkg}'s IAM service prefix to SERVICE_PREFIX`);
      const action = `${prefix}:${command!.replace(/Command$/, '')}`;
      calls.set(action, [...(calls.get(action) ?? []), file.slice(ROOT.length)]);
    }
  };
  visit(join(CLI_SRC, entry));
  return calls;
}

interface WorkflowJob {
  steps: { run?: string; with?: Record<string, string> }[];
}

/** `aws <service> <operation>` in the steps of workflow jobs that assume `roleVariable`. */
function workflowCalls(roleVariable: string): Set<string> {
  const calls = new Set<string>();
  const dir = join(ROOT, '.github/workflows');
  for (const file of readdirSync(dir)) {
    const jobs = (parse(readFileSync(join(dir, file), 'utf8')) as { jobs: Record<string, WorkflowJob> }).jobs;
    for (const job of Object.values(jobs)) {
      if (!job.steps.some((s) => s.with?.['role-to-assume']?.includes(roleVariable))) continue;
      for (const step of job.steps) {
        for (const [, service, op] of (step.run ?? '').matchAll(/\baws ([a-z0-9-]+) ([a-z0-9-]+)/g)) {
          const prefix = CLI_SERVICE[service!];
          assert.ok(prefix, `${file}: add the AWS CLI service "${service}" to CLI_SERVICE`);
          const action = op!.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
          calls.add(`${prefix}:${action}`);
        }
      }
    }
  }
  return calls;
}

// ---- the synthesized app: policies from Berth-Global, bootstrap roles from every stack ----

const assembly = createCartApp().synth();
const globalStack = assembly.getStackByName(GLOBAL_STACK_NAME);
type Json = unknown;
const resources = globalStack.template.Resources as Record<string, { Type: string; Properties: Json }>;

/** Resolves the intrinsics Berth-Global's IAM policies use, as CloudFormation would in REGION. */
function resolveIntrinsics(value: Json): Json {
  if (Array.isArray(value)) return value.map(resolveIntrinsics);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, Json>;
  if ('Ref' in object) {
    const ref = object.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (pseudo[ref]) return pseudo[ref];
    const resource = resources[ref];
    if (resource?.Type === 'AWS::IAM::OIDCProvider') {
      return `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    }
    throw new Error(`unresolved Ref ${ref}`);
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, Json[]];
    return parts.map((p) => resolveIntrinsics(p)).join(separator);
  }
  if ('Fn::GetAtt' in object) {
    const [id, attribute] = object['Fn::GetAtt'] as [string, string];
    const resource = resources[id];
    if (resource?.Type === 'AWS::ECR::Repository' && attribute === 'Arn') {
      const name = (resource.Properties as { RepositoryName: string }).RepositoryName;
      return `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
    }
    throw new Error(`unresolved GetAtt ${id}.${attribute}`);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolveIntrinsics(v)]));
}

function roleLogicalId(roleName: string): string {
  const entry = Object.entries(resources).find(
    ([, r]) => r.Type === 'AWS::IAM::Role' && (r.Properties as { RoleName?: string }).RoleName === roleName,
  );
  assert.ok(entry, `Berth-Global has no role ${roleName}`);
  return entry[0];
}

/** The identity policies attached to a role in the synthesized template, intrinsics resolved. */
function policiesOf(roleName: string): { name: string; policy: Json }[] {
  const id = roleLogicalId(roleName);
  return Object.entries(resources)
    .filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::Policy' &&
        JSON.stringify((r.Properties as { Roles: Json }).Roles) === JSON.stringify([{ Ref: id }]),
    )
    .map(([policyId, r]) => ({
      name: policyId,
      policy: resolveIntrinsics((r.Properties as { PolicyDocument: Json }).PolicyDocument),
    }));
}

/** The cloud assembly writes `${AWS::Partition}` / `${AWS::Region}` placeholders into role ARNs. */
const resolvePlaceholders = (arn: string) =>
  arn.replace(/\$\{AWS::Partition\}/g, 'aws').replace(/\$\{AWS::Region\}/g, REGION);

/** The bootstrap roles the toolkit assumes to deploy (and look up for) the given stacks. */
function bootstrapRolesOf(stacks: readonly CloudFormationStackArtifact[]): string[] {
  const roles = new Set<string>();
  for (const stack of stacks) {
    if (stack.assumeRoleArn) roles.add(resolvePlaceholders(stack.assumeRoleArn));
    if (stack.lookupRole?.arn) roles.add(resolvePlaceholders(stack.lookupRole.arn));
  }
  return [...roles];
}

const envStacks = (env: EnvName) => COMPONENTS.map((c) => assembly.getStackByName(stackName(env, REGION, c)));

// ---- the resources a call touches, per environment ----

interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string>;
}

const stackArn = (name: string) => `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/0a1b2c3d`;
const parameterArn = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
const READS_GLOBAL = /^cloudformation:(Describe|Get|List)/;

/**
 * The resources of `env` a call acts on, with the tags AWS evaluates (`aws:ResourceTag/Environment`).
 * Only actions that IAM scopes by resource are listed; the rest act on `*`.
 */
function requestsFor(action: string, env: EnvName): Request[] {
  const [service, name] = action.split(':') as [string, string];
  const tagged = { 'aws:ResourceTag/Environment': env };
  switch (service) {
    case 'cloudformation':
      return [
        ...COMPONENTS.map((c) => ({ action, resource: stackArn(stackName(env, REGION, c)) })),
        ...(READS_GLOBAL.test(action) ? [{ action, resource: stackArn(GLOBAL_STACK_NAME) }] : []),
      ];
    case 'ssm':
      return [
        { action, resource: parameterArn(PARAMETERS.imageDigest(env)) },
        { action, resource: parameterArn(PARAMETERS.ami(env, 'x86_64')) },
      ];
    case 'ecs':
      return name === 'UpdateService'
        ? [{ action, resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/berth-${env}/web`, context: tagged }]
        : [{ action, resource: '*' }];
    case 'autoscaling':
      return /InstanceRefresh$/.test(name) && !name.startsWith('Describe')
        ? [
            {
              action,
              resource: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:0a1b2c3d-4e5f-6789-abcd-ef0123456789:autoScalingGroupName/Berth-${env}-Nodes`,
              context: tagged,
            },
          ]
        : [{ action, resource: '*' }];
    case 'ecr':
      return name === 'GetAuthorizationToken'
        ? [{ action, resource: '*' }]
        : [{ action, resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${GLOBAL.repositoryName}` }];
    default:
      return [{ action, resource: '*' }];
  }
}

type Outcome = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

async function evaluate(roleName: string, request: Request): Promise<Outcome> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: request.context ?? {},
      },
      identityPolicies: policiesOf(roleName),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') {
    throw new Error(`${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult as Outcome;
}

async function outcomes(roleName: string, requests: readonly Request[]) {
  const rows: (Request & { outcome: Outcome })[] = [];
  for (const request of requests) rows.push({ ...request, outcome: await evaluate(roleName, request) });
  return rows;
}

const describeRow = (r: Request & { outcome: Outcome }) =>
  `${r.action} on ${r.resource}${r.context ? ` ${JSON.stringify(r.context)}` : ''}: ${r.outcome}`;

// ---- what each CI role runs ----

/** The `berth` commands each deploy role runs in .github/workflows (deliver.yml, ami.yml). */
const DEPLOY_COMMANDS = [
  'commands/image.ts',
  'commands/deploy.ts',
  'commands/rollback.ts',
  'commands/ami.ts',
];

/**
 * `docker login` + `docker buildx build --push` (the build job, and `berth deploy` without an image
 * flag) are not SDK calls. Amazon ECR User Guide, "Private repository policy examples" / "Pushing an
 * image": GetAuthorizationToken, then BatchCheckLayerAvailability, InitiateLayerUpload,
 * UploadLayerPart, CompleteLayerUpload and PutImage (BatchGetImage to reuse existing layers).
 */
const DOCKER_PUSH = [
  'ecr:GetAuthorizationToken',
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
  'ecr:BatchGetImage',
];

function deployRoleCalls(env: EnvName): Set<string> {
  // Only test builds and pushes; prod promotes the digest test pushed.
  const calls = new Set<string>(env === 'test' ? DOCKER_PUSH : []);
  for (const entry of DEPLOY_COMMANDS) for (const action of sdkCallsOf(entry).keys()) calls.add(action);
  for (const action of workflowCalls(`BERTH_${env.toUpperCase()}_DEPLOY_ROLE_ARN`)) calls.add(action);
  return calls;
}

function assumeRequests(stacks: readonly CloudFormationStackArtifact[]): Request[] {
  return bootstrapRolesOf(stacks).flatMap((resource) => [
    { action: 'sts:AssumeRole', resource },
    { action: 'sts:TagSession', resource },
  ]);
}

/** Summary printed by the suite (and quoted in reports). */
const tally = { allowed: 0, denied: 0 };

describe('CI roles, evaluated with a real IAM policy evaluator against the synthesized Berth-Global', () => {
  test('the scan finds the calls the CLI is known to make (a broken scan cannot pass vacuously)', () => {
    const deploy = sdkCallsOf('commands/deploy.ts');
    for (const known of ['cloudformation:DescribeStacks', 'ecs:DescribeServices', 'ssm:PutParameter']) {
      assert.ok(deploy.has(known), `scan of berth deploy misses ${known}`);
    }
    assert.ok(sdkCallsOf('commands/ami.ts').has('autoscaling:StartInstanceRefresh'));
    assert.ok(sdkCallsOf('commands/plan.ts').has('cloudformation:GetTemplate'));
    assert.ok(workflowCalls('BERTH_TEST_DEPLOY_ROLE_ARN').has('cloudformation:DescribeStacks'));
  });

  for (const env of ENV_NAMES) {
    const roleName = `berth-ci-deploy-${env}`;
    test(`${roleName} is allowed every call of deploy, rollback, smoke and AMI publish/rollout on ${env}`, async () => {
      // Berth-Global deploys through prod's bootstrap: only the prod role deploys it.
      const stacks = env === 'prod' ? [...envStacks(env), globalStack] : envStacks(env);
      const requests = [
        ...[...deployRoleCalls(env)].flatMap((action) => requestsFor(action, env)),
        ...assumeRequests(stacks),
      ];
      const rows = await outcomes(roleName, requests);
      const denied = rows.filter((r) => r.outcome !== 'Allowed');
      tally.allowed += rows.length - denied.length;
      assert.deepEqual(denied.map(describeRow), []);
      assert.ok(rows.length > 30, `only ${rows.length} requests evaluated`);
    });
  }

  test('berth-ci-deploy-test is denied on every prod stack, parameter, service, group and bootstrap role, and on Berth-Global', async () => {
    const requests = [
      ...[...deployRoleCalls('test')]
        .flatMap((action) => requestsFor(action, 'prod'))
        // Account-wide reads (describe calls IAM cannot scope), the shared registry and Berth-Global's
        // outputs are the same for both environments.
        .filter((r) => r.resource !== '*' && !r.resource.includes(':repository/'))
        .filter((r) => !r.resource.includes(`stack/${GLOBAL_STACK_NAME}/`) || !READS_GLOBAL.test(r.action)),
      ...assumeRequests([...envStacks('prod'), globalStack]),
      { action: 'cloudformation:UpdateStack', resource: stackArn(GLOBAL_STACK_NAME) },
      { action: 'iam:UpdateAssumeRolePolicy', resource: `arn:aws:iam::${ACCOUNT}:role/berth-ci-deploy-prod` },
    ];
    const rows = await outcomes('berth-ci-deploy-test', requests);
    const allowed = rows.filter((r) => r.outcome === 'Allowed');
    tally.denied += rows.length - allowed.length;
    assert.deepEqual(allowed.map(describeRow), []);
    assert.ok(rows.length > 15, `only ${rows.length} requests evaluated`);
  });

  test('berth-ci-plan is allowed every call of plan --diff, and nothing that writes', async () => {
    const requests = [
      ...[...sdkCallsOf('commands/plan.ts').keys()].flatMap((action) =>
        ENV_NAMES.flatMap((env) => requestsFor(action, env)),
      ),
      // The toolkit's lookups for both environments (plan synthesizes both).
      ...bootstrapRolesOf(ENV_NAMES.flatMap(envStacks))
        .filter((arn) => arn.includes('-lookup-role-'))
        .map((resource) => ({ action: 'sts:AssumeRole', resource })),
    ];
    const rows = await outcomes('berth-ci-plan', requests);
    tally.allowed += rows.filter((r) => r.outcome === 'Allowed').length;
    assert.deepEqual(rows.filter((r) => r.outcome !== 'Allowed').map(describeRow), []);

    const writes = [
      ...assumeRequests(ENV_NAMES.flatMap(envStacks)).filter((r) => !r.resource.includes('-lookup-role-')),
      ...ENV_NAMES.flatMap((env) => requestsFor('ssm:PutParameter', env)),
      ...ENV_NAMES.flatMap((env) => requestsFor('cloudformation:UpdateStack', env)),
      ...ENV_NAMES.flatMap((env) => requestsFor('ecs:UpdateService', env)),
    ];
    const writeRows = await outcomes('berth-ci-plan', writes);
    tally.denied += writeRows.filter((r) => r.outcome !== 'Allowed').length;
    assert.deepEqual(writeRows.filter((r) => r.outcome === 'Allowed').map(describeRow), []);
  });

  test('summary', () => {
    console.log(
      `IAM evaluation: ${tally.allowed} requests allowed as required, ${tally.denied} denied as required`,
    );
    assert.ok(tally.allowed > 0 && tally.denied > 0);
  });
});
