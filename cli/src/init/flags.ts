import { CliError } from '../errors.js';
import {
  type Check,
  checkAccount,
  checkAppName,
  checkEmail,
  checkHealthPath,
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
];

/** Every flag value, before anything is read or asked: the first bad one is the error. */
export function checkFlags(flags: InitFlags): void {
  for (const [key, flag, check] of FLAG_CHECKS) {
    const value = flags[key];
    const problem = typeof value === 'string' ? check(value) : undefined;
    if (problem) throw new CliError(`${flag} ${problem}`);
  }
}
