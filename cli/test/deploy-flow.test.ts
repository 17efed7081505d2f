import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeStackResourcesCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { IMAGE_CONTEXT_KEY, PLACEHOLDER_IMAGE } from '@berth/infra';
import { deployEnvironment } from '../src/deploy/deploy-flow.js';
import { CliError } from '../src/errors.js';
import {
  CLUSTER,
  deployment,
  digest,
  givenCrashingRelease,
  givenDeployedStacks,
  mockAws,
  REGION,
  SERVICE,
  service,
  TARGET_GROUP_ARN,
  TASK_DEF,
  target,
  URL_TEST,
} from './fixtures/aws.js';
import { PARAMETERS, stackName } from './fixtures/cart-config.js';
import { webContext } from './fixtures/web-context.js';

const GOOD = digest('a');
const REGIONAL = ['Network', 'Data', 'Service', 'Monitoring'].map((c) =>
  stackName('test', REGION, c as 'Network'),
);
const request = { env: 'test', skipBuild: false, timeoutMs: 30 * 60_000 };

function givenHealthyRollout(stubs: ReturnType<typeof mockAws>['stubs']): void {
  stubs.ecs
    .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
    .resolves(service([deployment({ taskDefinition: TASK_DEF(9) })]));
  stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP_ARN }).resolves({
    TargetHealthDescriptions: [target('i-0a1', 32768, 'healthy'), target('i-0b2', 32770, 'healthy')],
  });
}

describe('berth deploy', () => {
  it("deploys test's regional stacks in order with the digest (Global is prod's), and records it after the smoke test", async () => {
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    givenHealthyRollout(stubs);
    const ctx = webContext(clients);

    const result = await deployEnvironment(ctx, { ...request, imageDigest: GOOD });

    assert.deepEqual(result, { env: 'test', digest: GOOD, regions: [{ region: REGION, url: URL_TEST }] });
    assert.deepEqual(
      ctx.deployerFake.calls.map((c) => c.stacks),
      [REGIONAL],
    );
    assert.deepEqual(ctx.deployerFake.calls[0]?.context, { [IMAGE_CONTEXT_KEY]: GOOD });
    const put = stubs.ssm.commandCalls(PutParameterCommand);
    assert.equal(put.length, 1);
    assert.equal(put[0]!.args[0].input.Name, PARAMETERS.imageDigest('test'));
    assert.equal(put[0]!.args[0].input.Value, GOOD);
  });

  it('resolves a tag to its digest through ECR so only a digest is ever deployed', async () => {
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    givenHealthyRollout(stubs);
    stubs.ecr
      .on(DescribeImagesCommand, {
        repositoryName: 'berth/web',
        imageIds: [{ imageTag: '3f9c2ab41d07' }],
      })
      .resolves({
        imageDetails: [{ imageDigest: GOOD, imageTags: ['3f9c2ab41d07'], repositoryName: 'berth/web' }],
      });
    const ctx = webContext(clients);

    const result = await deployEnvironment(ctx, { ...request, imageTag: '3f9c2ab41d07' });

    assert.equal(result.digest, GOOD);
    assert.deepEqual(ctx.deployerFake.calls[0]?.context, { [IMAGE_CONTEXT_KEY]: GOOD });
  });

  it('says which tag is missing when ECR does not have it', async () => {
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    stubs.ecr.on(DescribeImagesCommand).rejects(
      Object.assign(new Error("The image with imageId {imageTag:'nope'} does not exist"), {
        name: 'ImageNotFoundException',
      }),
    );

    await assert.rejects(deployEnvironment(webContext(clients), { ...request, imageTag: 'nope' }), {
      message: 'image tag "nope" not found in ECR repository berth/web: push it first or pass --image-digest',
    });
  });

  it('names the config field and both accounts when the credentials are for another account', async () => {
    const { clients, stubs } = mockAws();
    stubs.sts.on(GetCallerIdentityCommand).resolves({
      Account: '210987654321',
      Arn: 'arn:aws:sts::210987654321:assumed-role/admin/me',
    });
    const ctx = webContext(clients);

    await assert.rejects(deployEnvironment(ctx, { ...request, imageDigest: GOOD }), {
      message:
        'credentials are for account 210987654321 but environments.test.account in berth.config.ts is 123456789012: ' +
        "if 210987654321 is where test should run, set environments.test.account to '210987654321' " +
        '(docs/deploy.md, "Your account and repository"); otherwise use credentials for 123456789012',
    });
    assert.equal(ctx.deployerFake.calls.length, 0);
  });

  it('refuses the placeholder image before any AWS call', async () => {
    const { clients, stubs } = mockAws();
    for (const flags of [{ imageTag: PLACEHOLDER_IMAGE }, { imageDigest: PLACEHOLDER_IMAGE }]) {
      await assert.rejects(
        deployEnvironment(webContext(clients), { ...request, ...flags }),
        /placeholder image/,
      );
    }
    assert.equal(stubs.sts.calls().length, 0);
  });

  it('reuses the recorded digest for an infrastructure-only deploy and refuses when none is recorded', async () => {
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    givenHealthyRollout(stubs);
    // Input-checking: only test's parameter has a value; reading prod's (or any other) gets nothing.
    stubs.ssm
      .on(GetParameterCommand, { Name: PARAMETERS.imageDigest('test') })
      .resolvesOnce({ Parameter: { Name: PARAMETERS.imageDigest('test'), Value: GOOD } });
    const ctx = webContext(clients);

    const result = await deployEnvironment(ctx, { ...request, skipBuild: true });
    assert.equal(result.digest, GOOD);
    assert.deepEqual(ctx.deployerFake.calls[0]?.context, { [IMAGE_CONTEXT_KEY]: GOOD });

    stubs.ssm
      .on(GetParameterCommand, { Name: PARAMETERS.imageDigest('test') })
      .rejects(Object.assign(new Error('ParameterNotFound'), { name: 'ParameterNotFound' }));
    const second = webContext(clients);
    await assert.rejects(
      deployEnvironment(second, { ...request, skipBuild: true }),
      /no image digest recorded for test/,
    );
    assert.equal(second.deployerFake.calls.length, 0, 'nothing deployed');
  });

  it('stops before deploying with guidance when a stack cannot be updated', async () => {
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    stubs.cfn.on(DescribeStacksCommand, { StackName: stackName('test', REGION, 'Service') }).resolves({
      Stacks: [{ StackName: 'x', StackStatus: 'UPDATE_ROLLBACK_FAILED', CreationTime: new Date() }],
    });
    stubs.cfn.on(DescribeStackResourcesCommand).resolves({
      StackResources: [
        {
          LogicalResourceId: 'WebService',
          ResourceStatus: 'UPDATE_FAILED',
          ResourceType: 'AWS::ECS::Service',
          Timestamp: new Date(),
        },
        {
          LogicalResourceId: 'Cluster',
          ResourceStatus: 'UPDATE_COMPLETE',
          ResourceType: 'AWS::ECS::Cluster',
          Timestamp: new Date(),
        },
      ],
    });
    const ctx = webContext(clients);

    const error = await deployEnvironment(ctx, { ...request, imageDigest: GOOD }).catch((e: unknown) => e);

    assert.ok(error instanceof CliError);
    assert.equal(error.message, 'stacks need attention before deploying:');
    assert.match(
      error.detail ?? '',
      /Berth-Test-eu-west-1-Service is UPDATE_ROLLBACK_FAILED: .*continue-update-rollback --stack-name Berth-Test-eu-west-1-Service --resources-to-skip WebService`/,
    );
    assert.equal(ctx.deployerFake.calls.length, 0);
  });

  it('explains a failed rollout in one place and reports the circuit breaker rollback', async () => {
    // GIVEN the stacks deploy, but the new tasks crash and the circuit breaker goes back to revision 8
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    givenCrashingRelease(stubs);
    const rolledBack = service(
      [
        deployment({ status: 'PRIMARY', taskDefinition: TASK_DEF(8), rolloutState: 'IN_PROGRESS' }),
        deployment({
          id: 'ecs-svc/new',
          status: 'ACTIVE',
          taskDefinition: TASK_DEF(9),
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        }),
      ],
      {
        events: [
          {
            id: 'e1',
            createdAt: new Date(),
            message: '(service web) deployment failed: tasks failed to start.',
          },
        ],
      },
    );
    // The first look (which revision is ours) sees the new one as primary; later ones see the rollback.
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolvesOnce(
        service([deployment({ taskDefinition: TASK_DEF(9), rolloutState: 'IN_PROGRESS', runningCount: 0 })]),
      )
      .resolves(rolledBack);
    const ctx = webContext(clients);

    const error = await deployEnvironment(ctx, { ...request, imageDigest: GOOD }).catch((e: unknown) => e);

    assert.ok(error instanceof CliError, String(error));
    assert.equal(
      error.message,
      `deployment of ${GOOD} to test failed (ECS deployment circuit breaker: tasks failed to start.); ` +
        `the deployment circuit breaker rolled back to ${TASK_DEF(8)}`,
    );
    assert.match(error.detail ?? '', /Essential container in task exited/);
    assert.match(error.detail ?? '', /container web exit 1/);
    assert.match(error.detail ?? '', /Target\.FailedHealthChecks/);
    assert.match(error.detail ?? '', /does not exist/);
    assert.equal(stubs.ssm.commandCalls(PutParameterCommand).length, 0, 'a failed digest is never recorded');
    assert.equal(stubs.ecs.commandCalls(UpdateServiceCommand).length, 0, 'ECS already rolled back');
  });

  it('rolls back itself when the rollout failed without a circuit breaker rollback', async () => {
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    givenCrashingRelease(stubs);
    stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] }).resolves(
      service([
        deployment({
          status: 'PRIMARY',
          taskDefinition: TASK_DEF(9),
          rolloutState: 'FAILED',
          rolloutStateReason: 'alarm Berth-Test-5xx in ALARM',
        }),
        deployment({ id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: TASK_DEF(8) }),
      ]),
    );
    stubs.ecs.on(UpdateServiceCommand).resolves({});

    await assert.rejects(deployEnvironment(webContext(clients), { ...request, imageDigest: GOOD }), {
      message: `deployment of ${GOOD} to test failed (alarm Berth-Test-5xx in ALARM); rolled back to ${TASK_DEF(8)}`,
    });
    const update = stubs.ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input;
    assert.equal(update?.taskDefinition, TASK_DEF(8));
  });

  it('fails the deploy when the smoke test does not get 200 from the health path', async () => {
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    givenHealthyRollout(stubs);
    const ctx = webContext(clients, {
      fetch: async (url) => new Response('', { status: url.endsWith('/readyz') ? 503 : 200 }),
    });

    await assert.rejects(
      deployEnvironment(ctx, { ...request, imageDigest: GOOD }),
      /smoke test of \w+: GET .*\/readyz returned 503, expected 200/,
    );
    assert.equal(stubs.ssm.commandCalls(PutParameterCommand).length, 0);
  });

  it('names the known environments and regions', async () => {
    const { clients } = mockAws();
    await assert.rejects(deployEnvironment(webContext(clients), { ...request, env: 'staging' }), {
      message: 'unknown environment "staging": use one of test, prod',
    });
    await assert.rejects(
      deployEnvironment(webContext(clients), { ...request, env: 'test', region: 'us-east-1' }),
      {
        message:
          'region "us-east-1" is not configured for test: use one of eu-west-1 (environments.test.regions in berth.config.ts)',
      },
    );
  });
});
