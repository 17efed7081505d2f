import { connect } from 'node:net';
import { BACKEND } from './haproxy-config.js';

/** What HAProxy's `show stat` reports for a server: `UP`, `DOWN`, `MAINT`, `DRAIN`, `UP 1/2`, `DOWN 1/2`… */
export interface ServerStat {
  readonly name: string;
  readonly status: string;
  readonly address: string;
  /** Requests currently being served by this server. */
  readonly current: number;
  readonly total: number;
}

/** A client for HAProxy's runtime API (the admin-level stats socket): one command per connection. */
export class HaproxyRuntime {
  constructor(private readonly socketPath: string) {}

  command(cmd: string, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.socketPath);
      let out = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`haproxy runtime API did not answer "${cmd}" within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.end(`${cmd}\n`));
      socket.on('data', (chunk: string) => {
        out += chunk;
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
  }

  /** Runs a command that answers with nothing on success; any text back is HAProxy's error message. */
  private async expectSilent(cmd: string): Promise<void> {
    const answer = (await this.command(cmd)).trim();
    if (answer !== '') throw new Error(`haproxy rejected "${cmd}": ${answer}`);
  }

  async servers(): Promise<ServerStat[]> {
    const csv = await this.command('show stat');
    const lines = csv.split('\n').filter((l) => l.trim() !== '');
    const header = lines[0]?.replace(/^# /, '').split(',') ?? [];
    const col = (name: string) => {
      const i = header.indexOf(name);
      if (i < 0) throw new Error(`haproxy "show stat" has no ${name} column`);
      return i;
    };
    const [px, sv, status, addr, scur, stot] = ['pxname', 'svname', 'status', 'addr', 'scur', 'stot'].map(
      col,
    );
    return lines
      .slice(1)
      .map((l) => l.split(','))
      .filter((f) => f[px!] === BACKEND && f[sv!] !== 'BACKEND' && f[sv!] !== 'FRONTEND')
      .map((f) => ({
        name: f[sv!] ?? '',
        status: f[status!] ?? '',
        address: f[addr!] ?? '',
        current: Number(f[scur!] ?? 0),
        total: Number(f[stot!] ?? 0),
      }));
  }

  async server(slot: string): Promise<ServerStat> {
    const found = (await this.servers()).find((s) => s.name === slot);
    if (!found) throw new Error(`haproxy has no server ${BACKEND}/${slot}`);
    return found;
  }

  /** Registers a replica in a slot; health checks must then pass `rise` times before it gets traffic. */
  async register(slot: string, port: number): Promise<void> {
    await this.expectSilent(`set server ${BACKEND}/${slot} state maint`);
    const answer = await this.command(`set server ${BACKEND}/${slot} addr 127.0.0.1 port ${port}`);
    if (!/changed|no need to change/i.test(answer)) {
      throw new Error(`haproxy rejected the address of ${BACKEND}/${slot}: ${answer.trim()}`);
    }
    // Leaving maintenance marks a server UP at once; going through drain (no new traffic) and forcing its
    // health DOWN first makes the replica earn traffic with `rise` passing checks, as a new ALB target does.
    await this.expectSilent(`set server ${BACKEND}/${slot} state drain`);
    await this.expectSilent(`set server ${BACKEND}/${slot} health down`);
    await this.expectSilent(`set server ${BACKEND}/${slot} state ready`);
  }

  /** Stops new requests to a slot; requests in flight finish (the ALB's "draining" target state). */
  drain(slot: string): Promise<void> {
    return this.expectSilent(`set server ${BACKEND}/${slot} state drain`);
  }

  /** Takes a slot out of rotation entirely (deregistered target). */
  maint(slot: string): Promise<void> {
    return this.expectSilent(`set server ${BACKEND}/${slot} state maint`);
  }
}
