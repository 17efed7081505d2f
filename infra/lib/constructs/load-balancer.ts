/**
 * The environment's one internet-facing Application Load Balancer, shared by every web service: its security
 * group (80/443 from anywhere, out only to the container instances' dynamic ports), access logs, and the
 * listeners. Each web service adds its own target groups and listener rule (web-service.ts).
 */
import { Duration, RemovalPolicy, Tags, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Docker's ephemeral range: where bridge mode maps `hostPort: 0`, and the only range the ALB may reach. */
export const EPHEMERAL_PORTS = { from: 32768, to: 65535 } as const;

export interface LoadBalancerProps {
  /** Names the security group's purpose, e.g. `test`. */
  readonly envName: string;
  readonly vpc: ec2.IVpc;
  /** The container instances' group: the load balancer may reach their dynamic host ports, nothing else. */
  readonly instanceSecurityGroup: ec2.ISecurityGroup;
  /**
   * ACM certificate in this region (an ARN or a token): serves 443 and redirects 80 to it.
   * @default - plain HTTP on 80
   */
  readonly certificateArn?: string;
  /** Key prefix of the access logs in their bucket. */
  readonly accessLogPrefix: string;
  /**
   * Days the access logs are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * Refuse deletion (the load balancer's own flag).
   * @default false
   */
  readonly deletionProtection?: boolean;
}

export class LoadBalancer extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly securityGroup: ec2.SecurityGroup;
  readonly accessLogBucket: s3.Bucket;
  /** The listener that serves production traffic (443 with a certificate, else 80): rules go here. */
  readonly listener: elbv2.ApplicationListener;
  /** `http(s)://<load balancer DNS name>`. */
  readonly url: string;
  private defaultActionSet = false;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const https = props.certificateArn !== undefined;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Berth ${props.envName} ALB: HTTP(S) from the internet, ephemeral ports to the instances`,
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from anywhere');
    if (https) {
      this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from anywhere');
    }
    Validations.of(this.securityGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC23',
      reason: 'An internet-facing load balancer must accept 80/443 from anywhere; nothing else is open.',
    });
    const ephemeral = ec2.Port.tcpRange(EPHEMERAL_PORTS.from, EPHEMERAL_PORTS.to);
    props.instanceSecurityGroup.addIngressRule(
      this.securityGroup,
      ephemeral,
      'Dynamic host ports of bridge-mode tasks, from the ALB only',
    );
    this.securityGroup.addEgressRule(
      props.instanceSecurityGroup,
      ephemeral,
      'To bridge-mode tasks on the instances',
    );

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // ALB log delivery supports SSE-S3 only, not KMS.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogRetentionDays ?? 90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'This bucket only receives ALB access logs; logging access to the log bucket would recurse.',
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: this.securityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection ?? false,
      // Below the service's 65 s keep-alive so the ALB, not Node, closes idle connections (no 502 races).
      idleTimeout: Duration.seconds(60),
    });
    this.loadBalancer.logAccessLogs(this.accessLogBucket, props.accessLogPrefix);

    // Until a catch-all web service takes it over, a request no rule matches gets a 404 from the load balancer.
    const notFound = elbv2.ListenerAction.fixedResponse(404, {
      contentType: 'application/json',
      messageBody: '{"error":"not_found","message":"No service is routed here."}',
    });
    // One port-80 listener with a stable logical id whatever the certificate: turning HTTPS on changes its
    // default action (forward → redirect) in place. A second port-80 listener would be created before the
    // first is deleted, and the load balancer refuses a duplicate port (DuplicateListener).
    const http = this.loadBalancer.addListener('HttpListener', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      defaultAction: https
        ? elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true })
        : notFound,
      open: false,
    });
    this.listener = https
      ? this.loadBalancer.addListener('HttpsListener', {
          port: 443,
          protocol: elbv2.ApplicationProtocol.HTTPS,
          certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn!)],
          // ELBSecurityPolicy-TLS13-1-2-2021-06: TLS 1.3 and 1.2 only. AWS "Security policies for your Application
          // Load Balancer" (docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html):
          // without one, CloudFormation defaults to ELBSecurityPolicy-2016-08, which still accepts TLS 1.0.
          sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          defaultAction: notFound,
          open: false,
        })
      : http;
    this.url = `${https ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;
    Tags.of(this).add('berth:env', props.envName);
  }

  /**
   * Requests no listener rule matches go to `targetGroup` (the catch-all web service's primary group) instead of
   * the 404. At most one service may take the default.
   */
  forwardByDefault(targetGroup: elbv2.ApplicationTargetGroup): void {
    if (this.defaultActionSet) throw new Error('LoadBalancer: only one web service can be the catch-all');
    this.defaultActionSet = true;
    // The L2 sets a default action once (a second call replaces it with a warning): the listener's
    // CloudFormation resource takes the forward, and the group learns its listener (an ECS service attached to
    // it then waits for the listener, as with a forward given at construction).
    const listener = this.listener.node.defaultChild as elbv2.CfnListener;
    listener.defaultActions = [{ type: 'forward', targetGroupArn: targetGroup.targetGroupArn }];
    targetGroup.registerListener(this.listener);
  }
}
