/**
 * A real name for the service: the certificate the HTTPS listener serves and the Route 53 alias records that
 * point the name at the load balancer, in a hosted zone the user already owns.
 */
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

export interface DomainProps {
  /** The fully qualified name the service answers on, e.g. `shop.example.org`. */
  readonly name: string;
  /** The existing public zone holding `name`; imported by id and name, so synth needs no AWS lookup. */
  readonly hostedZone: { readonly id: string; readonly name: string };
  /**
   * An existing ACM certificate for `name`, in the stack's region.
   * @default - a public ACM certificate for `name`, validated by a DNS record the stack writes in `hostedZone`
   */
  readonly certificateArn?: string;
}

export class Domain extends Construct {
  readonly hostedZone: route53.IHostedZone;
  /** What the HTTPS listener serves. */
  readonly certificate: acm.ICertificate;
  /** `https://<name>`: what users, `berth deploy`'s smoke test and the deliver workflow call. */
  readonly url: string;
  private readonly name: string;

  constructor(scope: Construct, id: string, props: DomainProps) {
    super(scope, id);
    this.name = props.name;
    this.hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'HostedZone', {
      hostedZoneId: props.hostedZone.id,
      zoneName: props.hostedZone.name,
    });
    this.certificate =
      props.certificateArn !== undefined
        ? acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn)
        : // CloudFormation writes the validation CNAME in the zone and waits until ACM issues the certificate
          // ("AWS::CertificateManager::Certificate", DomainValidationOptions.HostedZoneId).
          new acm.Certificate(this, 'Certificate', {
            domainName: props.name,
            validation: acm.CertificateValidation.fromDns(this.hostedZone),
          });
    this.url = `https://${props.name}`;
  }

  /**
   * Points the name at the load balancer: an alias A record, and an alias AAAA record when the load balancer
   * has IPv6 addresses (an AAAA alias to an IPv4-only load balancer would answer with nothing).
   */
  routeTo(loadBalancer: elbv2.ApplicationLoadBalancer): void {
    const target = route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(loadBalancer));
    const common = { zone: this.hostedZone, recordName: this.name, target };
    new route53.ARecord(this, 'AliasIpv4', common);
    const ipv6 =
      loadBalancer.ipAddressType === elbv2.IpAddressType.DUAL_STACK ||
      loadBalancer.ipAddressType === elbv2.IpAddressType.DUAL_STACK_WITHOUT_PUBLIC_IPV4;
    if (ipv6) new route53.AaaaRecord(this, 'AliasIpv6', common);
  }
}
