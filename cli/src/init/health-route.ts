import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SKIPPED_FOLDERS } from './find-dockerfiles.js';

/** Routes a service conventionally answers health probes on, most specific first. */
export const HEALTH_ROUTES = ['/healthz', '/health', '/readyz', '/ready', '/ping', '/status'] as const;

/** Source and server-config files a route is declared in; other files (docs, data) are not read. */
const SOURCE_FILE =
  /\.(py|js|mjs|cjs|ts|mts|cts|jsx|tsx|go|rb|java|kt|kts|scala|rs|php|cs|fs|ex|exs|erl|clj|swift|dart|lua|pl|conf|cr|nim|zig)$/i;
/** Bounds the walk so a large repository cannot stall `berth init`. */
const MAX_FILES = 5_000;
const MAX_FILE_BYTES = 512 * 1024;

/** Source files under `dir`, depth first, skipping dependency and build folders and hidden ones. */
function* sourceFiles(dir: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (entry.isFile() && SOURCE_FILE.test(entry.name)) yield full;
  }
}

/**
 * A route as code declares it: a quoted string (`@app.get("/healthz")`, `app.get('/health', …)`,
 * `http.HandleFunc("/ping", …)`) or an nginx `location [=] /healthz` block. Exact, so `/health` is
 * not found inside `/healthz` or `/health/db`.
 */
function declares(source: string, route: string): boolean {
  const quoted = new RegExp(`["'\`]${route}["'\`]`);
  const location = new RegExp(`\\blocation\\s+(=\\s*)?${route}\\s*\\{`);
  return quoted.test(source) || location.test(source);
}

export interface FoundRoute {
  readonly route: string;
  /** The first file that declares it, relative to the searched folder. */
  readonly file: string;
}

/**
 * The first of HEALTH_ROUTES that any source file in the build context declares, or undefined.
 * The order of HEALTH_ROUTES decides, not the order of files: `/healthz` beats `/status` wherever each is.
 */
export function findHealthRoute(context: string): FoundRoute | undefined {
  const found = new Map<string, string>();
  let read = 0;
  for (const file of sourceFiles(context)) {
    if (++read > MAX_FILES) break;
    if (statSync(file).size > MAX_FILE_BYTES) continue;
    const source = readFileSync(file, 'utf8');
    for (const route of HEALTH_ROUTES) {
      if (!found.has(route) && declares(source, route)) found.set(route, path.relative(context, file));
    }
    if (found.has(HEALTH_ROUTES[0])) break;
  }
  const route = HEALTH_ROUTES.find((r) => found.has(r));
  return route === undefined ? undefined : { route, file: found.get(route)!.split(path.sep).join('/') };
}
