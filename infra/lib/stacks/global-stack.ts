import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ENV_NAMES, type EnvName, type GlobalConfig, type Region } from '../../config/environments.js';
import { CiAccess } from '../constructs/ci-access.js';
import { Registry } from '../constructs/registry.js';
import { type AppNames, OUTPUTS } from '../naming.js';

export interface GlobalStackProps extends StackProps {
  readonly global: GlobalConfig;
  /** The app's names: what its CI roles are called and which stacks and parameters they may touch. */
  readonly names: AppNames;
  /** Every region any environment runs in; all but the primary get a replica of the registry. */
  readonly regionsInUse: readonly Region[];
  /** Each environment's CDK bootstrap qualifier: the only bootstrap roles its CI deploy role may assume. */
  readonly bootstrapQualifiers: Readonly<Record<EnvName, string>>;
}

/** `DeployRoleArnTest`, `DeployRoleArnProd`: one output per environment's CI role. */
export function deployRoleOutputKey(env: EnvName): string {
  return `${OUTPUTS.deployRoleArn}${env.charAt(0).toUpperCase()}${env.slice(1)}`;
}
export const PLAN_ROLE_OUTPUT_KEY = 'PlanRoleArn';
/** The role the AMI workflow's Packer build assumes (repository variable BERTH_AMI_BUILD_ROLE_ARN). */
export const AMI_BUILD_ROLE_OUTPUT_KEY = 'AmiBuildRoleArn';

/** Account-wide resources, deployed once in the primary region before any environment. */
export class GlobalStack extends Stack {
  /** Absent when every service runs a prebuilt image: nothing is pushed, so no repository. */
  public readonly registry?: Registry;
  public readonly ciAccess: CiAccess;

  constructor(scope: Construct, id: string, props: GlobalStackProps) {
    super(scope, id, props);
    const { global } = props;

    this.registry =
      global.repositoryName === undefined
        ? undefined
        : new Registry(this, 'Registry', {
            repositoryName: global.repositoryName,
            replicationRegions: [...new Set(props.regionsInUse)].filter((r) => r !== global.primaryRegion),
          });
    this.ciAccess = new CiAccess(this, 'CiAccess', {
      names: props.names,
      githubRepository: global.githubRepository,
      prodEnvironment: global.githubProdEnvironment,
      repository: this.registry?.repository,
      bootstrapQualifiers: props.bootstrapQualifiers,
      existingProviderArn: global.githubOidcProviderArn,
    });

    if (this.registry) {
      new CfnOutput(this, OUTPUTS.repositoryUri, { value: this.registry.repository.repositoryUri });
    }
    for (const env of ENV_NAMES) {
      new CfnOutput(this, deployRoleOutputKey(env), { value: this.ciAccess.deployRoles[env].roleArn });
    }
    new CfnOutput(this, PLAN_ROLE_OUTPUT_KEY, { value: this.ciAccess.planRole.roleArn });
    new CfnOutput(this, AMI_BUILD_ROLE_OUTPUT_KEY, { value: this.ciAccess.amiBuildRole.roleArn });
  }
}
