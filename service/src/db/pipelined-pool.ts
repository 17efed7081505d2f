import type { Socket } from 'node:net';
import pg from 'pg';

/** Runs one statement; both pg.Pool and PipelinedPool do. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/** Runs one statement; statements given the same key run over one connection, one after the other. */
export interface KeyedQueryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig, key: string): Promise<pg.QueryResult<R>>;
}

interface Slot {
  client: Promise<pg.Client> | undefined;
  inFlight: number;
  /** Whether the connection's socket holds what is written until this turn of the event loop ends. */
  corked: boolean;
}

/**
 * A fixed set of connections in node-postgres' pipeline mode, shared by all requests: a statement is written
 * at once, behind the ones still running on that connection, instead of waiting for a connection of its own.
 * PostgreSQL then reads and answers many statements per wake-up, and this process many answers per read:
 * measured here, a cart read cost the database a third and this process half the CPU it cost over a pool of
 * exclusive connections (bench/README.md).
 *
 * For single statements, each its own transaction: every statement ends with a Sync, so a failing one fails
 * alone. A statement goes to the connection with the fewest in flight, so one slow statement delays as few as
 * possible. A statement waiting for a row lock would hold back every statement behind it on its connection, so
 * statements that lock one row (changes to one cart) pass that row's key: while the key has statements in
 * flight, the next one queues behind them on their connection instead of waiting for the lock on another.
 * Transactions belong on a pg.Pool.
 */
export class PipelinedPool implements Queryable, KeyedQueryable {
  private readonly slots: Slot[];
  /** Keys with statements in flight: the connection they run on and how many; a key leaves when none is left. */
  private readonly keysInFlight = new Map<string, { slot: Slot; inFlight: number }>();
  private ended = false;

  /** `onClientError` hears about connections the server dropped; the next statement opens a new one. */
  constructor(
    private readonly config: pg.ClientConfig,
    size: number,
    private readonly onClientError: (error: Error) => void = () => {},
  ) {
    this.slots = Array.from({ length: size }, () => ({ client: undefined, inFlight: 0, corked: false }));
  }

  /**
   * `key`: statements that would wait for each other's row lock (changes to one cart) then queue on one
   * connection and each runs when the one before it has committed, instead of waiting for its lock on
   * another connection and holding back every statement behind it there. Once a key has nothing in flight,
   * its next statement goes to the least busy connection like any other: a fixed connection per key (a hash,
   * as before) queued 24-46 statements at p99 where the mean was 10, and with durable commits every statement
   * queued ahead is one more WAL flush to wait for (add p99 334-393 ms against 161-189 ms, bench/README.md).
   */
  async query<R extends pg.QueryResultRow>(config: pg.QueryConfig, key?: string): Promise<pg.QueryResult<R>> {
    if (this.ended) throw new Error('Client was closed and is not queryable');
    const held = key === undefined ? undefined : this.keysInFlight.get(key);
    const slot = held?.slot ?? this.leastBusy();
    slot.inFlight++;
    if (held) held.inFlight++;
    else if (key !== undefined) this.keysInFlight.set(key, { slot, inFlight: 1 });
    try {
      slot.client ??= this.connect(slot);
      const client = await slot.client;
      batchWritesOf(slot, client);
      return await client.query<R>(config);
    } finally {
      slot.inFlight--;
      if (key !== undefined) this.release(key);
    }
  }

  /** Closes every connection once the statements already sent are answered. */
  async end(): Promise<void> {
    this.ended = true;
    await Promise.all(this.slots.map((slot) => slot.client?.then((client) => client.end()).catch(() => {})));
  }

  private release(key: string): void {
    const held = this.keysInFlight.get(key)!;
    if (--held.inFlight === 0) this.keysInFlight.delete(key);
  }

  private leastBusy(): Slot {
    let best = this.slots[0]!;
    for (const slot of this.slots) {
      if (slot.inFlight < best.inFlight) best = slot;
    }
    return best;
  }

  private connect(slot: Slot): Promise<pg.Client> {
    const client = new pg.Client({ ...this.config, pipeline: true });
    // A dead connection fails the statements in flight on it (503s); the next statement reconnects.
    function forget() {
      if (slot.client === connecting) slot.client = undefined;
    }
    const connecting = client.connect().then(
      () => client,
      (error: unknown) => {
        forget();
        throw error;
      },
    );
    client.on('error', (error) => {
      forget();
      this.onClientError(error);
    });
    client.on('end', forget);
    return connecting;
  }
}

/**
 * Statements sent to one connection in the same turn of the event loop (the requests whose data arrived
 * together) leave in one write: the socket is corked at the first and uncorked in the check phase, right after
 * the poll phase that ran them. node-postgres corks around each statement itself; Node counts corks, so its
 * uncork leaves ours in place. Measured: socket writes were 30-40 % of the service's CPU profile under load, and
 * PostgreSQL reads several statements per wake-up: CPU per cart read 48-60 us in PostgreSQL instead of 54-101,
 * per add 165-176 instead of 225-299 (bench/README.md). `connection.stream` is node-postgres' socket (not in
 * its types); without it statements are written one by one, as before.
 */
function batchWritesOf(slot: Slot, client: pg.Client): void {
  if (slot.corked) return;
  const socket = (client as unknown as { connection?: { stream?: Partial<Socket> } }).connection?.stream;
  if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function') return;
  socket.cork();
  slot.corked = true;
  setImmediate(() => {
    slot.corked = false;
    socket.uncork?.();
  });
}
