/**
 * Whether an error means "the database cannot be reached right now" (a restart, a failover, a network
 * blip) rather than a bug: such requests answer 503 so clients and load balancers retry, not 500.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
// SQLSTATE class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now)
// and 53300 (too many connections): all pass once the server is back or has room.
const SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
// node-postgres reports a dropped socket or an exhausted connect timeout by message only.
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATE.test(code))) return true;
  return PG_MESSAGES.test(error.message);
}
