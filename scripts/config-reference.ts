/**
 * docs/config-reference.md from the doc comments of the config types (infra/config/schema.ts), read with
 * the TypeScript compiler API: the types are the reference, so the page cannot drift from them. A test
 * fails when the committed page is stale (`npm run docs:config` rewrites it).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = path.join(ROOT, 'infra/config/schema.ts');
export const REFERENCE_FILE = path.join(ROOT, 'docs/config-reference.md');

const text = (parts: readonly ts.SymbolDisplayPart[] | undefined) =>
  ts.displayPartsToString(parts ? [...parts] : []).trim();
/** Markdown table cells are one line; a pipe would end the cell. */
const cell = (s: string) => s.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
const anchor = (name: string) => name.toLowerCase();

/** The interfaces to document: the config's own, and those of environments.ts it refers to. */
function isDocumented(declaration: ts.Declaration): declaration is ts.InterfaceDeclaration {
  const file = declaration.getSourceFile().fileName;
  return ts.isInterfaceDeclaration(declaration) && file.startsWith(path.join(ROOT, 'infra/config/'));
}

export function configReference(): string {
  const program = ts.createProgram([SCHEMA_FILE], {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    // The schema needs only the standard library: skipping @types/* keeps this quick.
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SCHEMA_FILE);
  if (!source) throw new Error(`cannot read ${SCHEMA_FILE}`);
  const root = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'BerthConfig',
  );
  if (!root) throw new Error('infra/config/schema.ts has no BerthConfig interface');

  /**
   * The documented interfaces a property's type names: directly, in a Record, or in a union (with undefined, or
   * of several interfaces such as `WebServiceDefinition | WorkerServiceDefinition`).
   */
  const interfacesOf = (type: ts.Type): ts.InterfaceDeclaration[] => {
    const found: ts.InterfaceDeclaration[] = [];
    /** `inRecord`: already inside a Record's values (a string's own index signature is not one). */
    const visit = (t: ts.Type, inRecord = false): void => {
      if (t.isUnion()) {
        for (const member of t.types) visit(member, inRecord);
        return;
      }
      const index = inRecord ? undefined : checker.getIndexInfosOfType(t)[0];
      if (index) {
        visit(index.type, true);
        return;
      }
      const declaration = t.getSymbol()?.declarations?.[0];
      if (declaration && isDocumented(declaration)) {
        found.push(declaration);
        return;
      }
      // Record<EnvName, X>: a mapped type whose properties all have the type X.
      const first = checker.getPropertiesOfType(t)[0];
      if (t.getSymbol()?.getName() === '__type' && first) {
        const inner = checker.getTypeOfSymbol(first).getSymbol()?.declarations?.[0];
        if (inner && isDocumented(inner)) found.push(inner);
      }
    };
    visit(type);
    return found;
  };

  /** Literal unions spelled out (`'rolling' | 'canary'`, not `DeployStrategy`): the page is read without the source. */
  const typeName = (type: ts.Type): string => {
    const literal = (t: ts.Type) =>
      t.isStringLiteral() ? `'${t.value}'` : t.isNumberLiteral() ? String(t.value) : undefined;
    if (type.isUnion()) {
      const literals = type.types.map(literal);
      if (literals.every((l) => l !== undefined)) return literals.join(' | ');
    }
    const array = checker.isArrayType(type)
      ? checker.getTypeArguments(type as ts.TypeReference)[0]
      : undefined;
    if (array) return `${typeName(array)}[]`.replace(/^(.* \| .*)\[\]$/, '($1)[]');
    return checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation).replace(/"/g, "'");
  };

  const sections: string[] = [];
  const seen = new Set<string>();
  const queue: ts.InterfaceDeclaration[] = [root];
  while (queue.length > 0) {
    const declaration = queue.shift()!;
    const name = declaration.name.text;
    if (seen.has(name)) continue;
    seen.add(name);
    const type = checker.getTypeAtLocation(declaration);
    const symbol = checker.getSymbolAtLocation(declaration.name);
    const rows: string[] = [];
    for (const property of checker.getPropertiesOfType(type)) {
      const propertyDeclaration = property.declarations?.[0];
      if (!propertyDeclaration) continue;
      const propertyType = checker.getTypeOfSymbolAtLocation(property, propertyDeclaration);
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
      const nested = interfacesOf(propertyType);
      queue.push(...nested);
      const typeText = typeName(optional ? checker.getNonNullableType(propertyType) : propertyType);
      const link = (d: ts.InterfaceDeclaration) => `[${d.name.text}](#${anchor(d.name.text)})`;
      const shownType =
        nested.length === 1
          ? `[${typeText}](#${anchor(nested[0]!.name.text)})`
          : nested.length > 1
            ? `\`${typeText}\`: ${nested.map(link).join(' or ')}`
            : `\`${typeText}\``;
      const tags = property.getJsDocTags(checker);
      const defaultTag = tags.find((t) => t.name === 'default');
      const defaultText = defaultTag ? text(defaultTag.text).replace(/^- /, '') : optional ? '' : 'required';
      const description = text(property.getDocumentationComment(checker));
      rows.push(
        `| \`${property.getName()}\` | ${cell(shownType)} | ${cell(defaultText)} | ${cell(description)} |`,
      );
    }
    const summary = symbol ? text(symbol.getDocumentationComment(checker)) : '';
    sections.push(
      [
        `## ${name}`,
        ...(summary ? ['', summary] : []),
        '',
        '| Field | Type | Default | Description |',
        '| --- | --- | --- | --- |',
        ...rows,
      ].join('\n'),
    );
  }
  return [
    '# `berth.config.ts` reference',
    '',
    '<!-- Generated from the doc comments in infra/config/schema.ts by `npm run docs:config`; do not edit. -->',
    '',
    "`berth.config.ts` lives at the root of your repository and default-exports `defineConfig({ ... })` from `@berth/cli`. Berth finds it by walking up from the working directory (`berth --config <path>` names another file) and loads it with Node's built-in type stripping, so it may use erasable TypeScript only (no `enum` or `namespace`). Fields left out get Berth's default for the environment; unknown fields are errors.",
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
}
