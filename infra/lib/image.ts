/**
 * Image references, and a release's images: the digest (or, for a synth, the tag) of each image Berth builds, by image key
 * (ResolvedConfig.images). Written the same way everywhere — the CDK context `berth:image`, `berth image`'s
 * output, `--image-digest`, the `/<app>/<env>/image-digest` record — as `sha256:…` when the app builds one
 * image (the form every release had before services could build their own), else `<key>=<digest>` pairs
 * joined by commas in key order, e.g. `admin=sha256:…,api=sha256:…`.
 */
import type { ServiceImageConfig } from '../config/environments.js';
import { IMAGE_CONTEXT_KEY, PLACEHOLDER_IMAGE } from './naming.js';

const DIGEST = /^sha256:[a-f0-9]{64}$/;
// Docker's tag grammar: at most 128 characters, no leading dot or dash.
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * A Docker image reference as ECS takes it: `[registry/]name[:tag][@sha256:<64 hex>]`. The name's grammar is
 * the distribution project's (github.com/distribution/reference, "Grammar"): lower-case path components
 * joined by `.`, `_`, `__` or dashes, an optional registry host (with a port) first. ECS accepts only sha256
 * digests of exactly 64 hex characters and at most 255 characters before the `@` (ECS API Reference,
 * ContainerDefinition `image`).
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*` +
    '(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-fA-F0-9]{64})?$',
);
const MAX_NAME_AND_TAG = 255;

/** Whether ECS can pull `reference` as it stands (see IMAGE_REFERENCE). */
export function isImageReference(reference: string): boolean {
  return IMAGE_REFERENCE.test(reference) && reference.split('@')[0]!.length <= MAX_NAME_AND_TAG;
}

/** Each built image's digest (or tag), by image key. */
export type ImageSet = Readonly<Record<string, string>>;

/**
 * The keys of the images `services` build, the primary first: each build's key is its first service's name,
 * so their order of first appearance is ResolvedConfig.images' order.
 */
export function buildKeys(services: readonly { readonly image: ServiceImageConfig }[]): string[] {
  return [...new Set(services.flatMap((s) => ('build' in s.image ? [s.image.build] : [])))];
}

/**
 * The release of an app whose every service runs a prebuilt image: each service's reference as the config
 * names it (services that build are left out), in the one-line form by service name (the bare reference for an app of one service, else
 * `<service>=<reference>` pairs in name order). References never hold `=` or `,`, so the line reads back.
 */
export function prebuiltRelease(
  services: readonly { readonly name: string; readonly image: ServiceImageConfig }[],
): string {
  const references = Object.fromEntries(
    services.flatMap((s) => ('prebuilt' in s.image ? [[s.name, s.image.prebuilt]] : [])),
  );
  return formatImageSet(references, Object.keys(references));
}

/** The one-line form of `images`; `keys` are the app's image keys, the primary first. */
export function formatImageSet(images: ImageSet, keys: readonly string[]): string {
  if (keys.length === 1) return images[keys[0]!]!;
  return [...keys]
    .sort()
    .map((key) => `${key}=${images[key]}`)
    .join(',');
}

/**
 * Reads the one-line form for an app whose image keys are `keys` (primary first): every key exactly once, each
 * value a digest or a tag. Throws an Error saying what is expected.
 */
export function parseImageSet(text: string, keys: readonly string[]): ImageSet {
  const expected = imageSetForm(keys);
  const fail = (why: string): never => {
    throw new Error(`${why}: expected ${expected}`);
  };
  const valid = (value: string) => DIGEST.test(value) || TAG.test(value);
  if (keys.length === 1) {
    // `<key>=<value>` is accepted too, so a spec written for the app keeps working.
    const value = text.startsWith(`${keys[0]}=`) ? text.slice(keys[0]!.length + 1) : text;
    if (!valid(value)) fail(`"${text}" is not one image`);
    return { [keys[0]!]: value };
  }
  const images: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    const [key, value] = at === -1 ? ['', pair] : [pair.slice(0, at), pair.slice(at + 1)];
    if (!keys.includes(key)) fail(at === -1 ? `"${pair}" names no image` : `no image named "${key}"`);
    if (images[key] !== undefined) fail(`"${key}" is given twice`);
    if (!valid(value)) fail(`${key}'s "${value}" is neither a digest nor a tag`);
    images[key] = value;
  }
  const missing = keys.filter((key) => images[key] === undefined);
  if (missing.length > 0) fail(`no image for ${missing.join(', ')}`);
  return images;
}

/** What the one-line form looks like for an app whose image keys are `keys`. */
export function imageSetForm(keys: readonly string[]): string {
  return keys.length === 1
    ? 'a digest sha256:<64 lowercase hex> or an image tag'
    : `${[...keys]
        .sort()
        .map((key) => `${key}=sha256:…`)
        .join(',')} (a digest or tag for each image the app builds)`;
}

export interface ContextImages {
  /** By image key: a digest, a tag, or PLACEHOLDER_IMAGE. */
  readonly images: ImageSet;
  /** True when no image was given; the stack warns and `berth deploy` refuses to ship it. */
  readonly isPlaceholder: boolean;
}

/**
 * Reads the images from the CDK context value; undefined or empty means "none yet" (infra-only synth). An app
 * that builds no image (`keys` empty: every service runs a prebuilt one) has nothing to read or hold back.
 */
export function imagesFromContext(contextValue: unknown, keys: readonly string[]): ContextImages {
  const empty = contextValue === undefined || contextValue === null || contextValue === '';
  if (keys.length === 0) {
    if (empty) return { images: {}, isPlaceholder: false };
    throw new Error(
      `context ${IMAGE_CONTEXT_KEY} = ${JSON.stringify(contextValue)}: this app builds no image (every service runs a prebuilt one); drop -c ${IMAGE_CONTEXT_KEY}`,
    );
  }
  if (empty) {
    return {
      images: Object.fromEntries(keys.map((key) => [key, PLACEHOLDER_IMAGE])),
      isPlaceholder: true,
    };
  }
  try {
    if (typeof contextValue !== 'string') throw new Error('not a string');
    const images = parseImageSet(contextValue, keys);
    return { images, isPlaceholder: Object.values(images).includes(PLACEHOLDER_IMAGE) };
  } catch {
    throw new Error(
      `context ${IMAGE_CONTEXT_KEY} = ${JSON.stringify(contextValue)}: expected ${imageSetForm(keys)}; pass e.g. -c ${IMAGE_CONTEXT_KEY}=sha256:…`,
    );
  }
}
