/**
 * Constant mixed load for the parity test and the zero-downtime bench: each autocannon connection loops
 * create cart → add items / read products / read cart, and every acknowledged write (200 to an add) is
 * recorded so it can be checked against what the carts hold afterwards.
 */
import autocannon from 'autocannon';

const SKUS = ['BERTH-MUG', 'BERTH-TEE', 'BERTH-CAP', 'BERTH-STICKERS'] as const;

interface CycleContext {
  cartId?: string;
}

/** Acknowledged quantity per `cartId|sku`. */
export type WriteLedger = Map<string, number>;

export interface LoadReport {
  readonly requests: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly timeouts: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly statusCodes: Record<string, number>;
  readonly acknowledgedWrites: number;
  readonly ledger: WriteLedger;
}

export interface RunningLoad {
  /** Ends the load and returns what it saw. */
  stop(): Promise<LoadReport>;
}

export function startLoad(opts: {
  url: string;
  connections: number;
  /** Hard upper bound; the load normally ends earlier with stop(). */
  maxSeconds: number;
  /** Requests per second across all connections; constant load, not a saturation test. */
  rate: number;
}): RunningLoad {
  const ledger: WriteLedger = new Map();
  let acknowledgedWrites = 0;
  const add = (sku: (typeof SKUS)[number], quantity: number): autocannon.Request => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sku, quantity }),
    setupRequest: (req, context) => {
      const { cartId } = context as CycleContext;
      // No cart (its creation failed): start the cycle over rather than send a request bound to fail.
      if (!cartId) return undefined as unknown as autocannon.Request;
      // The write travels in the request id, which the service echoes: after a connection error
      // autocannon's shared context may already belong to the next cycle, the echoed header cannot.
      const id = `add:${cartId}:${sku}:${quantity}`;
      return { ...req, path: `/api/carts/${cartId}/items`, headers: { ...req.headers, 'x-request-id': id } };
    },
    onResponse: (status, _body, _context, headers) => {
      const echoed = headers?.['x-request-id'];
      if (status !== 200 || typeof echoed !== 'string' || !echoed.startsWith('add:')) return;
      const [, cartId, ackedSku, ackedQuantity] = echoed.split(':') as [string, string, string, string];
      const key = `${cartId}|${ackedSku}`;
      ledger.set(key, (ledger.get(key) ?? 0) + Number(ackedQuantity));
      acknowledgedWrites++;
    },
  });
  const readCart: autocannon.Request = {
    method: 'GET',
    setupRequest: (req, context) => {
      const { cartId } = context as CycleContext;
      return (cartId ? { ...req, path: `/api/carts/${cartId}` } : undefined) as autocannon.Request;
    },
  };
  let finish: (r: autocannon.Result) => void = () => {};
  let fail: (err: Error) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: opts.url,
      connections: opts.connections,
      duration: opts.maxSeconds,
      overallRate: opts.rate,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          path: '/api/carts',
          onResponse: (status, body, context) => {
            if (status === 201) (context as CycleContext).cartId = (JSON.parse(body) as { id: string }).id;
          },
        },
        add(SKUS[0], 2),
        { method: 'GET', path: '/api/products' },
        add(SKUS[1], 1),
        readCart,
        add(SKUS[0], 3),
        add(SKUS[3], 1),
        readCart,
      ],
    },
    (err: Error | null, result: autocannon.Result) => (err ? fail(err) : finish(result)),
  );
  return {
    async stop() {
      instance.stop();
      const r = await done;
      const statusCodes = Object.fromEntries(
        Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, (v as { count: number }).count]),
      );
      return {
        requests: r.requests.total,
        non2xx: r.non2xx,
        socketErrors: r.errors - r.timeouts,
        timeouts: r.timeouts,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        maxMs: r.latency.max,
        statusCodes,
        acknowledgedWrites,
        ledger,
      };
    },
  };
}

export interface LedgerCheck {
  readonly carts: number;
  readonly lines: number;
  /** Lines holding less than was acknowledged: lost writes. Must be empty. */
  readonly lost: string[];
  /** Lines holding more than was acknowledged: applied writes whose response never arrived. */
  readonly unacknowledgedApplied: number;
}

/** Reads every cart the load touched and compares it with the acknowledged writes. */
export async function checkLedger(
  baseUrl: string,
  ledger: WriteLedger,
  concurrency = 8,
): Promise<LedgerCheck> {
  const byCart = new Map<string, Map<string, number>>();
  for (const [key, quantity] of ledger) {
    const [cartId, sku] = key.split('|') as [string, string];
    const lines = byCart.get(cartId) ?? new Map<string, number>();
    lines.set(sku, quantity);
    byCart.set(cartId, lines);
  }
  const lost: string[] = [];
  let unacknowledgedApplied = 0;
  let lines = 0;
  const queue = [...byCart.entries()];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [cartId, expected] = next;
      const res = await fetch(`${baseUrl}/api/carts/${cartId}`);
      if (res.status !== 200) {
        lost.push(`${cartId}: GET answered ${res.status}`);
        continue;
      }
      const cart = (await res.json()) as { lines: { sku: string; quantity: number }[] };
      for (const [sku, acked] of expected) {
        lines++;
        const stored = cart.lines.find((l) => l.sku === sku)?.quantity ?? 0;
        // Quantities are capped at 99 per line: an acknowledged add can never exceed the cap.
        const want = Math.min(acked, 99);
        if (stored < want) lost.push(`${cartId} ${sku}: acknowledged ${acked}, stored ${stored}`);
        else if (stored > want) unacknowledgedApplied += stored - want;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { carts: byCart.size, lines, lost, unacknowledgedApplied };
}
