import type { ServiceConfig } from '@berth/infra';
import { freePort } from './free-port.js';
import { slotName } from './haproxy-config.js';
import type { HaproxyRuntime } from './haproxy-runtime.js';
import { Replica } from './replica.js';
import { sleep, waitFor } from './wait.js';

const REPLACEMENT_ATTEMPTS = 20;
const REPLACEMENT_BACKOFF_MS = 3000;

/** Where a replica is in its life, as ECS would describe the task. */
export type ReplicaPhase = 'starting' | 'serving' | 'draining' | 'stopping';

export interface ReplicaInfo {
  readonly id: number;
  readonly slot: string;
  readonly port: number;
  readonly pid: number | undefined;
  readonly version: string;
  readonly phase: ReplicaPhase;
}

interface Member {
  readonly replica: Replica;
  readonly slot: number;
  phase: ReplicaPhase;
}

export interface FleetOptions {
  readonly runtime: HaproxyRuntime;
  readonly service: ServiceConfig;
  readonly slots: number;
  readonly databaseUrl: string;
  readonly command?: readonly string[];
  /** Run replicas as podman containers of this image. */
  readonly containerImage?: string;
  readonly log: (line: string) => void;
  /** Like the ECS service scheduler: start a replacement when a serving replica dies. */
  readonly replaceCrashed: boolean;
}

/** Thrown when a new replica never turns healthy: the local analogue of the ECS deployment circuit breaker. */
export class UnhealthyReplicaError extends Error {
  override readonly name = 'UnhealthyReplicaError';
}

/**
 * The replicas behind HAProxy and the slots they occupy: launch (register + wait for `rise` checks),
 * retire (drain, deregistration delay, SIGTERM, SIGKILL after the stop timeout) and crash handling.
 */
export class Fleet {
  private readonly members = new Map<number, Member>();
  private nextId = 1;
  private stopping = false;
  private readonly background = new Set<Promise<unknown>>();

  constructor(private readonly opts: FleetOptions) {}

  get service(): ServiceConfig {
    return this.opts.service;
  }

  list(): ReplicaInfo[] {
    return [...this.members.values()]
      .sort((a, b) => a.slot - b.slot)
      .map((m) => ({
        id: m.replica.id,
        slot: slotName(m.slot),
        port: m.replica.port,
        pid: m.replica.pid,
        version: m.replica.version,
        phase: m.phase,
      }));
  }

  serving(): Replica[] {
    return [...this.members.values()].filter((m) => m.phase === 'serving').map((m) => m.replica);
  }

  /** Starts a replica in a free slot and waits until HAProxy's health checks report it UP. */
  async launch(version: string, env?: Readonly<Record<string, string>>): Promise<Replica> {
    const port = await freePort();
    // From here to members.set nothing awaits, so replicas launched together never share a slot.
    const used = new Set([...this.members.values()].map((m) => m.slot));
    const slot = Array.from({ length: this.opts.slots }, (_, i) => i).find((i) => !used.has(i));
    if (slot === undefined) throw new Error(`all ${this.opts.slots} load balancer slots are in use`);
    const replica = new Replica({
      id: this.nextId++,
      port,
      version,
      databaseUrl: this.opts.databaseUrl,
      drainSeconds: this.opts.service.drainSeconds,
      ...(env ? { env } : {}),
      ...(this.opts.command ? { command: this.opts.command } : {}),
      ...(this.opts.containerImage ? { containerImage: this.opts.containerImage } : {}),
      log: this.opts.log,
    });
    const member: Member = { replica, slot, phase: 'starting' };
    this.members.set(replica.id, member);
    void replica.exited.then((exit) =>
      this.onExit(member, `code ${exit.code ?? '-'} signal ${exit.signal ?? '-'}`),
    );
    await this.opts.runtime.register(slotName(slot), replica.port);
    const bound = this.opts.service.healthCheckGracePeriodSeconds;
    try {
      await waitFor(
        `replica ${replica.id} to pass health checks`,
        async () => {
          if (!replica.running)
            throw new UnhealthyReplicaError(`replica ${replica.id} exited before turning healthy`);
          if (this.stopping) {
            throw new UnhealthyReplicaError(`replica ${replica.id} abandoned: the stack is stopping`);
          }
          const stat = await this.opts.runtime.server(slotName(slot));
          return stat.status === 'UP' ? true : undefined;
        },
        { timeoutMs: bound * 1000, intervalMs: 100 },
      );
    } catch (err) {
      await this.retire(replica, { drain: false });
      if (err instanceof UnhealthyReplicaError) throw err;
      throw new UnhealthyReplicaError(`replica ${replica.id} did not pass health checks within ${bound} s`);
    }
    member.phase = 'serving';
    this.opts.log(`replica ${replica.id} (${version}) is UP in ${slotName(slot)} on :${replica.port}`);
    return replica;
  }

  /**
   * Takes a replica out the way ECS does: target draining (no new requests), the deregistration delay,
   * SIGTERM, SIGKILL after stopTimeoutSeconds, then the slot is freed.
   * `drain: false` skips the first two steps (used for replicas that never served).
   */
  async retire(replica: Replica, { drain }: { drain: boolean }): Promise<void> {
    const member = this.members.get(replica.id);
    if (!member) return;
    const slot = slotName(member.slot);
    if (drain) {
      member.phase = 'draining';
      await this.opts.runtime.drain(slot);
      await sleep(this.opts.service.deregistrationDelaySeconds * 1000);
    }
    member.phase = 'stopping';
    await this.opts.runtime.maint(slot);
    const exit = await replica.stop(this.opts.service.stopTimeoutSeconds);
    this.members.delete(replica.id);
    this.opts.log(`replica ${replica.id} stopped (code ${exit.code ?? '-'}, signal ${exit.signal ?? '-'})`);
  }

  /**
   * The unsafe path, kept to prove the tests can fail: SIGKILL with no draining and no deregistration;
   * HAProxy finds out through failing health checks, as an ALB would for a target nobody deregistered.
   */
  async killWithoutDrain(replica: Replica): Promise<void> {
    const member = this.members.get(replica.id);
    if (!member) return;
    member.phase = 'stopping';
    replica.signal('SIGKILL');
    await replica.exited;
    const slot = slotName(member.slot);
    const { unhealthyThreshold, intervalSeconds, timeoutSeconds } = this.opts.service.healthCheck;
    await waitFor(
      `${slot} to be marked DOWN`,
      async () => ((await this.opts.runtime.server(slot)).status.startsWith('DOWN') ? true : undefined),
      { timeoutMs: (unhealthyThreshold + 1) * (intervalSeconds + timeoutSeconds) * 1000 },
    );
    await this.opts.runtime.maint(slot);
    this.members.delete(replica.id);
  }

  /**
   * A replica that exits on its own is deregistered at once (ECS deregisters a stopped task's target)
   * and, if configured, replaced like the ECS service scheduler would.
   */
  private async onExit(member: Member, how: string): Promise<void> {
    if (member.phase === 'stopping' || !this.members.has(member.replica.id)) return;
    const wasServing = member.phase === 'serving';
    member.phase = 'stopping';
    this.opts.log(`replica ${member.replica.id} exited unexpectedly (${how}); deregistering`);
    await this.opts.runtime.maint(slotName(member.slot)).catch(() => {});
    this.members.delete(member.replica.id);
    if (wasServing && this.opts.replaceCrashed && !this.stopping) {
      const replacement = this.replace(member.replica);
      this.background.add(replacement);
      void replacement.finally(() => this.background.delete(replacement));
    }
  }

  /** Like the ECS scheduler, keeps trying (throttled, bounded here) until a replacement serves. */
  private async replace(crashed: Replica): Promise<void> {
    for (let attempt = 1; attempt <= REPLACEMENT_ATTEMPTS && !this.stopping; attempt++) {
      try {
        await this.launch(crashed.version);
        return;
      } catch (err) {
        this.opts.log(`replacement ${attempt} for replica ${crashed.id} failed: ${(err as Error).message}`);
        await sleep(REPLACEMENT_BACKOFF_MS);
      }
    }
  }

  /** Resolves when the replacements started for crashed replicas have settled. */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Last resort when the owning process exits without stop(): no replica may outlive it. */
  killAllNow(): void {
    for (const m of this.members.values()) m.replica.signal('SIGKILL');
  }

  /** Stops every replica without draining: the whole stack is going away. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await this.settled();
    await Promise.all(
      [...this.members.values()].map((m) => {
        m.phase = 'stopping';
        return m.replica.stop(this.opts.service.stopTimeoutSeconds);
      }),
    );
    this.members.clear();
  }
}
