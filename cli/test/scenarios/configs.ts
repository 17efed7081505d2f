/** The configs the scenarios bring besides the cart's (cli/test/fixtures/cart-config.ts), loaded as the CLI loads one. */
import { fileURLToPath } from 'node:url';
import { type LoadedConfig, loadConfig } from '@berth/infra';

const DIR = fileURLToPath(new URL('./configs/', import.meta.url));

const load = (file: string) => loadConfig({ cwd: DIR, configPath: file });

/** App `shop`: web service `api` (port 8080, release command) and worker `jobs` (3 tasks in test). */
export const TWO_SERVICES: LoadedConfig = await load('two-services.berth.config.ts');

/** App `berth` with one web service, `web`: the stubbed flow tests' config. */
export const ONE_WEB_SERVICE: LoadedConfig = await load('one-web-service.berth.config.ts');

/** App `feeds`: workers `ingest` (2 tasks, its queue, sends to digest) and `digest` (its queue); no web service. */
export const WORKERS_ONLY: LoadedConfig = await load('workers-only.berth.config.ts');

/**
 * App `depot`: `api` (release command) and worker `jobs` share one build, `admin` builds another stage of it,
 * `docs` runs the prebuilt `public.ecr.aws/nginx/nginx:1.27`.
 */
export const TWO_IMAGES: LoadedConfig = await load('two-images.berth.config.ts');

/**
 * App `kiosk`: every service runs a prebuilt image — web `site` (public.ecr.aws nginx pinned by digest, port
 * 8088) and worker `relay` (ghcr.io tag, release command). Nothing to build.
 */
export const PREBUILT_ONLY: LoadedConfig = await load('prebuilt-only.berth.config.ts');
