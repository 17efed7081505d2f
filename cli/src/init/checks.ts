import { isImageReference, REGIONS } from '@berth/infra';
import { APP_NAME, APP_NAME_RULE } from './app-name.js';
import { GITHUB_REPOSITORY } from './git-repository.js';

/**
 * Checks for every value `berth init` takes from a flag or a prompt: each returns what is wrong and how to
 * fix it, or undefined. A flag's error is `--<flag> <problem>`; a prompt shows the problem and asks again.
 */
export type Check = (value: string) => string | undefined;

export const checkAccount: Check = (v) =>
  /^\d{12}$/.test(v)
    ? undefined
    : `"${v}" is not an AWS account id: use its 12 digits (aws sts get-caller-identity --query Account --output text)`;

/** A region the config accepts (its own list, so init never writes a config that is refused at load). */
export const checkRegion: Check = (v) =>
  (REGIONS as readonly string[]).includes(v)
    ? undefined
    : `"${v}" is not a region Berth supports: use one of ${REGIONS.join(', ')}`;

export const checkPort: Check = (v) => {
  const port = Number(v);
  return /^\d+$/.test(v) && port >= 1 && port <= 65535
    ? undefined
    : `"${v}" is not a port: use the number from 1 to 65535 your server listens on`;
};

/**
 * An ALB health check path: starts with `/`, at most 1024 characters, may carry a query
 * (Elastic Load Balancing API Reference, CreateTargetGroup, HealthCheckPath). Kept to URL characters
 * without spaces or quotes, as it is also written into the smoke test's shell line.
 */
export const checkHealthPath: Check = (v) =>
  /^\/[\w\-.~/%?=&+]*$/.test(v) && v.length <= 1024
    ? undefined
    : `"${v}" is not a health check path: start with / and use URL characters only, e.g. /healthz`;

export const checkImage: Check = (v) =>
  isImageReference(v)
    ? undefined
    : `"${v}" is not an image reference: expected one as docker pull takes it, e.g. nginx:1.27 or <registry>/<name>@sha256:<64 hex>`;

export const checkAppName: Check = (v) =>
  APP_NAME.test(v) ? undefined : `"${v}" is not an app name: use ${APP_NAME_RULE}`;

export const checkRepository: Check = (v) =>
  GITHUB_REPOSITORY.test(v) ? undefined : `"${v}" is not a GitHub repository: use owner/name, e.g. acme/shop`;

/** The shape the config accepts for alarms.email; an empty answer means "none yet". */
export const checkEmail: Check = (v) =>
  /^[^@\s'"]+@[^@\s'"]+\.[^@\s'"]+$/.test(v)
    ? undefined
    : `"${v}" is not an e-mail address: e.g. oncall@example.org`;
