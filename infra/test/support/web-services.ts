/** Reading and editing one web service of a resolved environment, by name (the cart's is `web`). */
import type { EnvironmentConfig, WebServiceConfig } from '../../config/environments.js';

/** Web service `name` of an environment, sized there. */
export function webService(config: EnvironmentConfig, name = 'web'): WebServiceConfig {
  const found = config.services.find((s): s is WebServiceConfig => s.kind === 'web' && s.name === name);
  if (!found) throw new Error(`no web service ${name} in ${config.name}`);
  return found;
}

/** `config` with web service `name` replaced by `edit` of it; every other service as it was. */
export function withWebService(
  config: EnvironmentConfig,
  edit: (service: WebServiceConfig) => WebServiceConfig,
  name = 'web',
): EnvironmentConfig {
  const edited = edit(webService(config, name));
  return { ...config, services: config.services.map((s) => (s.name === name ? edited : s)) };
}
