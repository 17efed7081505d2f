/**
 * The app name prefixes stack names (`Shop-Test-eu-west-1-Network`), SSM paths (`/shop/test/…`) and ECR
 * repositories (`shop/web`): lower-case letters, digits and single hyphens, starting with a letter — the
 * characters all three accept — and at most 20 characters, the config's limit (it leaves room for the
 * suffixes of stack names and the bootstrap qualifier).
 */
export const APP_NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,19}$/;
export const APP_NAME_RULE =
  'lower-case letters, digits and single hyphens, starting with a letter, at most 20 characters';

/** `My_Shop.API` → `my-shop-api`; undefined when nothing valid is left (`123`, `---`). */
export function appNameFrom(text: string): string | undefined {
  const name = text
    .toLowerCase()
    .replace(/\.git$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 20)
    .replace(/-+$/, '');
  return APP_NAME.test(name) ? name : undefined;
}
