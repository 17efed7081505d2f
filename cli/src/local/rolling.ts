import type { Fleet } from './fleet.js';
import { maxRunning, minHealthy } from './haproxy-config.js';
import type { Replica } from './replica.js';

/** What a roll-out needs from the fleet; tests substitute a recording fake. */
export type RollableFleet = Pick<Fleet, 'service' | 'serving' | 'launch' | 'retire' | 'killWithoutDrain'>;

export interface RollOptions {
  /** Label of the new release; replicas get it as BERTH_VERSION. */
  readonly newVersion?: string;
  /** Environment for the new replicas (a release's changed settings). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Retire old replicas with SIGKILL and no draining or deregistration. Unsafe by design: it exists so
   * tests can show that the safe path is what keeps requests from failing.
   */
  readonly unsafeSkipDrain?: boolean;
}

export interface RollResult {
  readonly toVersion: string;
  readonly replaced: number;
  readonly batches: number;
  readonly durationMs: number;
}

/**
 * Replaces every serving replica the way an ECS rolling deployment does: start new replicas up to
 * maxPercent, wait until the load balancer reports them healthy, then retire old ones while at least
 * minHealthyPercent stay healthy. A new replica that never turns healthy stops the roll-out and the
 * remaining old replicas keep serving (the deployment circuit breaker, without the automatic rollback).
 */
export async function rollFleet(
  fleet: RollableFleet,
  desired: number,
  opts: RollOptions = {},
): Promise<RollResult> {
  const started = Date.now();
  const toVersion = opts.newVersion ?? `v${started}`;
  const { minHealthyPercent, maxPercent } = fleet.service.deployment;
  const upper = maxRunning(desired, maxPercent);
  const lower = minHealthy(desired, minHealthyPercent);
  if (upper <= lower && lower >= desired) {
    throw new Error(
      `deployment maxPercent ${maxPercent} and minHealthyPercent ${minHealthyPercent} leave no room to replace ` +
        `${desired} replicas: raise maxPercent or lower minHealthyPercent`,
    );
  }
  const old = new Set<Replica>(fleet.serving());
  const fresh: Replica[] = [];
  let batches = 0;
  while (old.size > 0 || fresh.length < desired) {
    const running = old.size + fresh.length;
    const toStart = Math.min(upper - running, desired - fresh.length);
    if (toStart > 0) {
      batches++;
      // All of a batch start together, as ECS places them; one failure stops the deployment.
      const launched = await Promise.allSettled(
        Array.from({ length: toStart }, () => fleet.launch(toVersion, opts.env)),
      );
      const batch = launched.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failure = launched.find((r) => r.status === 'rejected');
      if (failure) {
        // Earlier batches already replaced old replicas and stay; this batch's survivors would only
        // push the fleet above its desired count with a release that is known to be bad.
        await Promise.all(batch.map((r) => fleet.retire(r, { drain: true })));
        const reason = (failure as PromiseRejectedResult).reason as Error;
        throw new RollFailedError(
          `roll-out to ${toVersion} stopped: ${reason.message}; ${old.size} old replica(s) still serving`,
          old.size,
        );
      }
      fresh.push(...batch);
    }
    const healthy = old.size + fresh.length;
    const toStop = Math.min(old.size, healthy - lower);
    if (toStop <= 0 && toStart <= 0) {
      throw new Error(`roll-out to ${toVersion} cannot make progress with ${healthy} healthy replicas`);
    }
    const retiring = [...old].slice(0, Math.max(0, toStop));
    for (const r of retiring) old.delete(r);
    await Promise.all(
      retiring.map((r) =>
        opts.unsafeSkipDrain ? fleet.killWithoutDrain(r) : fleet.retire(r, { drain: true }),
      ),
    );
  }
  return { toVersion, replaced: fresh.length, batches, durationMs: Date.now() - started };
}

export class RollFailedError extends Error {
  override readonly name = 'RollFailedError';
  constructor(
    message: string,
    readonly oldStillServing: number,
  ) {
    super(message);
  }
}
