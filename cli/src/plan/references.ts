/** Which resources a template value points at: the edges CloudFormation orders its work by. */

/** Logical ids a value points at with Ref or Fn::GetAtt, anywhere inside it. */
export function referencedIds(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const v of value) referencedIds(v, into);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === 'Ref' && typeof v === 'string') into.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v) && typeof v[0] === 'string') into.add(v[0]);
      else if (k === 'Fn::GetAtt' && typeof v === 'string') into.add(v.split('.')[0]!);
      else referencedIds(v, into);
    }
  }
  return into;
}
