/**
 * CloudFormation's rule for exports (AWS, "Fn::ImportValue"): "you can't modify or remove an output value that is
 * referenced by another stack". Given the templates that run (before) and the ones about to be deployed (after),
 * lists the exports a producer update would remove or change while a deployed stack still imports them.
 */
import type { SynthesizedApp } from '../fixtures/platform.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON
type Json = any;

function importsOf(template: Json): Set<string> {
  const found = new Set<string>();
  const walk = (node: Json): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'Fn::ImportValue' && typeof value === 'string') found.add(value);
        else walk(value);
      }
    }
  };
  walk(template);
  return found;
}

function exportsOf(template: Json): Map<string, string> {
  const map = new Map<string, string>();
  for (const output of Object.values(template.Outputs ?? {}) as Json[]) {
    if (output.Export?.Name) map.set(output.Export.Name, JSON.stringify(output.Value));
  }
  return map;
}

export function exportsBrokenInUse(before: SynthesizedApp, after: SynthesizedApp): string[] {
  const imported = new Set(before.stackNames.flatMap((s) => [...importsOf(before.json(s))]));
  const beforeExports = new Map(before.stackNames.flatMap((s) => [...exportsOf(before.json(s))]));
  const afterExports = new Map(after.stackNames.flatMap((s) => [...exportsOf(after.json(s))]));
  const broken: string[] = [];
  for (const name of imported) {
    // Only producers that are part of this change; other environments' stacks are not redeployed by it.
    if (!after.stackNames.some((stack) => name.startsWith(`${stack}:`))) continue;
    if (!afterExports.has(name)) broken.push(`${name} removed`);
    else if (afterExports.get(name) !== beforeExports.get(name)) broken.push(`${name} changed`);
  }
  return broken.sort();
}

export { importsOf };
