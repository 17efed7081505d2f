import { CliError } from './errors.js';

export type Fetch = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

/**
 * What "deployed" means to a user: the load balancer answers ready, and the API returns data
 * (which proves the database connection and migrations, not only the process).
 */
export async function smokeTest(
  baseUrl: string,
  fetchImpl: Fetch = fetch,
  timeoutMs = 10_000,
): Promise<void> {
  const url = (path: string) => new URL(path, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
  const get = async (path: string) => {
    try {
      return await fetchImpl(url(path), { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new CliError(`smoke test: GET ${url(path)} failed (${describeFailure(error)})`);
    }
  };
  const ready = await get('readyz');
  if (ready.status !== 200)
    throw new CliError(`smoke test: GET ${url('readyz')} returned ${ready.status}, expected 200`);
  const products = await get('api/products');
  const body: unknown = products.status === 200 ? await products.json().catch(() => undefined) : undefined;
  const list = Array.isArray(body) ? body : (body as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(list)) {
    throw new CliError(
      `smoke test: GET ${url('api/products')} returned ${products.status} without a product list`,
    );
  }
}

/**
 * fetch rejects with a bare "fetch failed" and puts the reason in `cause`: an unknown name (a domain record
 * not yet resolvable), or a certificate that does not cover the name. The reason is what the reader needs.
 */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
