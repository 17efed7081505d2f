/**
 * The environment's load balancer keeps the logical ids it had before an app could have several services,
 * when the ALB, its security group, listeners and access-log bucket were children of the one web service's
 * construct `Web`. To CloudFormation a new logical id is a new resource: a new ALB has a new DNS name (the
 * environment's URL changes under its users and DNS records), the new port-80 listener is refused while the
 * old one holds the port, and a security-group rule equal to the old one fails as a duplicate. Keeping the ids
 * lets an environment deployed before several services update in place.
 *
 * The escape hatch is `CfnElement.overrideLogicalId` (AWS CDK v2 Developer Guide, "Identifiers and the AWS
 * CDK", Logical IDs: changing a resource's logical id replaces it; API reference of `CfnElement`). The old ids
 * are computed with CDK's own naming (`Names.uniqueId`) from the paths the resources had, not copied.
 */
import { CfnElement, Names, Stack } from 'aws-cdk-lib';
import { Construct, type IConstruct, RootConstruct } from 'constructs';
import type { LoadBalancer } from '../constructs/load-balancer.js';

/** The stack-relative path each child of the `LoadBalancer` construct had, by its id there. */
const ONE_SERVICE_PATHS: Readonly<Record<string, readonly string[]>> = {
  LoadBalancer: ['Web', 'LoadBalancer'],
  SecurityGroup: ['Web', 'LoadBalancerSecurityGroup'],
  AccessLogs: ['Web', 'AccessLogs'],
};

/**
 * Gives every CloudFormation resource of `loadBalancer`, and every security-group rule that names its group
 * (the instances' ingress from it), the logical id it had under `Web`. Call once every rule exists.
 */
export function keepOneServiceLogicalIds(loadBalancer: LoadBalancer): void {
  const stack = Stack.of(loadBalancer);
  const stackScopes = ids(stack.node.scopes.slice(1));
  const groupIdNow = Names.nodeUniqueId(loadBalancer.securityGroup.node);
  const groupIdBefore = uniqueIdAt([...stackScopes, ...ONE_SERVICE_PATHS.SecurityGroup!]);
  const lbDepth = loadBalancer.node.scopes.length;

  for (const element of stack.node.findAll()) {
    if (!CfnElement.isCfnElement(element) || Stack.of(element) !== stack) continue;
    const pathNow = ids(element.node.scopes.slice(stack.node.scopes.length));
    let path = pathNow;
    if (element.node.scopes[lbDepth - 1] === loadBalancer) {
      const [child, ...rest] = ids(element.node.scopes.slice(lbDepth));
      const before = child === undefined ? undefined : ONE_SERVICE_PATHS[child];
      if (!before) throw new Error(`keepOneServiceLogicalIds: no former path for ${element.node.path}`);
      path = [...before, ...rest];
    }
    // A rule's construct id names its peer group: `from <unique id of the group>:<ports>`.
    path = path.map((id) => id.replaceAll(groupIdNow, groupIdBefore));
    if (path.join('/') !== pathNow.join('/')) element.overrideLogicalId(uniqueIdAt(path));
  }
}

function ids(scopes: readonly IConstruct[]): string[] {
  return scopes.map((s) => s.node.id);
}

/** The id CDK derives from a construct path (the logical id, for a path below the stack). */
function uniqueIdAt(path: readonly string[]): string {
  let scope: Construct = new RootConstruct();
  for (const id of path) scope = new Construct(scope, id);
  return Names.uniqueId(scope);
}
