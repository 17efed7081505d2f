import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Registry, type RegistryProps } from '../lib/constructs/registry.js';
import { ACCOUNT, envStack } from './fixtures/platform.js';

function registry(props: Partial<RegistryProps> = {}): Template {
  const stack = envStack();
  new Registry(stack, 'Registry', { repositoryName: 'berth/service', ...props });
  return Template.fromStack(stack);
}

describe('Registry', () => {
  const single = registry();

  test('scans on push, refuses to overwrite tags, encrypts, and is retained except when its first create rolls back', () => {
    single.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'berth/service',
      ImageScanningConfiguration: { ScanOnPush: true },
      ImageTagMutability: 'IMMUTABLE',
      // CDK leaves AES256 implicit: it is ECR's at-rest default.
      EncryptionConfiguration: Match.absent(),
    });
    // Kept on delete (prod runs images from it), but a failed first create removes it, so the fixed name
    // never blocks the next create (AWS, "DeletionPolicy attribute": RetainExceptOnCreate).
    single.hasResource('AWS::ECR::Repository', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('lifecycle: untagged images expire after N days, at most N images are kept', () => {
    const repo = Object.values(single.findResources('AWS::ECR::Repository'))[0]!;
    const policy = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText);
    assert.deepEqual(
      policy.rules.map((r: { selection: unknown }) => r.selection),
      [
        { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 7, countUnit: 'days' },
        { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 50 },
      ],
    );
  });

  test('KMS encryption on request', () => {
    registry({ kmsEncryption: true }).hasResourceProperties('AWS::ECR::Repository', {
      EncryptionConfiguration: { EncryptionType: 'KMS' },
    });
  });

  test('no replication when every environment runs in the registry region', () => {
    single.resourceCountIs('AWS::ECR::ReplicationConfiguration', 0);
  });

  test('replicates the repository to the other regions in use', () => {
    registry({ replicationRegions: ['us-east-1', 'eu-west-2'] }).hasResourceProperties(
      'AWS::ECR::ReplicationConfiguration',
      {
        ReplicationConfiguration: {
          Rules: [
            {
              Destinations: [
                { Region: 'us-east-1', RegistryId: ACCOUNT },
                { Region: 'eu-west-2', RegistryId: ACCOUNT },
              ],
              RepositoryFilters: [{ Filter: 'berth/service', FilterType: 'PREFIX_MATCH' }],
            },
          ],
        },
      },
    );
  });

  test('rejects its own region as a replication target, and bad names or limits', () => {
    assert.throws(
      () => registry({ replicationRegions: ['eu-west-1'] }),
      /must not contain the registry's own region/,
    );
    assert.throws(() => registry({ repositoryName: 'Berth/Service' }), /repositoryName \(Berth\/Service\)/);
    assert.throws(() => registry({ maxImageCount: 1 }), /maxImageCount \(1\) must be >= 2/);
  });

  test('names each lifecycle rule by what it keeps, in priority order', () => {
    const repo = Object.values(single.findResources('AWS::ECR::Repository'))[0]!;
    const policy = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText);
    assert.deepEqual(
      policy.rules.map((r: { rulePriority: number; description: string }) => [r.rulePriority, r.description]),
      [
        [1, 'Expire untagged images 7 days after push'],
        [2, 'Keep the last 50 images'],
      ],
    );
  });

  test("takes the names ECR takes: lowercase path segments separated by '/', '.', '_' or '-' inside one", () => {
    // CreateRepository API reference, repositoryName pattern:
    // (?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*
    for (const repositoryName of ['service', 'berth/service', 'a.bc_de-fg/hi.jk-lm', 'team/api/v2']) {
      assert.doesNotThrow(() => registry({ repositoryName }), repositoryName);
    }
    for (const repositoryName of [
      'berth/service-',
      'berth-/service',
      'berth/',
      'a..b',
      'berth/Service',
      '/berth',
    ]) {
      assert.throws(
        () => registry({ repositoryName }),
        /must be lowercase ECR path segments such as berth\/service/,
        repositoryName,
      );
    }
  });

  test('expires untagged images after a whole number of days, at least one', () => {
    assert.doesNotThrow(() => registry({ untaggedExpiryDays: 1 }));
    for (const days of [0, -3, 1.5]) {
      assert.throws(
        () => registry({ untaggedExpiryDays: days }),
        new RegExp(`^Error: Registry untaggedExpiryDays \\(${days}\\) must be a whole number of days >= 1$`),
      );
    }
  });

  test('keeps at least two images, so the one to roll back to survives', () => {
    assert.doesNotThrow(() => registry({ maxImageCount: 2 }));
    assert.throws(() => registry({ maxImageCount: 2.5 }), /maxImageCount \(2.5\) must be >= 2/);
  });
});
