// Throwaway (not committed): add-item cost with and without migration 0003's triggers, interleaved.
import { migrateToLatest } from '../src/db/migrate.js';
import { MIGRATIONS } from '../src/db/migrations.js';
import { createPool } from '../src/db/pool.js';
import { PgCartRepository } from '../src/repositories/pg-cart-repository.js';
import { freshPostgresDatabase } from './helpers/postgres.js';

const cleanups: (() => Promise<void> | void)[] = [];
const t = { after: (fn: () => Promise<void> | void) => cleanups.push(fn) };
const without = createPool(await freshPostgresDatabase(t));
const withTouch = createPool(await freshPostgresDatabase(t));
await migrateToLatest(without, MIGRATIONS.slice(0, 2));
await migrateToLatest(withTouch);
const SKUS = ['BERTH-MUG', 'BERTH-TEE', 'BERTH-CAP', 'BERTH-STICKERS'];
async function round(pool: typeof without, n: number): Promise<number> {
  const carts = new PgCartRepository(pool);
  const ids = await Promise.all(Array.from({ length: 10 }, async () => (await carts.create()).id));
  const start = performance.now();
  await Promise.all(ids.map(async (id, w) => {
    for (let i = 0; i < n; i++) await carts.addItem(id, SKUS[(i + w) % 4]!, 1);
  }));
  return (10 * n) / ((performance.now() - start) / 1000);
}
const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < 6; r++) {
  a.push(await round(without, 40));
  b.push(await round(withTouch, 40));
}
const median = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)]!;
console.log(JSON.stringify({ withoutTriggers: a.map(Math.round), withTriggers: b.map(Math.round), medianRatio: median(b) / median(a) }));
await without.end();
await withTouch.end();
for (const fn of cleanups.reverse()) await fn();
