/**
 * The small readers of AWS state the commands build on: the ECS service and its target health
 * (service-state.ts), stack outputs (stack-outputs.ts), stuck stacks and their fix (stack-state.ts), the
 * production rule's weights (production-weights.ts) and the CDK bootstrap check (bootstrap.ts).
 * Expected texts are literals; the AWS behaviour each stub stands for is cited where it matters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeStackResourcesCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { bootstrapVersionParameter, requireBootstrap } from '../src/aws/bootstrap.js';
import { readProductionWeights } from '../src/aws/production-weights.js';
import {
  describeRollout,
  describeService,
  primaryDeployment,
  serviceTargetGroups,
  targetHealth,
} from '../src/aws/service-state.js';
import { describeStack, readOutputs, requireOutput } from '../src/aws/stack-outputs.js';
import { findStackProblems, formatStackProblems } from '../src/aws/stack-state.js';
import { CliError } from '../src/errors.js';
import { CLUSTER, deployment, mockAws, SERVICE, service, TASK_DEF, target } from './fixtures/aws.js';
import { CART } from './fixtures/cart-config.js';

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });
const BLUE = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/Berth-Blue/1111111111111111';
const GREEN = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/Berth-Green/2222222222222222';

describe('describeService', () => {
  it('returns the service DescribeServices gives for this cluster and name', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] }, true)
      .resolves(service([deployment()], { desiredCount: 3 }));

    assert.equal(
      (await describeService(clients.ecs, { cluster: CLUSTER, service: SERVICE })).desiredCount,
      3,
    );
  });

  it('treats an absent or INACTIVE service (deleted, ECS API "DescribeServices") as not deployed', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(service([], { status: 'INACTIVE' }))
      .resolvesOnce({ services: [], failures: [{ reason: 'MISSING' }] })
      .resolves(service([], { status: 'DRAINING' }));
    const expected = {
      name: 'CliError',
      message: `ECS service ${SERVICE} not found in cluster ${CLUSTER}: deploy the environment first`,
    };

    await assert.rejects(describeService(clients.ecs, { cluster: CLUSTER, service: SERVICE }), expected);
    await assert.rejects(describeService(clients.ecs, { cluster: CLUSTER, service: SERVICE }), expected);
    // DRAINING is still a service (being deleted, but it exists).
    assert.equal(
      (await describeService(clients.ecs, { cluster: CLUSTER, service: SERVICE })).status,
      'DRAINING',
    );
  });
});

describe('serviceTargetGroups and primaryDeployment', () => {
  it('takes the live group from the load balancer entry that has one, and the blue/green alternate', () => {
    assert.deepEqual(
      serviceTargetGroups({
        loadBalancers: [
          { loadBalancerName: 'classic' },
          { targetGroupArn: GREEN, advancedConfiguration: { alternateTargetGroupArn: BLUE } as never },
        ],
      }),
      { live: GREEN, alternate: BLUE },
    );
    assert.deepEqual(serviceTargetGroups({ loadBalancers: [{ targetGroupArn: BLUE }] }), { live: BLUE });
    assert.deepEqual(serviceTargetGroups({}), {});
  });

  it('the primary deployment is the one with status PRIMARY', () => {
    const active = deployment({ id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: TASK_DEF(4) });
    const primary = deployment({ id: 'ecs-svc/new', status: 'PRIMARY', taskDefinition: TASK_DEF(5) });
    assert.equal(primaryDeployment({ deployments: [active, primary] })?.id, 'ecs-svc/new');
    assert.equal(primaryDeployment({ deployments: [active] }), undefined);
    assert.equal(primaryDeployment({}), undefined);
  });
});

describe('targetHealth', () => {
  it('counts healthy targets and describes every other one with its reason and description', async () => {
    const { clients, stubs } = mockAws();
    // Target states and reason codes: ELB API Reference, "TargetHealth".
    stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: GREEN }, true).resolves({
      TargetHealthDescriptions: [
        target('i-0aaa', 32768, 'healthy'),
        target(
          'i-0bbb',
          32769,
          'unhealthy',
          'Target.ResponseCodeMismatch',
          'Health checks failed with these codes: [503]',
        ),
        target('i-0ccc', 32770, 'initial', 'Elb.RegistrationInProgress'),
        target('i-0ddd', 32771, 'unused', undefined, 'Target group is not configured to receive traffic'),
        target('i-0eee', 32772, 'healthy'),
        {},
      ],
    });

    assert.deepEqual(await targetHealth(clients.elbv2, GREEN), {
      healthy: 2,
      total: 6,
      problems: [
        'i-0bbb:32769 unhealthy Target.ResponseCodeMismatch: Health checks failed with these codes: [503]',
        'i-0ccc:32770 initial Elb.RegistrationInProgress',
        'i-0ddd:32771 unused Target group is not configured to receive traffic',
        '?:? unknown',
      ],
    });
  });

  it('an empty group has no targets and no problems', async () => {
    const { clients, stubs } = mockAws();
    stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: BLUE }).resolves({});

    assert.deepEqual(await targetHealth(clients.elbv2, BLUE), { healthy: 0, total: 0, problems: [] });
  });
});

describe('describeRollout', () => {
  it('one line with rollout state, task counts and healthy targets', () => {
    assert.equal(
      describeRollout(
        deployment({ rolloutState: 'IN_PROGRESS', runningCount: 1, desiredCount: 3, pendingCount: 2 }),
        { healthy: 1, total: 4, problems: [] },
      ),
      'rollout IN_PROGRESS, tasks 1/3 running (2 pending), targets 1/4 healthy',
    );
    assert.equal(
      describeRollout({ status: 'PRIMARY' }, { healthy: 0, total: 0, problems: [] }),
      'rollout UNKNOWN, tasks 0/0 running (0 pending), targets 0/0 healthy',
    );
    assert.equal(describeRollout(undefined, { healthy: 0, total: 0, problems: [] }), 'no primary deployment');
  });
});

describe('stack outputs', () => {
  it('describeStack is undefined only for "does not exist" (CloudFormation answers ValidationError)', async () => {
    const { clients, stubs } = mockAws();
    stubs.cfn
      .on(DescribeStacksCommand, { StackName: 'Berth-Gone' }, true)
      .rejects(awsError('ValidationError', 'Stack with id Berth-Gone does not exist'));
    stubs.cfn
      .on(DescribeStacksCommand, { StackName: 'Berth-Bad' }, true)
      .rejects(awsError('ValidationError', '1 validation error detected: Value at stackName failed'));
    stubs.cfn
      .on(DescribeStacksCommand, { StackName: 'Berth-Denied' }, true)
      .rejects(awsError('AccessDenied', 'Stack with id Berth-Denied does not exist'));

    assert.equal(await describeStack(clients.cfn, 'Berth-Gone'), undefined);
    await assert.rejects(describeStack(clients.cfn, 'Berth-Bad'), { message: /validation error detected/ });
    await assert.rejects(describeStack(clients.cfn, 'Berth-Denied'), { name: 'AccessDenied' });
  });

  it('merges the outputs of every existing stack, keeping empty values and skipping incomplete entries', async () => {
    const { clients, stubs } = mockAws();
    stubs.cfn.on(DescribeStacksCommand, { StackName: 'Berth-A' }, true).resolves({
      Stacks: [
        {
          StackName: 'Berth-A',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date('2026-11-01T00:00:00Z'),
          Outputs: [
            { OutputKey: 'ClusterName', OutputValue: 'cluster-a' },
            { OutputKey: 'Empty', OutputValue: '' },
            { OutputValue: 'no key' },
            { OutputKey: 'NoValue' },
          ],
        },
      ],
    });
    stubs.cfn
      .on(DescribeStacksCommand, { StackName: 'Berth-Missing' }, true)
      .rejects(awsError('ValidationError', 'Stack with id Berth-Missing does not exist'));
    stubs.cfn.on(DescribeStacksCommand, { StackName: 'Berth-B' }, true).resolves({
      Stacks: [
        {
          StackName: 'Berth-B',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date('2026-11-01T00:00:00Z'),
          Outputs: [{ OutputKey: 'ServiceUrl', OutputValue: 'http://b.example' }],
        },
      ],
    });

    assert.deepEqual(await readOutputs(clients.cfn, ['Berth-A', 'Berth-Missing', 'Berth-B']), {
      ClusterName: 'cluster-a',
      Empty: '',
      ServiceUrl: 'http://b.example',
    });
  });

  it('requireOutput returns the value or says to deploy first', () => {
    assert.equal(requireOutput({ ClusterName: 'c-1', Empty: '' }, 'ClusterName', 'Berth-Test'), 'c-1');
    assert.equal(requireOutput({ Empty: '' }, 'Empty', 'Berth-Test'), '');
    assert.throws(() => requireOutput({}, 'ServiceUrl', 'the test stacks'), {
      name: 'CliError',
      message:
        'output ServiceUrl not found in the test stacks: deploy the environment first (berth deploy <env>)',
    });
  });
});

describe('findStackProblems: the fix for each stuck state', () => {
  function givenStatus(stubs: ReturnType<typeof mockAws>['stubs'], statuses: Record<string, string>) {
    stubs.cfn.on(DescribeStacksCommand).callsFake(({ StackName }: { StackName: string }) => ({
      Stacks: [
        { StackName, StackStatus: statuses[StackName], CreationTime: new Date('2026-11-01T00:00:00Z') },
      ],
    }));
  }

  it('UPDATE_ROLLBACK_FAILED: continue-update-rollback, skipping exactly the UPDATE_FAILED resources', async () => {
    const { clients, stubs } = mockAws();
    givenStatus(stubs, {
      'Berth-Prod-eu-west-1-Data': 'UPDATE_ROLLBACK_FAILED',
      'Berth-Prod-eu-west-1-Service': 'UPDATE_ROLLBACK_FAILED',
    });
    stubs.cfn.on(DescribeStackResourcesCommand, { StackName: 'Berth-Prod-eu-west-1-Data' }, true).resolves({
      StackResources: [
        {
          LogicalResourceId: 'Database',
          ResourceStatus: 'UPDATE_FAILED',
          ResourceType: 'x',
          Timestamp: new Date(),
        },
        {
          LogicalResourceId: 'Secret',
          ResourceStatus: 'UPDATE_COMPLETE',
          ResourceType: 'x',
          Timestamp: new Date(),
        },
        {
          LogicalResourceId: 'Params',
          ResourceStatus: 'UPDATE_FAILED',
          ResourceType: 'x',
          Timestamp: new Date(),
        },
        { ResourceStatus: 'UPDATE_FAILED', ResourceType: 'x', Timestamp: new Date() } as never,
      ],
    });
    stubs.cfn
      .on(DescribeStackResourcesCommand, { StackName: 'Berth-Prod-eu-west-1-Service' }, true)
      .resolves({});

    const problems = await findStackProblems(clients.cfn, [
      'Berth-Prod-eu-west-1-Data',
      'Berth-Prod-eu-west-1-Service',
    ]);

    assert.deepEqual(problems, [
      {
        stackName: 'Berth-Prod-eu-west-1-Data',
        status: 'UPDATE_ROLLBACK_FAILED',
        guidance:
          'a rollback could not finish; fix the cause (see the stack events), then run `aws cloudformation continue-update-rollback --stack-name Berth-Prod-eu-west-1-Data --resources-to-skip Database Params` and deploy again',
      },
      {
        stackName: 'Berth-Prod-eu-west-1-Service',
        status: 'UPDATE_ROLLBACK_FAILED',
        guidance:
          'a rollback could not finish; fix the cause (see the stack events), then run `aws cloudformation continue-update-rollback --stack-name Berth-Prod-eu-west-1-Service` and deploy again',
      },
    ]);
  });

  it('names the exact command for each other stuck state and lets settled ones through', async () => {
    const { clients, stubs } = mockAws();
    const statuses = {
      'S-rc': 'ROLLBACK_COMPLETE',
      'S-rf': 'ROLLBACK_FAILED',
      'S-df': 'DELETE_FAILED',
      'S-review': 'REVIEW_IN_PROGRESS',
      'S-irf': 'IMPORT_ROLLBACK_FAILED',
      'S-cip': 'CREATE_IN_PROGRESS',
      'S-urcip': 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      'S-ok': 'UPDATE_ROLLBACK_COMPLETE',
      'S-cc': 'CREATE_COMPLETE',
    };
    givenStatus(stubs, statuses);

    const problems = await findStackProblems(clients.cfn, Object.keys(statuses));

    assert.equal(
      formatStackProblems(problems),
      [
        'S-rc is ROLLBACK_COMPLETE: its first creation failed and the stack cannot be updated; delete it with `aws cloudformation delete-stack --stack-name S-rc` and deploy again',
        'S-rf is ROLLBACK_FAILED: its first creation failed and so did the cleanup; delete it with `aws cloudformation delete-stack --stack-name S-rf` (add --retain-resources for resources that refuse), then deploy again',
        'S-df is DELETE_FAILED: a delete failed; remove what blocks it (see the stack events), then `aws cloudformation delete-stack --stack-name S-df` and deploy again',
        'S-irf is IMPORT_ROLLBACK_FAILED: an import rollback failed; resolve it in the CloudFormation console, then deploy again',
        'S-cip is CREATE_IN_PROGRESS: another operation is running; wait for it to finish (`aws cloudformation wait stack-update-complete --stack-name S-cip`) and try again',
        'S-urcip is UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: another operation is running; wait for it to finish (`aws cloudformation wait stack-update-complete --stack-name S-urcip`) and try again',
      ].join('\n'),
    );
    assert.equal(stubs.cfn.commandCalls(DescribeStackResourcesCommand).length, 0);
  });
});

describe('readProductionWeights', () => {
  const RULE =
    'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener-rule/app/berth/abc/def/0123456789';
  const STACK = 'Berth-Prod-eu-west-1-Service';
  const API = { name: 'api', productionRuleArn: RULE, targetGroupArn: BLUE };

  it('reads <primary>/<alternate> from the forward action, primary being the service output …TargetGroupArn', async () => {
    const { clients, stubs } = mockAws();
    // After an odd number of blue/green deploys ECS has moved all traffic to the alternate group.
    stubs.elbv2.on(DescribeRulesCommand, { RuleArns: [RULE] }, true).resolves({
      Rules: [
        {
          Actions: [
            { Type: 'authenticate-oidc' } as never,
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: GREEN, Weight: 100 },
                  { TargetGroupArn: BLUE, Weight: 0 },
                ],
              },
            },
          ],
        },
      ],
    });

    assert.equal(await readProductionWeights(clients.elbv2, API, STACK), '0/100');
  });

  it('is undefined without the rule or the group output (rolling, a worker, or before the first create)', async () => {
    const partial = [
      { name: 'api', targetGroupArn: BLUE },
      { name: 'api', productionRuleArn: RULE },
      { name: 'jobs' },
    ];
    for (const service of partial) {
      const { clients, stubs } = mockAws();
      assert.equal(await readProductionWeights(clients.elbv2, service, STACK), undefined);
      assert.equal(stubs.elbv2.calls().length, 0);
    }
  });

  it('refuses a rule that no longer forwards to the primary group and one other (changed outside CloudFormation)', async () => {
    const message =
      `the production rule ${RULE} of api in ${STACK} does not forward to ${BLUE} and one other group: ` +
      'it was changed outside CloudFormation; restore it (or redeploy from the console) before deploying';
    for (const groups of [
      [{ TargetGroupArn: GREEN, Weight: 100 }],
      [{ TargetGroupArn: BLUE, Weight: 100 }],
      [{ TargetGroupArn: BLUE }, { TargetGroupArn: GREEN, Weight: 0 }],
      [{ TargetGroupArn: BLUE, Weight: 100 }, { TargetGroupArn: GREEN }],
    ]) {
      const { clients, stubs } = mockAws();
      stubs.elbv2
        .on(DescribeRulesCommand, { RuleArns: [RULE] })
        .resolves({ Rules: [{ Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: groups } }] }] });
      await assert.rejects(readProductionWeights(clients.elbv2, API, STACK), { name: 'CliError', message });
    }
  });
});

describe('requireBootstrap', () => {
  it('reads /cdk-bootstrap/<qualifier>/version (CDK Developer Guide, "Bootstrapping your environment")', async () => {
    assert.equal(bootstrapVersionParameter('berthprod'), '/cdk-bootstrap/berthprod/version');
    const { clients, stubs } = mockAws();
    stubs.ssm.reset();
    stubs.ssm
      .on(GetParameterCommand, { Name: '/cdk-bootstrap/berthprod/version' }, true)
      .resolves({ Parameter: { Value: '27' } });

    await requireBootstrap(clients.ssm, { account: '444455556666', region: 'eu-west-1', env: 'prod' }, CART);
    assert.equal(stubs.ssm.commandCalls(GetParameterCommand).length, 1);
  });

  it('an unbootstrapped account gets the commands that fix it; other errors pass through', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm.reset();
    stubs.ssm
      .on(GetParameterCommand, { Name: '/cdk-bootstrap/berthtest/version' })
      .rejects(awsError('ParameterNotFound'));
    stubs.ssm
      .on(GetParameterCommand, { Name: '/cdk-bootstrap/berthprod/version' })
      .rejects(awsError('AccessDeniedException'));

    const error = await requireBootstrap(
      clients.ssm,
      {
        account: '111122223333',
        region: 'eu-west-1',
        env: 'test',
      },
      CART,
    ).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CliError);
    assert.equal(
      error.message,
      'CDK is not bootstrapped for test in aws://111122223333/eu-west-1 (qualifier berthtest): ' +
        'run these from the repository root with administrator credentials for that account, then deploy again',
    );
    assert.match(error.detail ?? '', /^aws iam create-policy --policy-name berth-test-cfn-execution /);
    assert.match(error.detail ?? '', /npx cdk bootstrap aws:\/\/\d{12}\/eu-west-1 --qualifier berthtest /);
    await assert.rejects(
      requireBootstrap(clients.ssm, { account: '444455556666', region: 'eu-west-1', env: 'prod' }, CART),
      {
        name: 'AccessDeniedException',
      },
    );
  });
});
