/**
 * An AWS WAF web ACL in front of the load balancer: three AWS managed rule groups, a per-IP rate limit, and
 * a request log with secrets redacted. In `count` mode nothing is blocked: every rule only counts, so the
 * rules can be tried on real traffic (metrics and log) before they are switched to `block`.
 */
import { ArnFormat, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { EnvName, WafMode } from '../../config/environments.js';

export interface WebAclProps {
  readonly envName: EnvName;
  /**
   * The web ACL's name, unique per account and region; its log group is `aws-waf-logs-<name>-<id>`.
   * @default - `berth-<envName>`
   */
  readonly name?: string;
  /** The Application Load Balancer the web ACL protects. */
  readonly loadBalancerArn: string;
  readonly mode: WafMode;
  /** Requests one IP may send in any 5-minute window before the rate rule acts. */
  readonly ratePerFiveMinutes: number;
  /** Retention of the request log, in days (a CloudWatch Logs retention value). */
  readonly logRetentionDays: number;
}

/**
 * AWS managed rule groups, in evaluation order (AWS WAF Developer Guide, "Baseline rule groups" and
 * "IP reputation rule groups"): known-bad sources first, then request shape and known exploit payloads.
 */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;

/** Headers that carry credentials or sessions: never written to the WAF log. */
const REDACTED_HEADERS = ['authorization', 'cookie'] as const;

export class WebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  /** The web ACL's name: the `WebACL` dimension of its `AWS/WAFV2` metrics. */
  readonly webAclName: string;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    validateWebAclProps(props);
    const count = props.mode === 'count';
    this.webAclName = props.name ?? `berth-${props.envName}`;
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      // Off: sampled requests keep every header, and the logging redaction does not apply to them (AWS WAF
      // API Reference, "VisibilityConfig"); the log below has the same requests with credentials redacted.
      sampledRequestsEnabled: false,
    });

    const managed = MANAGED_RULE_GROUPS.map(
      (name, priority): wafv2.CfnWebACL.RuleProperty => ({
        name,
        priority,
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
        // A rule group has no action of its own: `none` keeps each rule's (block), `count` overrides them all.
        overrideAction: count ? { count: {} } : { none: {} },
        visibilityConfig: visibility(name),
      }),
    );
    const rateLimit: wafv2.CfnWebACL.RuleProperty = {
      name: 'RateLimitPerIp',
      priority: MANAGED_RULE_GROUPS.length,
      statement: {
        rateBasedStatement: {
          limit: props.ratePerFiveMinutes,
          aggregateKeyType: 'IP',
          evaluationWindowSec: 300,
        },
      },
      action: count ? { count: {} } : { block: {} },
      visibilityConfig: visibility('RateLimitPerIp'),
    };

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: this.webAclName,
      description: `Berth ${props.envName}: AWS managed rules and a per-IP rate limit, ${props.mode} mode`,
      // REGIONAL: an ALB's web ACL lives in the ALB's region (CLOUDFRONT is for distributions only).
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rules: [...managed, rateLimit],
      visibilityConfig: visibility(this.webAclName),
    });

    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });

    // AWS WAF API Reference, "LoggingConfiguration": the name of a log destination must start with
    // `aws-waf-logs-`. The web ACL's id (new on every create) ends the name, so turning WAF off (the group is
    // retained with its logs until they expire) and on again never collides with the group left behind.
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: Fn.join('', [`aws-waf-logs-${this.webAclName}-`, this.webAcl.attrId]),
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // The log group ARN without the `:*` suffix `logGroupArn` carries, which WAF refuses.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: REDACTED_HEADERS.map((name) => ({ singleHeader: { Name: name } })),
    });
  }
}

function validateWebAclProps(props: WebAclProps): void {
  // AWS WAF Developer Guide, "Rate-based rule high-level settings": the lowest rate limit is 10; API Reference,
  // RateBasedStatement `Limit`: at most 2,000,000,000.
  const rate = props.ratePerFiveMinutes;
  if (!Number.isInteger(rate) || rate < 10 || rate > 2_000_000_000) {
    throw new Error(`WebAcl ratePerFiveMinutes (${rate}) must be an integer from 10 to 2,000,000,000`);
  }
}
