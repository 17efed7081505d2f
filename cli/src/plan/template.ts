/**
 * The slice of a synthesized CloudFormation template `berth plan` reads, and the few helpers every
 * analysis shares: the plan is pure functions over these objects, so tests use small hand-written fixtures.
 */

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  /** Retain, RetainExceptOnUpdate, Snapshot or Delete (the default). */
  readonly DeletionPolicy?: string;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { readonly Type?: string; readonly Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Outputs?: Record<
    string,
    { readonly Value?: unknown; readonly Export?: { readonly Name?: unknown } }
  >;
}

/** One synthesized stack: what the CloudAssembly gives us, reduced to what the plan needs. */
export interface StackTemplate {
  readonly stackName: string;
  readonly region: string;
  readonly template: CfnTemplate;
}

/** A resource located in its stack, so reports can say where a cost or an exposure comes from. */
export interface LocatedResource {
  readonly stack: StackTemplate;
  readonly logicalId: string;
  readonly resource: CfnResource;
}

/** Returned when a value depends on something only CloudFormation knows (an import, an attribute). */
export const UNRESOLVED: unique symbol = Symbol('unresolved');
export type Resolved = string | number | boolean | null | undefined | unknown[] | Record<string, unknown>;

export function allResources(stacks: readonly StackTemplate[]): LocatedResource[] {
  return stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources ?? {}).map(([logicalId, resource]) => ({
      stack,
      logicalId,
      resource,
    })),
  );
}

export function resourcesOfType(stacks: readonly StackTemplate[], type: string): LocatedResource[] {
  return allResources(stacks).filter((r) => r.resource.Type === type);
}

export function prop(r: LocatedResource, name: string): unknown {
  return r.resource.Properties?.[name];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Resolves the intrinsics a plan can decide offline: Ref to a parameter with a default, Fn::If on a
 * condition built from Fn::Equals/Not/And/Or of resolvable values. Anything else is UNRESOLVED, so the
 * caller can say so instead of guessing.
 */
export function resolve(value: unknown, template: CfnTemplate): Resolved | typeof UNRESOLVED {
  if (!isObject(value)) return value as Resolved;
  const keys = Object.keys(value);
  if (keys.length !== 1) return value;
  const key = keys[0]!;
  const arg = value[key];
  if (key === 'Ref' && typeof arg === 'string') {
    const parameter = template.Parameters?.[arg];
    return parameter && parameter.Default !== undefined ? (parameter.Default as Resolved) : UNRESOLVED;
  }
  if (key === 'Fn::If' && Array.isArray(arg) && arg.length === 3 && typeof arg[0] === 'string') {
    const condition = evaluateCondition(template.Conditions?.[arg[0]], template);
    if (condition === UNRESOLVED) return UNRESOLVED;
    return resolve(condition ? arg[1] : arg[2], template);
  }
  if (key.startsWith('Fn::') || key === 'Condition') return UNRESOLVED;
  return value;
}

function evaluateCondition(condition: unknown, template: CfnTemplate): boolean | typeof UNRESOLVED {
  if (!isObject(condition)) return UNRESOLVED;
  const [key] = Object.keys(condition);
  const args = condition[key ?? ''];
  if (!Array.isArray(args)) return UNRESOLVED;
  const sub = args.map((a) =>
    isObject(a) && 'Condition' in a && typeof a.Condition === 'string'
      ? evaluateCondition(template.Conditions?.[a.Condition], template)
      : isObject(a) && Object.keys(a).some((k) => k.startsWith('Fn::') && k !== 'Fn::If')
        ? evaluateCondition(a, template)
        : resolve(a, template),
  );
  if (sub.includes(UNRESOLVED)) return UNRESOLVED;
  switch (key) {
    case 'Fn::Equals':
      return String(sub[0]) === String(sub[1]);
    case 'Fn::Not':
      return !sub[0];
    case 'Fn::And':
      return sub.every(Boolean);
    case 'Fn::Or':
      return sub.some(Boolean);
    default:
      return UNRESOLVED;
  }
}

/** A number from a property CloudFormation accepts as number or numeric string; UNRESOLVED otherwise. */
export function resolveNumber(value: unknown, template: CfnTemplate): number | undefined | typeof UNRESOLVED {
  const resolved = resolve(value, template);
  if (resolved === undefined || resolved === UNRESOLVED) return resolved;
  const n = typeof resolved === 'string' ? Number(resolved) : resolved;
  return typeof n === 'number' && Number.isFinite(n) ? n : UNRESOLVED;
}

export function resolveString(value: unknown, template: CfnTemplate): string | undefined | typeof UNRESOLVED {
  const resolved = resolve(value, template);
  if (resolved === undefined || resolved === UNRESOLVED) return resolved;
  return typeof resolved === 'string' || typeof resolved === 'number' ? String(resolved) : UNRESOLVED;
}

export function resolveBoolean(
  value: unknown,
  template: CfnTemplate,
): boolean | undefined | typeof UNRESOLVED {
  const resolved = resolve(value, template);
  if (resolved === undefined || resolved === UNRESOLVED) return resolved;
  if (resolved === true || resolved === 'true') return true;
  if (resolved === false || resolved === 'false') return false;
  return UNRESOLVED;
}

/** The logical id a `{Ref}` or `{Fn::GetAtt}` points at, for following links between resources. */
export function referencedId(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** Resolves a reference inside the same stack; cross-stack imports stay undefined. */
export function follow(from: LocatedResource, value: unknown): LocatedResource | undefined {
  const id = referencedId(value);
  const resource = id === undefined ? undefined : from.stack.template.Resources?.[id];
  return resource && id ? { stack: from.stack, logicalId: id, resource } : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asRecord(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

/** JSON with object keys sorted: two values are the same template content exactly when these are equal. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
