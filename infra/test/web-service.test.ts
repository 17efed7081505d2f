import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { EnvName } from '../config/environments.js';
import { EPHEMERAL_PORTS } from '../lib/constructs/web-service.js';
import { logStreamName, PLACEHOLDER_IMAGE } from '../lib/naming.js';
import { ENVIRONMENTS } from './fixtures/cart-config.js';
import {
  addWebService,
  CERTIFICATE_ARN,
  createWebFixture,
  SECRET_ARN,
  synthesize,
  type WebServiceOverrides,
} from './support/web-fixture.js';
import { webService } from './support/web-services.js';

function build(envName: EnvName, overrides: WebServiceOverrides = {}) {
  const fixture = createWebFixture();
  return { fixture, web: addWebService(fixture, envName, overrides) };
}

function synthesized(envName: EnvName, overrides: WebServiceOverrides = {}) {
  const built = build(envName, overrides);
  return { ...built, template: synthesize(built.fixture) };
}

// Synthesized once each (cdk-nag and schema validation run here and throw on any finding).
// The rolling case sets every pair that could be swapped to distinct values (drain vs deregistration delay,
// minimum vs maximum percent), so a swap in the construct shows up as a wrong literal below.
const rolling = synthesized('test', {
  service: {
    deployment: {
      ...webService(ENVIRONMENTS.test).deployment,
      strategy: 'rolling',
      minHealthyPercent: 50,
      maxPercent: 150,
    },
    drainSeconds: 13,
    deregistrationDelaySeconds: 7,
  },
});
// The test environment exactly as configured: what a real deploy of test synthesizes.
const asConfigured = synthesized('test');
const blueGreen = synthesized('prod', { certificateArn: CERTIFICATE_ARN });
const canary = synthesized('test', {
  service: {
    deployment: { ...webService(ENVIRONMENTS.test).deployment, strategy: 'canary', bakeTimeMinutes: 3 },
  },
});

function onlyResource(template: Template, type: string, props: object = {}) {
  const found = Object.entries(template.findResources(type, props));
  assert.equal(found.length, 1, `expected exactly one ${type}, found ${found.length}`);
  const [logicalId, resource] = found[0]!;
  return { logicalId, properties: resource.Properties, resource };
}

function loadBalancerSecurityGroupId(template: Template): string {
  return onlyResource(template, 'AWS::EC2::SecurityGroup', {
    Properties: { GroupDescription: Match.stringLikeRegexp('ALB') },
  }).logicalId;
}

function instanceSecurityGroupId(template: Template): string {
  return onlyResource(template, 'AWS::EC2::SecurityGroup', {
    Properties: { GroupDescription: 'Container instances' },
  }).logicalId;
}

/** Every ingress rule on a group: inline ones and separate AWS::EC2::SecurityGroupIngress resources. */
function ingressRules(template: Template, groupId: string): Record<string, unknown>[] {
  const group = template.toJSON().Resources[groupId];
  const inline = (group.Properties.SecurityGroupIngress ?? []) as Record<string, unknown>[];
  const separate = Object.values(
    template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: { 'Fn::GetAtt': [groupId, 'GroupId'] } },
    }),
  ).map((r) => r.Properties as Record<string, unknown>);
  return [...inline, ...separate];
}

describe('WebService security groups', () => {
  test('GIVEN no certificate THEN the ALB admits only port 80, from anywhere', () => {
    const rules = ingressRules(rolling.template, loadBalancerSecurityGroupId(rolling.template));
    assert.deepEqual(
      rules.map((r) => [r.CidrIp, r.FromPort, r.ToPort]),
      [['0.0.0.0/0', 80, 80]],
    );
  });

  test('GIVEN a certificate THEN the ALB admits 80 and 443, from anywhere', () => {
    const rules = ingressRules(blueGreen.template, loadBalancerSecurityGroupId(blueGreen.template));
    assert.deepEqual(rules.map((r) => [r.CidrIp, r.FromPort, r.ToPort]).sort(), [
      ['0.0.0.0/0', 443, 443],
      ['0.0.0.0/0', 80, 80],
    ]);
  });

  for (const [name, { template }] of Object.entries({ rolling, blueGreen })) {
    test(`${name}: the instances admit only the ALB security group, only on ${EPHEMERAL_PORTS.from}-${EPHEMERAL_PORTS.to}`, () => {
      const albSg = loadBalancerSecurityGroupId(template);
      const rules = ingressRules(template, instanceSecurityGroupId(template));
      assert.ok(rules.length > 0, 'the ALB must be able to reach the tasks');
      for (const rule of rules) {
        assert.equal(rule.CidrIp, undefined, 'no CIDR rule may open the instances');
        assert.equal(rule.CidrIpv6, undefined, 'no CIDR rule may open the instances');
        assert.deepEqual(rule.SourceSecurityGroupId, { 'Fn::GetAtt': [albSg, 'GroupId'] });
        assert.equal(rule.IpProtocol, 'tcp');
        assert.equal(rule.FromPort, 32768);
        assert.equal(rule.ToPort, 65535);
      }
    });
  }
});

describe('WebService load balancer', () => {
  test('GIVEN no certificate THEN one HTTP listener on 80 forwards to the target group', () => {
    const { properties } = onlyResource(rolling.template, 'AWS::ElasticLoadBalancingV2::Listener');
    assert.equal(properties.Port, 80);
    assert.equal(properties.Protocol, 'HTTP');
    assert.equal(properties.DefaultActions[0].Type, 'forward');
  });

  test('GIVEN a certificate THEN 443 serves with a modern TLS policy and 80 redirects to it', () => {
    const https = onlyResource(blueGreen.template, 'AWS::ElasticLoadBalancingV2::Listener', {
      Properties: { Port: 443 },
    }).properties;
    assert.equal(https.Protocol, 'HTTPS');
    assert.deepEqual(https.Certificates, [{ CertificateArn: CERTIFICATE_ARN }]);
    assert.match(https.SslPolicy, /TLS13/);
    const http = onlyResource(blueGreen.template, 'AWS::ElasticLoadBalancingV2::Listener', {
      Properties: { Port: 80 },
    }).properties;
    assert.deepEqual(http.DefaultActions, [
      {
        Type: 'redirect',
        RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' },
      },
    ]);
  });

  test('turning HTTPS on keeps the one port-80 listener (same logical id) and turns its action into a redirect', () => {
    // A new logical id would create a second port-80 listener before deleting the first: DuplicateListener.
    const port80 = (template: Template) =>
      Object.entries(
        template.findResources('AWS::ElasticLoadBalancingV2::Listener', { Properties: { Port: 80 } }),
      );
    const [before, after] = [port80(asConfigured.template), port80(blueGreen.template)];
    assert.equal(before.length, 1);
    assert.equal(after.length, 1);
    assert.equal(after[0]![0], before[0]![0]);
    assert.equal(before[0]![1].Properties.DefaultActions[0].Type, 'forward');
    assert.equal(after[0]![1].Properties.DefaultActions[0].Type, 'redirect');
  });

  test('the ALB is internet-facing, drops invalid headers, times out idle connections before the service, logs access', () => {
    const attributes = (template: Template) => {
      const { properties } = onlyResource(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
      assert.equal(properties.Scheme, 'internet-facing');
      return Object.fromEntries(
        (properties.LoadBalancerAttributes as { Key: string; Value: string }[]).map((a) => [a.Key, a.Value]),
      );
    };
    const test = attributes(rolling.template);
    assert.equal(test['routing.http.drop_invalid_header_fields.enabled'], 'true');
    assert.equal(test['idle_timeout.timeout_seconds'], '60');
    assert.equal(test['access_logs.s3.enabled'], 'true');
    assert.notEqual(test['deletion_protection.enabled'], 'true', 'test stays deletable');
    assert.equal(attributes(blueGreen.template)['deletion_protection.enabled'], 'true');
  });

  test('the access-log bucket is encrypted, SSL-only, private and expires objects', () => {
    const { properties } = onlyResource(rolling.template, 'AWS::S3::Bucket');
    assert.equal(
      properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
        .SSEAlgorithm,
      'AES256',
    );
    assert.deepEqual(properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.equal(properties.LifecycleConfiguration.Rules[0].ExpirationInDays, 90);
    rolling.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('the target group health-checks /readyz every 5 s, in 2 passes, out after 3 misses, and expects a 200', () => {
    // Literals, not the config: the health-check design (docs/architecture.md) is what is asserted.
    const groups = Object.values(
      asConfigured.template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'),
    );
    assert.equal(groups.length, 2, 'blue and green');
    for (const { Properties: properties } of groups) {
      assert.equal(properties.Protocol, 'HTTP');
      assert.equal(properties.TargetType, 'instance');
      assert.equal(properties.HealthCheckPath, '/readyz');
      assert.equal(properties.HealthCheckIntervalSeconds, 5);
      assert.equal(properties.HealthCheckTimeoutSeconds, 3);
      assert.equal(properties.HealthyThresholdCount, 2);
      assert.equal(properties.UnhealthyThresholdCount, 3);
      assert.deepEqual(properties.Matcher, { HttpCode: '200' });
    }
  });

  test('the target group waits the deregistration delay (7 s), not the drain time (13 s)', () => {
    const { properties } = onlyResource(rolling.template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    const attributes = properties.TargetGroupAttributes as { Key: string; Value: string }[];
    assert.equal(attributes.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value, '7');
  });
});

describe('WebService task definition', () => {
  const { properties: task } = onlyResource(rolling.template, 'AWS::ECS::TaskDefinition');
  const container = task.ContainerDefinitions[0];

  test('bridge mode with a dynamic host port', () => {
    assert.equal(task.NetworkMode, 'bridge');
    assert.equal(task.ContainerDefinitions.length, 1);
    assert.equal(container.Name, 'web');
    assert.deepEqual(container.PortMappings, [{ ContainerPort: 80, HostPort: 0, Protocol: 'tcp' }]);
  });

  test("the container and awslogs stream prefix are both 'web', so the CLI's stream name web/web/<task> matches", () => {
    // The CLI reads a failed task's logs at logStreamName(service, taskId); awslogs names streams
    // <prefix>/<container>/<task id>.
    assert.equal(container.Name, 'web');
    assert.equal(container.LogConfiguration.Options['awslogs-stream-prefix'], 'web');
    assert.equal(logStreamName('web', '0f1e2d3c'), 'web/web/0f1e2d3c');
  });

  test('the image is pinned by digest in the repository', () => {
    assert.match(JSON.stringify(container.Image), /berth\/service@sha256:(ab12){16}/);
  });

  test('hardened: read-only root, writable /tmp, uid 1000, unprivileged port sysctl, bounded stop', () => {
    assert.equal(container.ReadonlyRootFilesystem, true);
    assert.equal(container.User, '1000');
    assert.deepEqual(container.MountPoints, [
      { ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'tmp' },
    ]);
    assert.deepEqual(task.Volumes, [{ Name: 'tmp' }]);
    assert.deepEqual(container.SystemControls, [
      { Namespace: 'net.ipv4.ip_unprivileged_port_start', Value: '0' },
    ]);
    assert.equal(container.StopTimeout, 30);
    assert.equal(container.Cpu, 256);
    assert.equal(container.Memory, 512);
    assert.equal(container.MemoryReservation, 512);
    assert.equal(container.HealthCheck.Command[1], 'node');
    assert.match(container.HealthCheck.Command[3], /\/healthz/);
  });

  test('database credentials come from the secret, field by field; TLS settings are plain env', () => {
    const secrets = Object.fromEntries(
      (container.Secrets as { Name: string; ValueFrom: string }[]).map((s) => [s.Name, s.ValueFrom]),
    );
    assert.deepEqual(secrets, {
      PGHOST: `${SECRET_ARN}:host::`,
      PGPORT: `${SECRET_ARN}:port::`,
      PGUSER: `${SECRET_ARN}:username::`,
      PGPASSWORD: `${SECRET_ARN}:password::`,
      PGDATABASE: `${SECRET_ARN}:dbname::`,
    });
    const env = Object.fromEntries(
      (container.Environment as { Name: string; Value: string }[]).map((e) => [e.Name, e.Value]),
    );
    assert.deepEqual(env, {
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/etc/ssl/certs/rds-global-bundle.pem',
      PORT: '80',
      SHUTDOWN_DRAIN_SECONDS: '13',
      LOG_LEVEL: 'info',
    });
  });

  test('logs go to a retained log group with the configured retention', () => {
    assert.equal(container.LogConfiguration.LogDriver, 'awslogs');
    const groupId = container.LogConfiguration.Options['awslogs-group'].Ref;
    const resource = rolling.template.toJSON().Resources[groupId];
    assert.equal(resource.Type, 'AWS::Logs::LogGroup');
    assert.equal(resource.Properties.RetentionInDays, ENVIRONMENTS.test.logRetentionDays);
    assert.equal(resource.DeletionPolicy, 'Retain');
  });

  test('the execution role reads only this secret; the task role gets no permissions', () => {
    const policies = Object.values(rolling.template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    const secretReads = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    assert.equal(secretReads.length, 1);
    assert.equal(secretReads[0].Resource, SECRET_ARN);
    const taskRoleRef = task.TaskRoleArn['Fn::GetAtt'][0];
    assert.ok(
      policies.every((p) => !JSON.stringify(p.Properties.Roles).includes(taskRoleRef)),
      'the task role must have no policy attached',
    );
  });
});

describe('WebService ECS service', () => {
  for (const [name, { template }] of Object.entries({ rolling, blueGreen, canary })) {
    test(`${name}: capacity provider placement, AZ spread then binpack, rollback on failure and on alarms`, () => {
      const { properties, resource } = onlyResource(template, 'AWS::ECS::Service');
      assert.equal(properties.DesiredCount, undefined, 'the autoscaler owns the count');
      assert.equal(properties.LaunchType, undefined, 'the capacity provider strategy places tasks');
      assert.equal(properties.CapacityProviderStrategy.length, 1);
      assert.deepEqual(properties.PlacementStrategies, [
        { Type: 'spread', Field: 'attribute:ecs.availability-zone' },
        { Type: 'binpack', Field: 'MEMORY' },
      ]);
      const deployment = properties.DeploymentConfiguration;
      assert.deepEqual(deployment.DeploymentCircuitBreaker, { Enable: true, Rollback: true });
      assert.equal(deployment.Alarms.Enable, true);
      assert.equal(deployment.Alarms.Rollback, true);
      // 5xx on the load balancer, plus unhealthy hosts for each target group (two under blue/green).
      assert.equal(deployment.Alarms.AlarmNames.length, name === 'rolling' ? 2 : 3);
      assert.equal(properties.EnableExecuteCommand, false);
      assert.equal(properties.PropagateTags, 'SERVICE');
      assert.equal(properties.HealthCheckGracePeriodSeconds, 60);
      // Teardown: the service must be deleted before the cluster's capacity-provider association, or ECS
      // answers "The specified capacity provider is in use" and the delete fails.
      const [association] = Object.keys(
        template.findResources('AWS::ECS::ClusterCapacityProviderAssociations'),
      );
      assert.ok(association, 'the fixture cluster has a capacity-provider association');
      assert.ok(
        (resource.DependsOn as string[]).includes(association),
        `the service depends on ${association}; DependsOn = ${JSON.stringify(resource.DependsOn)}`,
      );
    });
  }

  test('the deployment alarms watch target 5xx and unhealthy hosts over one-minute periods', () => {
    const alarms = Object.values(rolling.template.findResources('AWS::CloudWatch::Alarm'));
    assert.deepEqual(alarms.map((a) => a.Properties.MetricName).sort(), [
      'HTTPCode_Target_5XX_Count',
      'UnHealthyHostCount',
    ]);
    for (const alarm of alarms) assert.equal(alarm.Properties.Period, 60);
  });

  test('blue/green: the deployment alarms hold whichever target group is live after a swap', () => {
    const alarms = Object.values(blueGreen.template.findResources('AWS::CloudWatch::Alarm'));
    const groups = Object.keys(blueGreen.template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    assert.equal(groups.length, 2);
    // 5xx: the sum of both groups' target 5xx (a group with none that minute counts 0).
    const target5xx = alarms.filter((a) =>
      (a.Properties.Metrics ?? []).some(
        (m: { MetricStat?: { Metric: { MetricName: string } } }) =>
          m.MetricStat?.Metric.MetricName === 'HTTPCode_Target_5XX_Count',
      ),
    );
    assert.equal(target5xx.length, 1);
    const queries = target5xx[0]!.Properties.Metrics;
    assert.equal(
      queries.find((m: { Expression?: string }) => m.Expression)?.Expression,
      'FILL(g0, 0) + FILL(g1, 0)',
    );
    for (const group of groups) {
      assert.ok(JSON.stringify(queries).includes(group), `${group} is counted`);
    }
    const groupsWatched = alarms
      .filter((a) => a.Properties.MetricName === 'UnHealthyHostCount')
      .map((a) =>
        JSON.stringify(a.Properties.Dimensions.find((d: { Name: string }) => d.Name === 'TargetGroup')),
      );
    assert.equal(groupsWatched.length, 2);
    for (const group of groups)
      assert.ok(
        groupsWatched.some((w) => w.includes(group)),
        `${group} is watched`,
      );
  });

  test('blue/green: request scaling divides the requests of both groups by running tasks', () => {
    const policies = Object.values(
      blueGreen.template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'),
    );
    const custom = policies
      .map((p) => p.Properties.TargetTrackingScalingPolicyConfiguration)
      .find((c) => c.CustomizedMetricSpecification);
    assert.ok(custom, 'a customized request policy exists');
    assert.equal(custom.TargetValue, 500);
    const spec = custom.CustomizedMetricSpecification;
    assert.deepEqual(Object.keys(spec), ['Metrics'], 'a math query only, no single-metric fields beside it');
    const byId = Object.fromEntries(spec.Metrics.map((m: { Id: string }) => [m.Id, m]));
    for (const id of ['requests0', 'requests1']) {
      assert.equal(byId[id].MetricStat.Metric.MetricName, 'RequestCount');
      assert.deepEqual(
        byId[id].MetricStat.Metric.Dimensions.map((d: { Name: string }) => d.Name),
        ['LoadBalancer', 'TargetGroup'],
      );
    }
    assert.equal(byId.tasks.MetricStat.Metric.MetricName, 'RunningTaskCount');
    assert.equal(byId.perTask.Expression, '(FILL(requests0, 0) + FILL(requests1, 0)) / tasks');
    assert.equal(byId.perTask.ReturnData, true);
  });

  test('rolling: plain rolling update, minimum/maximum percent as given, one target group', () => {
    const { properties } = onlyResource(rolling.template, 'AWS::ECS::Service');
    assert.equal(properties.DeploymentConfiguration.MinimumHealthyPercent, 50);
    assert.equal(properties.DeploymentConfiguration.MaximumPercent, 150);
    assert.notEqual(properties.DeploymentConfiguration.Strategy, 'BLUE_GREEN');
    assert.equal(properties.LoadBalancers[0].AdvancedConfiguration, undefined);
    rolling.template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 1);
  });

  test('blue-green: ECS native strategy with bake time, alternate target group, production rule and role', () => {
    const { properties } = onlyResource(blueGreen.template, 'AWS::ECS::Service');
    assert.equal(properties.DeploymentController.Type, 'ECS');
    assert.equal(properties.DeploymentConfiguration.Strategy, 'BLUE_GREEN');
    assert.equal(properties.DeploymentConfiguration.BakeTimeInMinutes, 5);
    const lb = properties.LoadBalancers[0];
    assert.equal(lb.ContainerName, 'web');
    assert.equal(lb.ContainerPort, 80);
    const groups = Object.keys(blueGreen.template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    assert.equal(groups.length, 2);
    assert.deepEqual(
      [lb.TargetGroupArn.Ref, lb.AdvancedConfiguration.AlternateTargetGroupArn.Ref].sort(),
      groups.sort(),
    );
    const rule = onlyResource(blueGreen.template, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    assert.deepEqual(lb.AdvancedConfiguration.ProductionListenerRule, { Ref: rule.logicalId });
    assert.deepEqual(rule.properties.Conditions, [
      { Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } },
    ]);
    const weights = rule.properties.Actions[0].ForwardConfig.TargetGroups.map(
      (g: { Weight: number }) => g.Weight,
    );
    assert.deepEqual(weights, [100, 0]);

    const roleId = lb.AdvancedConfiguration.RoleArn['Fn::GetAtt'][0];
    const role = blueGreen.template.toJSON().Resources[roleId];
    assert.equal(
      role.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service,
      'ecs.amazonaws.com',
    );
  });

  test('blue-green: the traffic-shift role carries exactly the AWS managed policy ECS documents for it', () => {
    const { properties } = onlyResource(blueGreen.template, 'AWS::ECS::Service');
    const roleId = properties.LoadBalancers[0].AdvancedConfiguration.RoleArn['Fn::GetAtt'][0];
    const role = blueGreen.template.toJSON().Resources[roleId];
    assert.deepEqual(role.Properties.ManagedPolicyArns, [
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers',
          ],
        ],
      },
    ]);
    const inline = Object.values(blueGreen.template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    assert.deepEqual(inline, [], 'no hand-written copy of the policy beside it');
  });

  test('blue-green: the production rule carries the live weights it is given, not a pinned 100/0', () => {
    // GIVEN an odd number of deploys happened: ECS moved all traffic to the alternate group
    const live = synthesized('prod', {
      certificateArn: CERTIFICATE_ARN,
      productionWeights: { primary: 0, alternate: 100 },
    });
    const rule = onlyResource(live.template, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    const { properties } = onlyResource(live.template, 'AWS::ECS::Service');
    const lb = properties.LoadBalancers[0];
    const weightOf = Object.fromEntries(
      rule.properties.Actions[0].ForwardConfig.TargetGroups.map(
        (g: { TargetGroupArn: { Ref: string }; Weight: number }) => [g.TargetGroupArn.Ref, g.Weight],
      ),
    );
    // THEN the template sends traffic where it already goes: a deploy changing the rule does not move it
    assert.equal(weightOf[lb.TargetGroupArn.Ref], 0);
    assert.equal(weightOf[lb.AdvancedConfiguration.AlternateTargetGroupArn.Ref], 100);
  });

  test('blue-green: without live weights (a first deploy) the primary group takes all traffic', () => {
    const rule = onlyResource(blueGreen.template, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    const weights = rule.properties.Actions[0].ForwardConfig.TargetGroups.map(
      (g: { Weight: number }) => g.Weight,
    );
    assert.deepEqual(weights, [100, 0]);
  });

  test('weights that are not ALB weights are rejected', () => {
    assert.throws(
      () => build('prod', { productionWeights: { primary: 0, alternate: 0 } }),
      /productionWeights \(0\/0\) must be two ALB weights/,
    );
  });

  test('canary: ECS native canary with the configured percent and bake time', () => {
    const { properties } = onlyResource(canary.template, 'AWS::ECS::Service');
    assert.equal(properties.DeploymentConfiguration.Strategy, 'CANARY');
    assert.deepEqual(properties.DeploymentConfiguration.CanaryConfiguration, {
      CanaryPercent: webService(ENVIRONMENTS.test).deployment.canaryPercent,
      CanaryBakeTimeInMinutes: 3,
    });
    assert.ok(properties.LoadBalancers[0].AdvancedConfiguration.AlternateTargetGroupArn);
  });

  test('autoscaling: min/max tasks from config and three target-tracking policies', () => {
    const cfg = webService(ENVIRONMENTS.test);
    const { properties } = onlyResource(rolling.template, 'AWS::ApplicationAutoScaling::ScalableTarget');
    assert.equal(properties.MinCapacity, cfg.minTasks);
    assert.equal(properties.MaxCapacity, cfg.maxTasks);
    const policies = Object.values(
      rolling.template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'),
    );
    const byMetric = Object.fromEntries(
      policies.map((p) => {
        const c = p.Properties.TargetTrackingScalingPolicyConfiguration;
        return [c.PredefinedMetricSpecification.PredefinedMetricType, c];
      }),
    );
    assert.deepEqual(Object.keys(byMetric).sort(), [
      'ALBRequestCountPerTarget',
      'ECSServiceAverageCPUUtilization',
      'ECSServiceAverageMemoryUtilization',
    ]);
    assert.equal(byMetric.ECSServiceAverageCPUUtilization.TargetValue, cfg.scaling.cpuPercent);
    assert.equal(byMetric.ECSServiceAverageMemoryUtilization.TargetValue, cfg.scaling.memoryPercent);
    assert.equal(byMetric.ALBRequestCountPerTarget.TargetValue, cfg.scaling.requestsPerTarget);
    for (const c of Object.values(byMetric))
      assert.equal((c as { ScaleInCooldown: number }).ScaleInCooldown, 300);
  });

  test('url follows the listener: http without a certificate, https with one', () => {
    assert.match(rolling.web.url, /^http:\/\//);
    assert.match(blueGreen.web.url, /^https:\/\//);
  });
});

describe('WebService input validation', () => {
  const rejects = (envName: EnvName, overrides: WebServiceOverrides, message: RegExp) =>
    assert.throws(() => build(envName, overrides), message);

  test('an image that is neither a digest nor a tag is rejected with the expected format', () => {
    rejects('test', { image: 'sha256:nothex' }, /neither a digest .*64 lowercase hex/);
    rejects('test', { image: 'berth/service:1.0' }, /neither a digest/);
  });

  test('a tag and the placeholder are accepted', () => {
    assert.doesNotThrow(() => build('test', { image: 'v1.2.3' }));
    assert.doesNotThrow(() => build('test', { image: PLACEHOLDER_IMAGE }));
  });

  test('a stop timeout above 30 s is rejected', () => {
    rejects(
      'test',
      { service: { stopTimeoutSeconds: 31 } },
      /stopTimeoutSeconds \(31\) must be from 2 to 30/,
    );
  });

  test('fewer than two tasks in prod is rejected', () => {
    rejects('prod', { service: { minTasks: 1 } }, /minTasks \(1\) must be >= 2 in prod/);
  });

  test('minTasks above maxTasks is rejected', () => {
    rejects(
      'test',
      { service: { minTasks: 5, maxTasks: 4 } },
      /minTasks \(5\) must be <= service.maxTasks \(4\)/,
    );
  });

  test('a log retention CloudWatch does not offer is rejected', () => {
    rejects('test', { logRetentionDays: 10 }, /logRetentionDays \(10\)/);
  });
});
