/**
 * The `global` and `defaults` sections every local HAProxy starts from, written to behave like the ALB:
 * - `retries 0`, no `redispatch`: the ALB does not retry a failed request on another target, so neither do we.
 * - Client-side keep-alive with a 60 s idle timeout, the ALB's default idle timeout.
 */
export interface PreambleOptions {
  /** Runtime API socket (admin level), for a proxy whose servers are placed and drained at run time. */
  readonly adminSocket?: string;
  /** How long an upgraded connection (a dev server's live-reload WebSocket) may stay open. */
  readonly tunnelTimeout?: string;
}

export function haproxyPreamble(options: PreambleOptions = {}): string {
  const stats =
    options.adminSocket === undefined
      ? []
      : [`  stats socket ${options.adminSocket} mode 600 level admin`, '  stats timeout 30s'];
  const tunnel = options.tunnelTimeout === undefined ? [] : [`  timeout tunnel ${options.tunnelTimeout}`];
  return [
    'global',
    '  maxconn 4096',
    ...stats,
    '  log stderr format short local0 warning',
    '',
    'defaults',
    '  mode http',
    '  log global',
    '  option http-keep-alive',
    '  option dontlognull',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout http-keep-alive 60s',
    '  timeout server 60s',
    '  timeout http-request 10s',
    ...tunnel,
    '  retries 0',
    '',
  ].join('\n');
}
