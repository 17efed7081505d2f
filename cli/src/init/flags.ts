import { CliError } from '../errors.js';
import {
  type Check,
  checkAccount,
  checkAppName,
  checkEmail,
  checkHealthPath,
  checkImage,
  checkPort,
  checkRegion,
  checkRepository,
} from './checks.js';

export interface InitFlags {
  app?: string;
  repository?: string;
  account?: string;
  prodAccount?: string;
  region?: string;
  port?: string;
  healthPath?: string;
  alarmEmail?: string;
  dockerfile?: string;
  /** A prebuilt image the web service runs: no Dockerfile is read and nothing is built. */
  image?: string;
  yes?: boolean;
  force?: boolean;
}

const FLAG_CHECKS: [keyof InitFlags, string, Check][] = [
  ['app', '--app', checkAppName],
  ['repository', '--repository', checkRepository],
  ['account', '--account', checkAccount],
  ['prodAccount', '--prod-account', checkAccount],
  ['region', '--region', checkRegion],
  ['port', '--port', checkPort],
  ['healthPath', '--health-path', checkHealthPath],
  ['alarmEmail', '--alarm-email', checkEmail],
  ['image', '--image', checkImage],
];

/** Every flag value, before anything is read or asked: the first bad one is the error. */
export function checkFlags(flags: InitFlags): void {
  if (flags.image !== undefined && flags.dockerfile !== undefined) {
    throw new CliError(
      'pass --dockerfile to build the web service or --image to run a prebuilt one, not both',
    );
  }
  for (const [key, flag, check] of FLAG_CHECKS) {
    const value = flags[key];
    const problem = typeof value === 'string' ? check(value) : undefined;
    if (problem) throw new CliError(`${flag} ${problem}`);
  }
}
