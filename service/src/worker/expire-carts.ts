import type pg from 'pg';

export interface ExpireOptions {
  /** Open carts whose last change (carts.touched_at) is more than this many hours old are deleted. */
  olderThanHours: number;
  /** @default 500 - carts deleted per statement, so one transaction never locks a whole backlog */
  batchSize?: number;
  /** Checked between batches: a stopping worker ends its pass after the batch in progress. */
  signal?: AbortSignal;
  /** @default - the database's clock (now()); tests pin it to a literal */
  now?: Date;
}

export interface ExpireResult {
  /** Carts deleted by this pass. */
  deleted: number;
  /** Whether the pass stopped early because the signal fired (the rest waits for the next pass). */
  interrupted: boolean;
}

/**
 * Deletes at most one batch of abandoned carts, oldest first. SKIP LOCKED passes over a cart that a request
 * is changing right now (it is being touched, so it is not abandoned) and lets several workers share the
 * work. FOR UPDATE re-reads a row changed since the statement began and re-checks the condition on that
 * version (PostgreSQL docs, "Transaction Isolation", Read Committed), so a cart touched meanwhile is kept.
 * Its lines go with it (on delete cascade). Checked-out carts are never deleted: orders reference them.
 */
const DELETE_BATCH: Omit<pg.QueryConfig, 'values'> = {
  name: 'expire-carts',
  text: `
    with expired as (
      select id from carts
      where status = 'open'
        and touched_at < coalesce($3::timestamptz, now()) - make_interval(hours => $1::int)
      order by touched_at
      limit $2::int
      for update skip locked
    )
    delete from carts c using expired where c.id = expired.id`,
};

/**
 * One expiry pass: deletes abandoned open carts in batches until none is left or the signal fires.
 * Deleting (rather than marking) keeps the API's states as they are: an expired cart answers 404 like any
 * cart the server does not know, which the storefront already handles by starting a new one.
 */
export async function expireAbandonedCarts(pool: pg.Pool, options: ExpireOptions): Promise<ExpireResult> {
  const batchSize = options.batchSize ?? 500;
  const now = options.now?.toISOString() ?? null;
  let deleted = 0;
  for (;;) {
    if (options.signal?.aborted) return { deleted, interrupted: true };
    const result = await pool.query({ ...DELETE_BATCH, values: [options.olderThanHours, batchSize, now] });
    deleted += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < batchSize) return { deleted, interrupted: false };
  }
}
