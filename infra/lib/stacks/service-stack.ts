import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/environments.js';
import { Cluster } from '../constructs/cluster.js';
import type { Database } from '../constructs/database.js';
import { Domain } from '../constructs/domain.js';
import { WebAcl } from '../constructs/web-acl.js';
import { WebService } from '../constructs/web-service.js';
import { resolveImage } from '../image.js';
import { type AppNames, IMAGE_CONTEXT_KEY, OUTPUTS, PRODUCTION_WEIGHTS_CONTEXT_KEY } from '../naming.js';
import { resolveProductionWeights } from '../production-weights.js';

export interface ServiceStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** The app's names (the Berth AMI's parameter, the stacks `berth exec` operators may read). */
  readonly names: AppNames;
  readonly vpc: ec2.IVpc;
  /** The database whose secret the task reads and whose security group admits the instances. */
  readonly database: Database;
  /** The shared repository's name; replication gives every region a local copy, so no cross-region reference. */
  readonly repositoryName: string;
}

/** Compute and traffic: the ECS cluster with its EC2 capacity, the ALB and the service. */
export class ServiceStack extends Stack {
  public readonly cluster: Cluster;
  public readonly web: WebService;
  public readonly databaseSecret: secretsmanager.ISecret;
  /** Present when `waf.enabled`. */
  public readonly webAcl?: WebAcl;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config } = props;
    // The only place the image is read: from context, so an infra-only synth keeps a placeholder.
    const { image, isPlaceholder } = resolveImage(this.node.tryGetContext(IMAGE_CONTEXT_KEY));
    if (isPlaceholder) {
      Annotations.of(this).addWarningV2(
        'berth:placeholder-image',
        `No image in context ${IMAGE_CONTEXT_KEY}: synthesized with a placeholder that cannot be deployed. Use \`berth deploy\`, which passes the digest.`,
      );
    }

    const firstWeb = config.services.find((s) => s.kind === 'web')?.name ?? '';
    const productionWeights = resolveProductionWeights(
      this.node.tryGetContext(PRODUCTION_WEIGHTS_CONTEXT_KEY),
      firstWeb,
    );
    if (config.service.deployment.strategy !== 'rolling' && productionWeights === undefined) {
      Annotations.of(this).addWarningV2(
        'berth:production-weights',
        `No live weights in context ${PRODUCTION_WEIGHTS_CONTEXT_KEY}: the production rule is rendered 100/0, right only for a first deploy. \`berth deploy\` reads them from the running rule.`,
      );
    }

    this.cluster = new Cluster(this, 'Cluster', {
      envName: config.name,
      names: props.names,
      vpc: props.vpc,
      instanceType: config.cluster.instanceType,
      architecture: config.cluster.architecture,
      amiSource: config.cluster.amiSource,
      minInstances: config.cluster.minInstances,
      maxInstances: config.cluster.maxInstances,
      targetCapacityPercent: config.cluster.targetCapacityPercent,
      rootVolumeGiB: config.cluster.rootVolumeGiB,
      exec: config.exec.enabled ? { logRetentionDays: config.logRetentionDays } : undefined,
    });
    // The ingress rule is created in this stack (it references the Data stack's group), so Data never
    // depends on Service and the two can be deployed and destroyed in order.
    props.database.allowFrom(this.cluster.instanceSecurityGroup);
    this.databaseSecret = props.database.secret;

    const domain = config.domain ? new Domain(this, 'Domain', config.domain) : undefined;
    const repository = ecr.Repository.fromRepositoryName(this, 'Repository', props.repositoryName);
    this.web = new WebService(this, 'Web', {
      envName: config.name,
      accessLogPrefix: props.names.resourcePrefix(config.name),
      vpc: props.vpc,
      cluster: this.cluster.cluster,
      capacityProvider: this.cluster.capacityProvider,
      instanceSecurityGroup: this.cluster.instanceSecurityGroup,
      repository,
      image,
      databaseSecret: props.database.secret,
      service: config.service,
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      certificateArn: domain?.certificate.certificateArn,
      productionWeights,
      exec: this.cluster.exec,
    });

    if (config.waf.enabled) {
      this.webAcl = new WebAcl(this, 'Waf', {
        envName: config.name,
        name: props.names.resourcePrefix(config.name),
        loadBalancerArn: this.web.loadBalancer.loadBalancerArn,
        mode: config.waf.mode,
        ratePerFiveMinutes: config.waf.ratePerFiveMinutes,
        logRetentionDays: config.waf.logRetentionDays ?? config.logRetentionDays,
      });
    }

    domain?.routeTo(this.web.loadBalancer);

    // With a domain, the URL is the name the certificate covers: the load balancer's own DNS name fails TLS checks.
    new CfnOutput(this, OUTPUTS.serviceUrl, { value: domain?.url ?? this.web.url });
    new CfnOutput(this, OUTPUTS.repositoryUri, { value: repository.repositoryUri });
    new CfnOutput(this, OUTPUTS.clusterName, { value: this.cluster.cluster.clusterName });
    new CfnOutput(this, OUTPUTS.serviceName, { value: this.web.service.serviceName });
    new CfnOutput(this, OUTPUTS.logGroupName, { value: this.web.logGroup.logGroupName });
    new CfnOutput(this, OUTPUTS.targetGroupArn, { value: this.web.targetGroup.targetGroupArn });
    if (this.web.productionRule) {
      new CfnOutput(this, OUTPUTS.productionRuleArn, { value: this.web.productionRule.listenerRuleArn });
    }
    if (this.cluster.exec) {
      // What operators attach to use `berth exec` here (docs/runbook-exec.md).
      new CfnOutput(this, 'ExecOperatorPolicyArn', {
        value: this.cluster.exec.operatorPolicy.managedPolicyArn,
      });
    }
    new CfnOutput(this, OUTPUTS.autoScalingGroupName, {
      value: this.cluster.autoScalingGroup.autoScalingGroupName,
    });
  }
}
