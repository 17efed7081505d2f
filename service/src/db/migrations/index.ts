import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';

// Imported statically (not read from a folder at run time) so they compile into dist/ with the rest.
export const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
};
