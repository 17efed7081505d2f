/**
 * Which image runs where (cli/src/aws/image-digest.ts): digest validation, tag resolution in ECR, the SSM record
 * per environment and its history, and the digest the ECS service actually runs. Parameter names and error
 * texts are literals; every stub answers only the parameter, repository or task definition it expects.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetParameterCommand, GetParameterHistoryCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import {
  digestRecord,
  findImageDigest,
  isDigest,
  readDeployedDigest,
  recordDeployedDigest,
  refusePlaceholder,
  releaseHistory,
  requireDigest,
  resolveTagToDigest,
  reuseDeployedDigest,
  runningDigest,
} from '../src/aws/image-digest.js';
import { CliError } from '../src/errors.js';
import { CLUSTER, deployment, digest, mockAws, SERVICE, service, TASK_DEF } from './fixtures/aws.js';
import { NAMES } from './fixtures/cart-config.js';

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });
const REPOSITORY = 'berth/service';
const PLACEHOLDER = 'berth-placeholder-image-not-deployable';

describe('digest validation', () => {
  it('accepts sha256: and exactly 64 lowercase hex characters, nothing else', () => {
    assert.equal(isDigest(`sha256:${'0123456789abcdef'.repeat(4)}`), true);
    assert.equal(isDigest(`sha256:${'a'.repeat(63)}`), false);
    assert.equal(isDigest(`sha256:${'a'.repeat(65)}`), false);
    assert.equal(isDigest(`sha256:${'A'.repeat(64)}`), false);
    assert.equal(isDigest(`sha256:${'g'.repeat(64)}`), false);
    assert.equal(isDigest(`x sha256:${'a'.repeat(64)}`), false);
    assert.equal(isDigest(`sha512:${'a'.repeat(64)}`), false);
    assert.equal(isDigest('v1.2.3'), false);
  });

  it('requireDigest returns a digest and refuses anything else with the expected shape in the message', () => {
    assert.equal(requireDigest(digest('b')), digest('b'));
    assert.throws(() => requireDigest('v1.2.3'), {
      name: 'CliError',
      message: '--image-digest "v1.2.3" is not a digest: expected sha256: followed by 64 hex characters',
    });
  });

  it('refuses the synth placeholder wherever it appears', () => {
    const expected = {
      name: 'CliError',
      message: `refusing to deploy the placeholder image "${PLACEHOLDER}": pass --image-tag or --image-digest of a pushed image`,
    };
    assert.throws(() => refusePlaceholder(`public.ecr.aws/x/${PLACEHOLDER}:latest`), expected);
    assert.throws(() => requireDigest(PLACEHOLDER), expected);
    assert.doesNotThrow(() => refusePlaceholder('berth/service:v1.2.3'));
  });
});

describe('tag resolution in ECR', () => {
  it('asks DescribeImages for exactly this repository and tag', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecr
      .on(DescribeImagesCommand, { repositoryName: REPOSITORY, imageIds: [{ imageTag: 'v1.2.3' }] }, true)
      .resolves({ imageDetails: [{ imageDigest: digest('c') }] });

    assert.equal(await findImageDigest(clients.ecr, REPOSITORY, 'v1.2.3'), digest('c'));
    assert.equal(await resolveTagToDigest(clients.ecr, REPOSITORY, 'v1.2.3'), digest('c'));
  });

  it('a missing tag is undefined (ImageNotFoundException, ECR API "DescribeImages") and a clear error when resolving', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecr
      .on(DescribeImagesCommand)
      .rejects(awsError('ImageNotFoundException', "The image with imageId {imageTag:'v9'} does not exist"));

    assert.equal(await findImageDigest(clients.ecr, REPOSITORY, 'v9'), undefined);
    await assert.rejects(resolveTagToDigest(clients.ecr, REPOSITORY, 'v9'), {
      name: 'CliError',
      message: `image tag "v9" not found in ECR repository ${REPOSITORY}: push it first or pass --image-digest`,
    });
  });

  it('an answer without details is not a digest either', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecr.on(DescribeImagesCommand).resolves({ imageDetails: [] });

    await assert.rejects(resolveTagToDigest(clients.ecr, REPOSITORY, 'v8'), CliError);
  });

  it('other ECR errors pass through; the placeholder is refused before any call', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecr.on(DescribeImagesCommand).rejects(awsError('RepositoryNotFoundException'));

    await assert.rejects(findImageDigest(clients.ecr, REPOSITORY, 'v1'), {
      name: 'RepositoryNotFoundException',
    });
    const before = stubs.ecr.calls().length;
    await assert.rejects(resolveTagToDigest(clients.ecr, REPOSITORY, PLACEHOLDER), { name: 'CliError' });
    assert.equal(stubs.ecr.calls().length, before);
  });
});

describe('the recorded digest (SSM /berth/<env>/image-digest)', () => {
  it('reads the parameter of the environment asked for', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm
      .on(GetParameterCommand, { Name: '/berth/prod/image-digest' }, true)
      .resolves({ Parameter: { Name: '/berth/prod/image-digest', Value: digest('d') } });
    stubs.ssm
      .on(GetParameterCommand, { Name: '/berth/test/image-digest' }, true)
      .resolves({ Parameter: { Name: '/berth/test/image-digest', Value: digest('e') } });

    assert.equal(await readDeployedDigest(clients.ssm, digestRecord(NAMES, 'prod')), digest('d'));
    assert.equal(await reuseDeployedDigest(clients.ssm, digestRecord(NAMES, 'test')), digest('e'));
  });

  it('is undefined before the first deploy (ParameterNotFound), and reuse then says to deploy an image first', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm
      .on(GetParameterCommand, { Name: '/berth/test/image-digest' })
      .rejects(awsError('ParameterNotFound'));

    assert.equal(await readDeployedDigest(clients.ssm, digestRecord(NAMES, 'test')), undefined);
    await assert.rejects(reuseDeployedDigest(clients.ssm, digestRecord(NAMES, 'test')), {
      name: 'CliError',
      message:
        'no image digest recorded for test at /berth/test/image-digest: deploy an image first with --image-tag or --image-digest',
    });
  });

  it('refuses to reuse a record that is not a digest; other SSM errors pass through', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm
      .on(GetParameterCommand, { Name: '/berth/prod/image-digest' })
      .resolves({ Parameter: { Value: 'latest' } });
    stubs.ssm
      .on(GetParameterCommand, { Name: '/berth/test/image-digest' })
      .rejects(awsError('AccessDeniedException'));

    await assert.rejects(reuseDeployedDigest(clients.ssm, digestRecord(NAMES, 'prod')), {
      message: /^no image digest recorded for prod at \/berth\/prod\/image-digest/,
    });
    await assert.rejects(readDeployedDigest(clients.ssm, digestRecord(NAMES, 'test')), {
      name: 'AccessDeniedException',
    });
  });

  it('records a digest as a String parameter, overwriting, with who recorded it in the description', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm.on(PutParameterCommand).resolves({ Version: 4 });

    await recordDeployedDigest(clients.ssm, digestRecord(NAMES, 'prod'), digest('f'));
    await recordDeployedDigest(clients.ssm, digestRecord(NAMES, 'test'), digest('a'), 'rollback');

    assert.deepEqual(
      stubs.ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input),
      [
        {
          Name: '/berth/prod/image-digest',
          Value: digest('f'),
          Type: 'String',
          Overwrite: true,
          Description: 'Image digest deployed to prod by berth deploy',
        },
        {
          Name: '/berth/test/image-digest',
          Value: digest('a'),
          Type: 'String',
          Overwrite: true,
          Description: 'Image digest deployed to test by berth rollback',
        },
      ],
    );
  });

  it('never records something that is not a digest', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm.on(PutParameterCommand).resolves({ Version: 1 });

    await assert.rejects(recordDeployedDigest(clients.ssm, digestRecord(NAMES, 'test'), 'v1.2.3'), {
      name: 'CliError',
    });
    assert.equal(stubs.ssm.commandCalls(PutParameterCommand).length, 0);
  });
});

describe('releaseHistory', () => {
  const version = (value: string, minute: number, by: 'deploy' | 'rollback', env = 'prod') => ({
    Name: `/berth/${env}/image-digest`,
    Value: value,
    LastModifiedDate: new Date(Date.UTC(2026, 10, 30, 20, minute)),
    Description: `Image digest deployed to ${env} by berth ${by}`,
  });

  it('pages through GetParameterHistory (50 per page), newest first, skipping rollback records and repeats', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm
      .on(
        GetParameterHistoryCommand,
        { Name: '/berth/prod/image-digest', NextToken: undefined, MaxResults: 50 },
        true,
      )
      .resolves({
        Parameters: [
          // Out of order on purpose: the result is ordered by LastModifiedDate, not by position.
          version(digest('2'), 3, 'deploy'),
          version(digest('1'), 1, 'deploy'),
          version(digest('2'), 2, 'deploy'),
        ],
        NextToken: 'token-2',
      });
    stubs.ssm
      .on(
        GetParameterHistoryCommand,
        { Name: '/berth/prod/image-digest', NextToken: 'token-2', MaxResults: 50 },
        true,
      )
      .resolves({
        Parameters: [
          version(digest('3'), 6, 'deploy'),
          version(digest('1'), 4, 'rollback'),
          version('not-a-digest', 5, 'deploy'),
          { Name: '/berth/prod/image-digest', LastModifiedDate: new Date(Date.UTC(2026, 10, 30, 20, 7)) },
        ],
      });

    assert.deepEqual(await releaseHistory(clients.ssm, digestRecord(NAMES, 'prod')), [
      digest('3'),
      digest('2'),
      digest('1'),
    ]);
  });

  it('keeps a release that comes back after another one (only consecutive repeats collapse)', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm.on(GetParameterHistoryCommand, { Name: '/berth/test/image-digest' }).resolves({
      Parameters: [
        version(digest('4'), 10, 'deploy', 'test'),
        version(digest('5'), 11, 'deploy', 'test'),
        version(digest('4'), 12, 'deploy', 'test'),
        // A prod-worded rollback description does not hide a test deploy: only this env's rollback text does.
        {
          ...version(digest('6'), 13, 'deploy', 'test'),
          Description: 'Image digest deployed to prod by berth rollback',
        },
      ],
    });

    assert.deepEqual(await releaseHistory(clients.ssm, digestRecord(NAMES, 'test')), [
      digest('6'),
      digest('4'),
      digest('5'),
      digest('4'),
    ]);
  });

  it('is empty before the first deploy; other errors pass through', async () => {
    const { clients, stubs } = mockAws();
    stubs.ssm
      .on(GetParameterHistoryCommand, { Name: '/berth/test/image-digest' })
      .rejects(awsError('ParameterNotFound'));
    stubs.ssm
      .on(GetParameterHistoryCommand, { Name: '/berth/prod/image-digest' })
      .rejects(awsError('ThrottlingException'));

    assert.deepEqual(await releaseHistory(clients.ssm, digestRecord(NAMES, 'test')), []);
    await assert.rejects(releaseHistory(clients.ssm, digestRecord(NAMES, 'prod')), {
      name: 'ThrottlingException',
    });
  });
});

describe('runningDigest', () => {
  // The service is `api` in the config: its container bears that name (the ECS service's name does not).
  const REF = { cluster: CLUSTER, service: SERVICE, name: 'api' };
  const repo = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/berth/service';

  it("is the digest of the container named after the service in the service's task definition", async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolves(service([deployment({ taskDefinition: TASK_DEF(12) })], { taskDefinition: TASK_DEF(12) }));
    stubs.ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TASK_DEF(12) }, true).resolves({
      taskDefinition: {
        containerDefinitions: [
          { name: 'xray-daemon', image: `public.ecr.aws/xray/aws-xray-daemon@${digest('9')}` },
          { name: 'web', image: `${repo}@${digest('5')}` },
          { name: 'api', image: `${repo}@${digest('7')}` },
        ],
      },
    });

    assert.equal(await runningDigest(clients.ecs, REF), digest('7'));
  });

  it("is undefined for a tag-only image, a missing service's container or a service without task definition", async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolvesOnce(service([deployment()], { taskDefinition: TASK_DEF(3) }))
      .resolvesOnce(service([deployment()], { taskDefinition: TASK_DEF(4) }))
      .resolvesOnce(service([deployment()], { taskDefinition: TASK_DEF(5) }))
      .resolves(service([deployment()]));
    stubs.ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: TASK_DEF(3) })
      .resolves({ taskDefinition: { containerDefinitions: [{ name: 'api', image: `${repo}:v1.2.3` }] } });
    stubs.ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TASK_DEF(4) }).resolves({
      taskDefinition: { containerDefinitions: [{ name: 'web', image: `${repo}@${digest('8')}` }] },
    });
    stubs.ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TASK_DEF(5) }).resolves({
      taskDefinition: { containerDefinitions: [{ name: 'api', image: `${repo}@sha256:short` }] },
    });

    assert.equal(await runningDigest(clients.ecs, REF), undefined);
    assert.equal(await runningDigest(clients.ecs, REF), undefined);
    assert.equal(await runningDigest(clients.ecs, REF), undefined);
    assert.equal(await runningDigest(clients.ecs, REF), undefined);
    assert.equal(stubs.ecs.commandCalls(DescribeTaskDefinitionCommand).length, 3);
  });
});
