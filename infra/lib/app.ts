import { Annotations, App, DefaultStackSynthesizer, type Stack, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { AVAILABILITY_ZONES, ENV_NAMES, type EnvName, REGIONS, type Region } from '../config/environments.js';
import type { ResolvedConfig } from '../config/resolve.js';
import {
  accountLayoutWarnings,
  getEnvironment,
  validateGlobal,
  validatePromotion,
} from '../config/validate.js';
import { globalQualifier } from './bootstrap.js';
import type { Component } from './naming.js';
import { DataStack } from './stacks/data-stack.js';
import { GlobalStack } from './stacks/global-stack.js';
import { MonitoringStack } from './stacks/monitoring-stack.js';
import { NetworkStack } from './stacks/network-stack.js';
import { ServiceStack } from './stacks/service-stack.js';

/** Feature flags this app depends on; cdk.json repeats them for the CLI (a test keeps the two in step). */
export const FEATURE_FLAGS = {
  '@aws-cdk/aws-autoscaling:generateLaunchTemplateInsteadOfLaunchConfig': true,
  '@aws-cdk/core:validateAgainstDefaultRules': true,
  '@aws-cdk/aws-ec2:uniqueImdsv2TemplateName': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/aws-ecs:removeDefaultDesiredCount': true,
  // Exports protect the producer: a referenced VPC or secret cannot be deleted under a running stack.
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
} as const;

/** Fixed AZ lists in the context keys the VPC would otherwise look up (no credentials needed to synth). */
export function availabilityZoneContext(account: string): Record<string, string[]> {
  return Object.fromEntries(
    REGIONS.map((region) => [
      `availability-zones:account=${account}:region=${region}`,
      [...AVAILABILITY_ZONES[region]],
    ]),
  );
}

export interface CreateAppProps {
  /** The app, its environments and its account-wide settings: `berth.config.ts`, resolved (config/load.ts). */
  readonly config: ResolvedConfig;
  /** Cloud assembly directory. @default - the CDK default (cdk.out, or what the CLI passes) */
  readonly outdir?: string;
  /** Extra context, e.g. `{ 'berth:image': 'sha256:…' }`; wins over the defaults. */
  readonly context?: Record<string, unknown>;
  /** Environments to include. @default - every environment in ENV_NAMES */
  readonly environments?: readonly EnvName[];
}

function tag(scope: IConstruct, app: string, env: EnvName | 'global', component: string): void {
  Tags.of(scope).add('Project', app);
  Tags.of(scope).add('Environment', env);
  Tags.of(scope).add('Component', component);
}

/**
 * Builds the whole platform: the Global stack, then per environment and region the component stacks
 * in deploy order (Network → Data → Service → Monitoring). Pure: reads no environment variables,
 * so the CLI can build it in-process.
 */
export function createApp(props: CreateAppProps): App {
  const { global: accountWide, names } = props.config;
  const all = props.config.environments;
  // Resolving the config validated it; again here because tests hand-edit resolved configs.
  validateGlobal(accountWide);
  validatePromotion(all);
  const configs = (props.environments ?? ENV_NAMES).map((name) => getEnvironment(all, name));
  const accounts = new Set([accountWide.account, ...configs.map((c) => c.account)]);
  const app = new App({
    outdir: props.outdir,
    context: {
      ...FEATURE_FLAGS,
      ...Object.assign({}, ...[...accounts].map(availabilityZoneContext)),
      ...props.context,
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  const regionsInUse = new Set<Region>([accountWide.primaryRegion]);
  for (const config of Object.values(all)) {
    for (const region of config.regions) regionsInUse.add(region);
  }
  const global = new GlobalStack(app, names.globalStackName, {
    env: { account: accountWide.account, region: accountWide.primaryRegion },
    description: 'Berth account-wide resources: shared image registry and GitHub Actions access',
    global: accountWide,
    names,
    // Replicate for every configured environment, not just the ones built now, so a partial app
    // (e.g. `berth plan test`) never proposes dropping prod's replica.
    regionsInUse: [...regionsInUse],
    bootstrapQualifiers: Object.fromEntries(ENV_NAMES.map((n) => [n, all[n].bootstrapQualifier])) as Record<
      EnvName,
      string
    >,
    // Deployed through prod's bootstrap roles: the test CI role cannot assume them, so it cannot
    // rewrite the CI roles' trust or permissions.
    synthesizer: new DefaultStackSynthesizer({ qualifier: globalQualifier(props.config) }),
    terminationProtection: true,
  });
  tag(global, names.app, 'global', 'Global');
  // A layout that lets test's CI role reach prod still synthesizes, but `cdk synth` says so.
  for (const warning of accountLayoutWarnings(all)) {
    Annotations.of(global).addWarningV2('berth:account-layout', warning);
  }

  for (const config of configs) {
    for (const region of config.regions) {
      const env = { account: config.account, region };
      // Each environment deploys through its own bootstrap roles (infra/lib/bootstrap.ts); a new
      // synthesizer per stack, as CDK binds one synthesizer to one stack.
      const synthesizer = () => new DefaultStackSynthesizer({ qualifier: config.bootstrapQualifier });
      const name = (component: Component) => names.stackName(config.name, region, component);
      const description = (what: string) => `Berth ${config.name} ${region}: ${what}`;
      const protect = config.name === 'prod';

      const network = new NetworkStack(app, name('Network'), {
        env,
        synthesizer: synthesizer(),
        config,
        region,
        description: description('VPC, subnets, NAT, flow logs'),
        terminationProtection: protect,
      });
      const data = new DataStack(app, name('Data'), {
        env,
        synthesizer: synthesizer(),
        config,
        region,
        vpc: network.network.vpc,
        names,
        description: description('PostgreSQL'),
        terminationProtection: protect,
      });
      const service = new ServiceStack(app, name('Service'), {
        env,
        synthesizer: synthesizer(),
        config,
        vpc: network.network.vpc,
        database: data.database,
        names,
        repositoryName: accountWide.repositoryName,
        description: description('ECS cluster, load balancer, service'),
      });
      // The repository is referenced by name (replicas exist per region), so the order is explicit.
      service.addStackDependency(global, 'pulls images from the shared registry');
      const monitoring = new MonitoringStack(app, name('Monitoring'), {
        env,
        synthesizer: synthesizer(),
        config,
        service,
        database: data.database,
        names,
        description: description('dashboard and alarms'),
      });

      const stacks: [Component, Stack][] = [
        ['Network', network],
        ['Data', data],
        ['Service', service],
        ['Monitoring', monitoring],
      ];
      for (const [component, stack] of stacks) tag(stack, names.app, config.name, component);
    }
  }
  return app;
}
