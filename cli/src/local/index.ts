/**
 * Production parity on one machine: N replicas of the service (processes, or containers of the shipped
 * image) on real PostgreSQL behind HAProxy,
 * configured like the ALB target group from the same environment config, with ECS-style rolling
 * replacement. `berth up --replicas N` is wired to startLocalParity.
 */
import type { EnvName, ServiceConfig } from '@berth/infra';
import { Fleet, type ReplicaInfo } from './fleet.js';
import { freePort } from './free-port.js';
import { maxRunning } from './haproxy-config.js';
import { startHaproxy } from './haproxy-process.js';
import type { ServerStat } from './haproxy-runtime.js';
import { type Database, startThrowawayCluster, type ThrowawayCluster } from './postgres.js';
import { checkPrerequisites } from './prerequisites.js';
import { type RollOptions, type RollResult, rollFleet } from './rolling.js';
import { waitFor } from './wait.js';

export type { ReplicaInfo } from './fleet.js';
export { UnhealthyReplicaError } from './fleet.js';
export { renderHaproxyConfig } from './haproxy-config.js';
export { buildServiceImage, LOCAL_IMAGE } from './podman.js';
export { createScratchDatabase, startThrowawayCluster } from './postgres.js';
export { checkPrerequisites } from './prerequisites.js';
export type { RollOptions, RollResult } from './rolling.js';
export { RollFailedError } from './rolling.js';

export interface LocalParityOptions {
  readonly env: EnvName;
  readonly replicas: number;
  /** An existing PostgreSQL, used as is; without it a throwaway cluster is created and removed on stop. */
  readonly databaseUrl?: string;
  /** Load balancer port on 127.0.0.1. @default 8080 */
  readonly port?: number;
  /** Run replicas as podman containers of this image (see buildServiceImage) instead of processes. */
  readonly containerImage?: string;
  readonly log?: (line: string) => void;
  /** Version label of the first replicas (BERTH_VERSION). @default 'local-1' */
  readonly version?: string;
  /** The environment's service settings (berth.config.ts, resolved), or shorter health-check intervals in tests. */
  readonly service: ServiceConfig;
  /** Start a replacement when a serving replica dies, as the ECS scheduler does. @default true */
  readonly replaceCrashed?: boolean;
  /** Command that runs one replica. @default node service/dist/server.js (serviceCommand) */
  readonly command?: readonly string[];
}

export interface KillResult {
  readonly replicaId: number;
  /** From the kill until the replica's slot was out of rotation. */
  readonly outOfRotationMs: number;
}

export interface LocalParity {
  readonly url: string;
  readonly haproxyConfig: string;
  /** The database the replicas use; `outage` exists only for a throwaway cluster. */
  readonly database: {
    readonly url: string;
    readonly outage?: { stop(): Promise<void>; start(): Promise<void> };
  };
  replicas(): ReplicaInfo[];
  /** HAProxy's view of every slot (UP, DOWN, DRAIN, MAINT…). */
  loadBalancerStatus(): Promise<ServerStat[]>;
  roll(opts?: RollOptions): Promise<RollResult>;
  /** Kills serving replica `index` (0-based, by slot) with SIGKILL unless told otherwise. */
  killReplica(index: number, signal?: NodeJS.Signals): Promise<KillResult>;
  stop(): Promise<void>;
}

const MAX_REPLICAS = 16;

export async function startLocalParity(opts: LocalParityOptions): Promise<LocalParity> {
  const log = opts.log ?? (() => {});
  if (!Number.isInteger(opts.replicas) || opts.replicas < 1 || opts.replicas > MAX_REPLICAS) {
    throw new Error(`--replicas must be a whole number from 1 to ${MAX_REPLICAS}, got ${opts.replicas}`);
  }
  const missing = checkPrerequisites({ containers: opts.containerImage !== undefined });
  if (missing.length > 0) throw new Error(missing.join('\n'));
  const { service } = opts;

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse())
      await fn().catch((err: Error) => log(`cleanup: ${err.message}`));
  };
  try {
    let cluster: ThrowawayCluster | undefined;
    let database: Database;
    if (opts.databaseUrl !== undefined) {
      database = { url: opts.databaseUrl, close: async () => {} };
    } else {
      cluster = await startThrowawayCluster(log);
      database = cluster;
      cleanups.push(() => cluster!.close());
    }
    const haproxy = await startHaproxy({
      service,
      replicas: opts.replicas,
      port: opts.port ?? 8080,
      log,
    });
    cleanups.push(() => haproxy.stop());
    const fleet = new Fleet({
      runtime: haproxy.runtime,
      service,
      slots: maxRunning(opts.replicas, service.deployment.maxPercent),
      databaseUrl: database.url,
      log,
      replaceCrashed: opts.replaceCrashed ?? true,
      ...(opts.command ? { command: opts.command } : {}),
      ...(opts.containerImage ? { containerImage: opts.containerImage } : {}),
    });
    cleanups.push(() => fleet.stopAll());
    const killOnExit = () => {
      fleet.killAllNow();
      haproxy.killNow();
    };
    process.once('exit', killOnExit);
    cleanups.push(async () => {
      process.off('exit', killOnExit);
    });
    const version = opts.version ?? 'local-1';
    await Promise.all(Array.from({ length: opts.replicas }, () => fleet.launch(version)));
    log(`${opts.replicas} replica(s) serving at ${haproxy.url}`);

    let rolling: Promise<RollResult> | undefined;
    let stopped: Promise<void> | undefined;
    return {
      url: haproxy.url,
      haproxyConfig: haproxy.configText,
      database: {
        url: database.url,
        ...(cluster
          ? { outage: { stop: () => cluster!.stopServer(), start: () => cluster!.startServer() } }
          : {}),
      },
      replicas: () => fleet.list(),
      loadBalancerStatus: () => haproxy.runtime.servers(),
      roll(rollOpts) {
        if (rolling)
          return Promise.reject(new Error('a roll-out is already in progress; wait for it to finish'));
        rolling = rollFleet(fleet, opts.replicas, rollOpts).finally(() => {
          rolling = undefined;
        });
        return rolling;
      },
      async killReplica(index, signal = 'SIGKILL') {
        const target = fleet.serving().sort((a, b) => a.id - b.id)[index];
        if (!target)
          throw new Error(`there is no serving replica ${index}; ${fleet.serving().length} are serving`);
        const killedAt = Date.now();
        target.signal(signal);
        await waitFor(
          `replica ${target.id} to leave the load balancer`,
          async () => (fleet.list().some((r) => r.id === target.id) ? undefined : true),
          { timeoutMs: service.stopTimeoutSeconds * 1000, intervalMs: 10 },
        );
        return { replicaId: target.id, outOfRotationMs: Date.now() - killedAt };
      },
      stop() {
        stopped ??= (async () => {
          await rolling?.catch(() => {});
          await cleanup();
        })();
        return stopped;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** A free loopback port for the load balancer (tests and the bench). */
export { freePort };
