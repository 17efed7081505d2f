import { IMAGE_CONTEXT_KEY, PLACEHOLDER_IMAGE } from './naming.js';

const DIGEST = /^sha256:[a-f0-9]{64}$/;
// Docker's tag grammar: at most 128 characters, no leading dot or dash.
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface ResolvedImage {
  /** A digest, a tag, or PLACEHOLDER_IMAGE. */
  readonly image: string;
  /** True when no image was given; the stack warns and `berth deploy` refuses to ship it. */
  readonly isPlaceholder: boolean;
}

/** Reads the image from the CDK context value; undefined or empty means "none yet" (infra-only synth). */
export function resolveImage(contextValue: unknown): ResolvedImage {
  if (contextValue === undefined || contextValue === null || contextValue === '') {
    return { image: PLACEHOLDER_IMAGE, isPlaceholder: true };
  }
  if (typeof contextValue !== 'string' || !(DIGEST.test(contextValue) || TAG.test(contextValue))) {
    throw new Error(
      `context ${IMAGE_CONTEXT_KEY} = ${JSON.stringify(contextValue)}: expected a digest sha256:<64 lowercase hex> or an image tag (letters, digits, _ . -, at most 128); pass e.g. -c ${IMAGE_CONTEXT_KEY}=sha256:…`,
    );
  }
  return { image: contextValue, isPlaceholder: contextValue === PLACEHOLDER_IMAGE };
}
