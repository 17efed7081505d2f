import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/environments.js';
import type { Database } from '../constructs/database.js';
import { Monitoring } from '../constructs/monitoring.js';
import { OUTPUTS } from '../naming.js';
import type { ServiceStack } from './service-stack.js';

export interface MonitoringStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly service: ServiceStack;
  readonly database: Database;
}

/** Dashboard, alarms and the alarm topic; last in deploy order, first to go in a teardown. */
export class MonitoringStack extends Stack {
  public readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { cluster, web } = props.service;
    this.monitoring = new Monitoring(this, 'Monitoring', {
      envName: props.config.name,
      loadBalancer: web.loadBalancer,
      targetGroup: web.targetGroup,
      alternateTargetGroup: web.alternateTargetGroup,
      cluster: cluster.cluster,
      service: web.service,
      autoScalingGroupName: cluster.autoScalingGroup.autoScalingGroupName,
      capacityProviderName: cluster.capacityProvider.capacityProviderName,
      database: props.database.instance,
      alarmEmail: props.config.alarmEmail,
    });

    new CfnOutput(this, OUTPUTS.dashboardUrl, {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.monitoring.dashboard.dashboardName}`,
    });
    new CfnOutput(this, OUTPUTS.alarmTopicArn, { value: this.monitoring.topic.topicArn });
  }
}
