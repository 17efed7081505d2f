import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';

export interface RegistryProps {
  /** Repository name, e.g. `berth/service`; shared by every environment so a digest is promoted, not rebuilt. */
  readonly repositoryName: string;
  /**
   * Regions (other than this stack's) that run an environment and need a local copy of every image.
   * @default [] - no replication
   */
  readonly replicationRegions?: readonly string[];
  /**
   * Untagged images (superseded pushes, failed builds) are deleted this many days after push.
   * @default 7
   */
  readonly untaggedExpiryDays?: number;
  /**
   * How many images to keep in total; older ones are deleted. Keep enough for prod rollbacks.
   * @default 50
   */
  readonly maxImageCount?: number;
  /**
   * Encrypt layers with the AWS-managed KMS key instead of AES-256.
   * @default false - AES256 (no per-request KMS cost; the data is a build artifact, not secret)
   */
  readonly kmsEncryption?: boolean;
  /**
   * What happens to the repository when the stack is deleted.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE - kept on delete (prod may still run an image from it),
   * but removed when the stack's first create rolls back, so the fixed name never blocks the next create
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The shared ECR repository: scanned on push, immutable tags, bounded by lifecycle rules,
 * and replicated to every other region an environment runs in.
 */
export class Registry extends Construct {
  public readonly repository: ecr.Repository;
  /** Present only when replicationRegions is non-empty. */
  public readonly replication?: ecr.CfnReplicationConfiguration;

  constructor(scope: Construct, id: string, props: RegistryProps) {
    super(scope, id);
    const untaggedExpiryDays = props.untaggedExpiryDays ?? 7;
    const maxImageCount = props.maxImageCount ?? 50;
    const replicationRegions = props.replicationRegions ?? [];
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

    if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(props.repositoryName)) {
      throw new Error(
        `Registry repositoryName (${props.repositoryName}) must be lowercase ECR path segments such as berth/service`,
      );
    }
    if (!Number.isInteger(untaggedExpiryDays) || untaggedExpiryDays < 1) {
      throw new Error(
        `Registry untaggedExpiryDays (${untaggedExpiryDays}) must be a whole number of days >= 1`,
      );
    }
    if (!Number.isInteger(maxImageCount) || maxImageCount < 2) {
      throw new Error(`Registry maxImageCount (${maxImageCount}) must be >= 2 so a rollback target survives`);
    }
    const stackRegion = Stack.of(this).region;
    if (!Token.isUnresolved(stackRegion) && replicationRegions.includes(stackRegion)) {
      throw new Error(
        `Registry replicationRegions must not contain the registry's own region (${stackRegion})`,
      );
    }

    this.repository = new ecr.Repository(this, 'Repository', {
      repositoryName: props.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: props.kmsEncryption ? ecr.RepositoryEncryption.KMS : ecr.RepositoryEncryption.AES_256,
      removalPolicy,
      lifecycleRules: [
        {
          rulePriority: 1,
          description: `Expire untagged images ${untaggedExpiryDays} days after push`,
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: Duration.days(untaggedExpiryDays),
        },
        {
          rulePriority: 2,
          description: `Keep the last ${maxImageCount} images`,
          tagStatus: ecr.TagStatus.ANY,
          maxImageCount,
        },
      ],
    });

    if (replicationRegions.length > 0) {
      // One replication configuration per registry (account + region): this construct must be its only owner.
      this.replication = new ecr.CfnReplicationConfiguration(this, 'Replication', {
        replicationConfiguration: {
          rules: [
            {
              destinations: replicationRegions.map((region) => ({
                region,
                registryId: Stack.of(this).account,
              })),
              repositoryFilters: [{ filter: props.repositoryName, filterType: 'PREFIX_MATCH' }],
            },
          ],
        },
      });
    }
  }
}
