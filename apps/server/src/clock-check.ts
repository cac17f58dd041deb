/**
 * This process's clock against the database's. The processes of an installation on PostgreSQL
 * may run on several machines, and they take turns through leases stamped with their own clocks
 * (the notification planner's and the event chain's cursors for 60 s, a job for 5 minutes): a
 * process whose clock runs ahead sees another's lease as run out and takes over work that is
 * still being done (a notice sent twice). The database's clock is the one all of them share, so
 * each process compares its own with it: `postkasse_clock_offset_seconds` in /metrics, a warning
 * from 2 s, and from 30 s (half the shortest lease) the worker takes no lease until the clock is
 * set right. SQLite reads this machine's clock, so there is nothing to compare.
 */
import type { Deps } from '@postkasse/core';

/** From here on the log says so. */
export const CLOCK_WARN_SECONDS = 2;
/** From here on the worker pauses: half of the shortest lease (60 s). */
export const CLOCK_PAUSE_SECONDS = 30;

export type ClockOffset = {
  /** The database's clock minus this process's, in seconds (positive: this process is behind). */
  seconds: number;
  /** Half the round trip: how far the figure may be off. */
  uncertainty: number;
};

/** Null where the database has no clock of its own. */
export async function measureClockOffset(deps: Pick<Deps, 'store' | 'clock'>): Promise<ClockOffset | null> {
  const before = deps.clock.now().getTime();
  const server = await deps.store.serverTime();
  const after = deps.clock.now().getTime();
  if (!server) return null;
  return { seconds: (server.getTime() - (before + after) / 2) / 1000, uncertainty: (after - before) / 2000 };
}

export type ClockState = 'ok' | 'off' | 'paused';

export function clockState(offset: ClockOffset | null): ClockState {
  if (!offset) return 'ok';
  const off = Math.abs(offset.seconds) - offset.uncertainty;
  if (off >= CLOCK_PAUSE_SECONDS) return 'paused';
  return off >= CLOCK_WARN_SECONDS ? 'off' : 'ok';
}

type Log = {
  info(obj: object, message: string): void;
  warn(obj: object, message: string): void;
  error(obj: object, message: string): void;
};

/**
 * The worker's watch: measures at most once a minute, says when the state changes and every ten
 * minutes while it is not ok, and answers whether the worker may take leases.
 */
export function createClockWatch(deps: Pick<Deps, 'store' | 'clock'>, everyMs = 60_000) {
  let measuredAt = Number.NEGATIVE_INFINITY;
  let state: ClockState = 'ok';
  let loggedAt = Number.NEGATIVE_INFINITY;
  return {
    /** Whether the worker may run a round now. Measuring failures pass to the caller. */
    async allows(log: Log | null): Promise<boolean> {
      // Real time, not deps.clock: the watch's own schedule must not jump with the clock it checks.
      const now = performance.now();
      if (now - measuredAt >= everyMs) {
        const last = await measureClockOffset(deps);
        measuredAt = now;
        const next = clockState(last);
        const changed = next !== state;
        const was = state;
        state = next;
        if (changed && state === 'ok') {
          log?.info(
            { offsetSeconds: last ? Number(last.seconds.toFixed(3)) : null, was },
            "this process's clock agrees with the database's again",
          );
        }
        if (last && state !== 'ok' && (changed || now - loggedAt >= 10 * 60_000)) {
          loggedAt = now;
          const facts = {
            offsetSeconds: Number(last.seconds.toFixed(3)),
            warnSeconds: CLOCK_WARN_SECONDS,
            pauseSeconds: CLOCK_PAUSE_SECONDS,
          };
          if (state === 'paused') {
            log?.error(
              facts,
              "this process's clock is off from the database's by more than the worker allows: it takes no job " +
                'or lease until the clock is set right (NTP), so as not to take over work another process holds',
            );
          } else {
            log?.warn(facts, "this process's clock is off from the database's: set it right (NTP)");
          }
        }
      }
      return state !== 'paused';
    },
  };
}
