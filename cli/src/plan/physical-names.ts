/**
 * Fixed physical names: which property names a resource, and where in AWS that name must be unique.
 * CloudFormation creates a replacement before it deletes the old resource, so a fixed name turns every
 * replacement, every move to a new logical id and every second claim into an "already exists" failure
 * ("Name type" in the CloudFormation User Guide: "If you specify a name, you cannot perform updates that
 * require replacement of this resource").
 */
import type { CfnTemplate, StackTemplate } from './template.js';

/** `account`: one name per account (IAM, dashboards); `region`: per account and region; `global`: all of AWS. */
export type NameScope = 'global' | 'account' | 'region';

interface NameRule {
  readonly property: string;
  readonly scope: NameScope;
}

/**
 * Scopes from each service's ARN format in the Service Authorization Reference: IAM ARNs and CloudWatch
 * dashboard ARNs (`arn:aws:cloudwatch::<account>:dashboard/<name>`) carry no region; S3 bucket names are
 * shared by all accounts ("Bucket naming rules", Amazon S3 User Guide); the rest are regional.
 */
export const NAME_RULES: Readonly<Record<string, NameRule>> = {
  'AWS::IAM::Role': { property: 'RoleName', scope: 'account' },
  'AWS::IAM::ManagedPolicy': { property: 'ManagedPolicyName', scope: 'account' },
  'AWS::IAM::User': { property: 'UserName', scope: 'account' },
  'AWS::IAM::Group': { property: 'GroupName', scope: 'account' },
  'AWS::IAM::InstanceProfile': { property: 'InstanceProfileName', scope: 'account' },
  'AWS::CloudWatch::Dashboard': { property: 'DashboardName', scope: 'account' },
  'AWS::S3::Bucket': { property: 'BucketName', scope: 'global' },
  'AWS::Logs::LogGroup': { property: 'LogGroupName', scope: 'region' },
  'AWS::SSM::Parameter': { property: 'Name', scope: 'region' },
  'AWS::ECR::Repository': { property: 'RepositoryName', scope: 'region' },
  'AWS::SecretsManager::Secret': { property: 'Name', scope: 'region' },
  'AWS::RDS::DBInstance': { property: 'DBInstanceIdentifier', scope: 'region' },
  'AWS::RDS::DBCluster': { property: 'DBClusterIdentifier', scope: 'region' },
  'AWS::RDS::DBSubnetGroup': { property: 'DBSubnetGroupName', scope: 'region' },
  'AWS::RDS::DBParameterGroup': { property: 'DBParameterGroupName', scope: 'region' },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': { property: 'Name', scope: 'region' },
  'AWS::ElasticLoadBalancingV2::TargetGroup': { property: 'Name', scope: 'region' },
  'AWS::ECS::Cluster': { property: 'ClusterName', scope: 'region' },
  'AWS::ECS::CapacityProvider': { property: 'Name', scope: 'region' },
  'AWS::AutoScaling::AutoScalingGroup': { property: 'AutoScalingGroupName', scope: 'region' },
  'AWS::EC2::LaunchTemplate': { property: 'LaunchTemplateName', scope: 'region' },
  'AWS::SNS::Topic': { property: 'TopicName', scope: 'region' },
  'AWS::SQS::Queue': { property: 'QueueName', scope: 'region' },
  'AWS::CloudWatch::Alarm': { property: 'AlarmName', scope: 'region' },
  'AWS::Lambda::Function': { property: 'FunctionName', scope: 'region' },
  'AWS::KMS::Alias': { property: 'AliasName', scope: 'region' },
  'AWS::DynamoDB::Table': { property: 'TableName', scope: 'region' },
  'AWS::Events::Rule': { property: 'Name', scope: 'region' },
  // CreateWebACL fails with WAFDuplicateItemException on a name its scope already has (AWS WAFV2 API
  // Reference); a CLOUDFRONT-scoped ACL lives in us-east-1, so per region holds for both scopes.
  'AWS::WAFv2::WebACL': { property: 'Name', scope: 'region' },
};

export interface PhysicalName {
  readonly type: string;
  readonly name: string;
  readonly scope: NameScope;
  /** What two claims must share to collide: the name plus the region when the scope is regional. */
  readonly key: string;
}

/** The fixed name a resource claims, or undefined when CloudFormation generates it (or we cannot tell). */
export function physicalName(
  stack: StackTemplate,
  type: string,
  properties: Record<string, unknown> | undefined,
): PhysicalName | undefined {
  const rule = NAME_RULES[type];
  if (!rule) return undefined;
  const name = resolveText(properties?.[rule.property], stack);
  if (name === undefined) return undefined;
  const where = rule.scope === 'region' ? stack.region : rule.scope;
  return { type, name, scope: rule.scope, key: `${type}|${where}|${name}` };
}

const PSEUDO = (stack: StackTemplate): Record<string, string> => ({
  'AWS::Region': stack.region,
  'AWS::StackName': stack.stackName,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
});

/**
 * A string CloudFormation would compute from literals, pseudo parameters, parameter defaults,
 * Fn::Join and Fn::Sub. Anything that depends on a resource attribute is undefined: a name we cannot
 * compute offline is not one we can claim collides.
 */
export function resolveText(value: unknown, stack: StackTemplate): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const [key, arg] = Object.entries(value as Record<string, unknown>)[0] ?? [];
  if (key === 'Ref' && typeof arg === 'string') return refText(arg, stack);
  if (key === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1])) {
    const parts = arg[1].map((p) => resolveText(p, stack));
    return parts.includes(undefined) ? undefined : parts.join(arg[0]);
  }
  if (key === 'Fn::Sub') {
    const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
    if (typeof text !== 'string') return undefined;
    let unresolved = false;
    const out = text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      const v =
        vars && typeof vars === 'object' && name in vars
          ? resolveText((vars as Record<string, unknown>)[name], stack)
          : refText(name, stack);
      if (v === undefined) unresolved = true;
      return v ?? '';
    });
    return unresolved ? undefined : out;
  }
  return undefined;
}

function refText(name: string, stack: StackTemplate): string | undefined {
  const pseudo = PSEUDO(stack)[name];
  if (pseudo !== undefined) return pseudo;
  const parameter = (stack.template as CfnTemplate).Parameters?.[name];
  return typeof parameter?.Default === 'string' ? parameter.Default : undefined;
}
