import { CliError } from './errors.js';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `45s`, `10m`, `1h`, `2d` into milliseconds; the option name makes the error actionable. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) {
    throw new CliError(`${option} "${text}" is not a duration: use a number with s, m, h or d, e.g. 30m`);
  }
  const value = Number(match[1]) * UNITS[match[2]!]!;
  if (value <= 0) throw new CliError(`${option} must be greater than zero`);
  return value;
}

export function formatSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
