import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/environments.js';
import type { Database } from '../constructs/database.js';
import { Monitoring } from '../constructs/monitoring.js';
import { type AppNames, OUTPUTS } from '../naming.js';
import type { ServiceStack } from './service-stack.js';

/** CDK's per-consumer switch between `Fn::ImportValue` (strong) and `Fn::GetStackOutput` (weak) references. */
export const CROSS_STACK_REFERENCES_KEY = '@aws-cdk/core:defaultCrossStackReferences';

export interface MonitoringStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly service: ServiceStack;
  readonly database: Database;
  /** The app's names: dashboard names are unique per account. */
  readonly names: AppNames;
}

/**
 * Dashboard, alarms and the alarm topic; last in deploy order, first to go in a teardown.
 *
 * It reads what it watches from the Service and Data stacks by weak reference (`Fn::GetStackOutput`, resolved
 * on each deploy of this stack), never `Fn::ImportValue`: an export cannot be removed or changed while imported,
 * so an import here would block ordinary Service changes (HTTPS on, a strategy switch) with "Cannot delete
 * export … as it is in use". Nothing depends on this stack, so a weak reference risks nothing the deploy order
 * does not already give: Monitoring is deployed after Service every time. See docs/architecture.md.
 */
export class MonitoringStack extends Stack {
  public readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    // Read from the consumer's context: set before any child exists.
    this.node.setContext(CROSS_STACK_REFERENCES_KEY, 'weak');
    const { cluster, loadBalancer, webServices, workers } = props.service;
    this.monitoring = new Monitoring(this, 'Monitoring', {
      envName: props.config.name,
      dashboardName: `${props.names.resourcePrefix(props.config.name)}-${this.region}`,
      loadBalancer: loadBalancer?.loadBalancer,
      webServices: webServices.map(({ config, construct }) => ({
        name: config.name,
        service: construct.service,
        targetGroupFullNames: [
          construct.targetGroup,
          ...(construct.alternateTargetGroup ? [construct.alternateTargetGroup] : []),
        ].map((group) => group.targetGroupFullName),
      })),
      workers: workers.map(({ config, construct, queue }) => ({
        name: config.name,
        service: construct.service,
        ...(queue && config.queue
          ? {
              queue: {
                queue: queue.queue,
                deadLetterQueue: queue.deadLetterQueue,
                maxMessageAge: Duration.minutes(config.queue.maxMessageAgeMinutes),
              },
            }
          : {}),
      })),
      cluster: cluster.cluster,
      autoScalingGroupName: cluster.autoScalingGroup.autoScalingGroupName,
      capacityProviderName: cluster.capacityProvider.capacityProviderName,
      database: props.database.instance,
      alarmEmail: props.config.alarms?.email,
      webAclName: props.service.webAcl?.webAclName,
    });

    new CfnOutput(this, OUTPUTS.dashboardUrl, {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.monitoring.dashboard.dashboardName}`,
    });
    new CfnOutput(this, OUTPUTS.alarmTopicArn, { value: this.monitoring.topic.topicArn });
  }
}
