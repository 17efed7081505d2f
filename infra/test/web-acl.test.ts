import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { EnvironmentConfig, WafConfig } from '../config/environments.js';
import { validateEnvironment } from '../config/validate.js';
import { WebAcl, type WebAclProps } from '../lib/constructs/web-acl.js';
import { ENVIRONMENTS } from './fixtures/cart-config.js';
import { envStack, synthesize } from './fixtures/platform.js';

const ALB_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/berth-fixture/50dc6c495c0c9188';

function webAcl(props: Partial<WebAclProps> = {}): Template {
  const stack = envStack();
  new WebAcl(stack, 'Waf', {
    envName: 'prod',
    loadBalancerArn: ALB_ARN,
    mode: 'block',
    ratePerFiveMinutes: 1234,
    logRetentionDays: 30,
    ...props,
  });
  return Template.fromStack(stack);
}

type Rule = {
  Name: string;
  Priority: number;
  Action?: Record<string, unknown>;
  OverrideAction?: Record<string, unknown>;
  Statement: Record<string, unknown>;
};
const rulesOf = (t: Template): Rule[] =>
  Object.values(t.findResources('AWS::WAFv2::WebACL'))[0]!.Properties.Rules as Rule[];

describe('WebAcl, block mode', () => {
  const t = webAcl();

  test('a REGIONAL web ACL that allows by default, with CloudWatch metrics and no unredacted request samples', () => {
    t.resourceCountIs('AWS::WAFv2::WebACL', 1);
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Name: 'berth-prod',
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      VisibilityConfig: {
        CloudWatchMetricsEnabled: true,
        MetricName: 'berth-prod',
        SampledRequestsEnabled: false,
      },
    });
  });

  test('the three AWS managed rule groups keep their own block actions, then a per-IP rate limit blocks', () => {
    assert.deepEqual(
      rulesOf(t).map((r) => [r.Priority, r.Name, r.OverrideAction ?? r.Action]),
      [
        [0, 'AWSManagedRulesAmazonIpReputationList', { None: {} }],
        [1, 'AWSManagedRulesCommonRuleSet', { None: {} }],
        [2, 'AWSManagedRulesKnownBadInputsRuleSet', { None: {} }],
        [3, 'RateLimitPerIp', { Block: {} }],
      ],
    );
    const [ipReputation, , , rate] = rulesOf(t);
    assert.deepEqual(ipReputation!.Statement, {
      ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' },
    });
    assert.deepEqual(rate!.Statement, {
      RateBasedStatement: { Limit: 1234, AggregateKeyType: 'IP', EvaluationWindowSec: 300 },
    });
    for (const rule of rulesOf(t)) {
      assert.deepEqual((rule as unknown as { VisibilityConfig: unknown }).VisibilityConfig, {
        CloudWatchMetricsEnabled: true,
        MetricName: rule.Name,
        SampledRequestsEnabled: false,
      });
    }
  });

  test('is associated with the load balancer', () => {
    const aclId = Object.keys(t.findResources('AWS::WAFv2::WebACL'))[0]!;
    t.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: ALB_ARN,
      WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
    });
  });

  test('logs to a retained aws-waf-logs- group named after this web ACL, Authorization and Cookie redacted', () => {
    const aclId = Object.keys(t.findResources('AWS::WAFv2::WebACL'))[0]!;
    const [groupId, group] = Object.entries(t.findResources('AWS::Logs::LogGroup'))[0]!;
    // AWS WAF API Reference, "LoggingConfiguration": destination names must start with aws-waf-logs-.
    assert.deepEqual(group.Properties.LogGroupName, {
      'Fn::Join': ['', ['aws-waf-logs-berth-prod-', { 'Fn::GetAtt': [aclId, 'Id'] }]],
    });
    assert.equal(group.Properties.RetentionInDays, 30);
    assert.equal(group.DeletionPolicy, 'Retain');
    t.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
      // The bare log group ARN: WAF refuses the `:*` form.
      LogDestinationConfigs: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:', { Ref: groupId }],
          ],
        },
      ],
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }],
    });
  });
});

describe('WebAcl, count mode', () => {
  const t = webAcl({ mode: 'count', envName: 'test', ratePerFiveMinutes: 777 });

  test('every rule group and the rate rule only count: nothing is blocked', () => {
    assert.deepEqual(
      rulesOf(t).map((r) => [r.Name, r.OverrideAction ?? r.Action]),
      [
        ['AWSManagedRulesAmazonIpReputationList', { Count: {} }],
        ['AWSManagedRulesCommonRuleSet', { Count: {} }],
        ['AWSManagedRulesKnownBadInputsRuleSet', { Count: {} }],
        ['RateLimitPerIp', { Count: {} }],
      ],
    );
    assert.ok(!JSON.stringify(t.toJSON()).includes('"Block"'), 'no Block action anywhere');
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Name: 'berth-test',
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 777 }) } }),
      ]),
    });
  });

  test('refuses a rate limit outside what AWS WAF accepts (10 to 2,000,000,000)', () => {
    assert.throws(() => webAcl({ ratePerFiveMinutes: 9 }), /ratePerFiveMinutes \(9\).*from 10/);
    assert.throws(() => webAcl({ ratePerFiveMinutes: 2_000_000_001 }), /ratePerFiveMinutes/);
    assert.doesNotThrow(() => webAcl({ ratePerFiveMinutes: 10 }));
    assert.doesNotThrow(() => webAcl({ ratePerFiveMinutes: 2_000_000_000 }));
  });
});

describe('waf config', () => {
  const withWaf = (waf: Partial<WafConfig>): EnvironmentConfig => ({
    ...ENVIRONMENTS.prod,
    waf: { ...ENVIRONMENTS.prod.waf, ...waf },
  });

  test('is on (blocking) in prod and off in test', () => {
    assert.equal(ENVIRONMENTS.prod.waf.enabled, true);
    assert.equal(ENVIRONMENTS.prod.waf.mode, 'block');
    assert.equal(ENVIRONMENTS.test.waf.enabled, false);
  });

  test('rejects a bad value with one line naming the field', () => {
    const cases: [Partial<WafConfig>, RegExp][] = [
      [
        { ratePerFiveMinutes: 5 },
        /^ConfigError: config prod\.waf\.ratePerFiveMinutes = 5: expected an integer from 10 to 2000000000$/,
      ],
      [{ ratePerFiveMinutes: 100.5 }, /^ConfigError: config prod\.waf\.ratePerFiveMinutes = 100\.5: /],
      [
        { mode: 'deny' as never },
        /^ConfigError: config prod\.waf\.mode = "deny": expected 'count' \(try the rules\) or 'block'$/,
      ],
      [
        { logRetentionDays: 10 },
        /^ConfigError: config prod\.waf\.logRetentionDays = 10: expected a CloudWatch Logs retention/,
      ],
    ];
    for (const [waf, message] of cases) {
      assert.throws(() => validateEnvironment(withWaf(waf)), message);
    }
    assert.doesNotThrow(() =>
      validateEnvironment(withWaf({ ratePerFiveMinutes: 10, logRetentionDays: 365 })),
    );
  });
});

describe('WAF in the real app', () => {
  const app = synthesize();
  const prodService = 'Berth-Prod-eu-west-1-Service';
  const testService = 'Berth-Test-eu-west-1-Service';

  test('prod: the web ACL guards the prod load balancer and logs for 90 days (the environment retention)', () => {
    assert.ok(app.stackNames.includes(prodService), `stacks: ${app.stackNames.join(', ')}`);
    const t = app.template(prodService);
    const albId = Object.keys(t.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0]!;
    t.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: { Ref: albId } });
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Name: 'berth-prod',
      Rules: Match.arrayWith([Match.objectLike({ Name: 'RateLimitPerIp', Action: { Block: {} } })]),
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.objectLike({
        'Fn::Join': Match.arrayWith([Match.arrayWith(['aws-waf-logs-berth-prod-'])]),
      }),
      RetentionInDays: 90,
    });
  });

  test('test: no WAF resources at all', () => {
    const types = Object.values(app.json(testService).Resources as Record<string, { Type: string }>).map(
      (r) => r.Type,
    );
    assert.deepEqual(
      types.filter((type) => type.startsWith('AWS::WAFv2::')),
      [],
    );
  });

  test("prod's dashboard graphs the web ACL's blocked and counted requests; test's does not", () => {
    const body = (stack: string) =>
      JSON.stringify(
        Object.values(
          app.json(stack).Resources as Record<string, { Type: string; Properties: unknown }>,
        ).find((r) => r.Type === 'AWS::CloudWatch::Dashboard')!.Properties,
      );
    const prod = body('Berth-Prod-eu-west-1-Monitoring');
    assert.match(
      prod,
      /\\"AWS\/WAFV2\\",\\"BlockedRequests\\",\\"Region\\",\\"eu-west-1\\",\\"Rule\\",\\"ALL\\",\\"WebACL\\",\\"berth-prod\\"/,
    );
    assert.match(prod, /\\"CountedRequests\\"/);
    assert.doesNotMatch(body('Berth-Test-eu-west-1-Monitoring'), /WAFV2/);
  });

  test('cdk-nag finds nothing unacknowledged', () => {
    assert.equal(app.synthError, null, app.synthError?.message);
    assert.deepEqual(app.nagViolations, []);
  });
});
