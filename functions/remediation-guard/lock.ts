/**
 * The per-link remediation lock, as pure decisions. One item per link (`pk = lock#<link>`) holds the
 * execution id; it expires (`expiresAt`, epoch seconds, also the table's TTL attribute) after the
 * longest a Remediation execution can run, so a crashed run cannot wedge the link.
 */
import type { LockOutcome } from './types.ts';

/** The lock item as stored. */
export interface LockItem {
  readonly holder: string;
  readonly acquiredAt: string | null;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

/** Partition key of a link's lock item. */
export const lockKey = (link: string): string => `lock#${link}`;

/** Epoch seconds. */
export const epochSeconds = (at: Date): number => Math.floor(at.getTime() / 1000);

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** Whether the item still holds the lock at `now` (an expired item is free even before TTL deletes it). */
export function isLive(item: LockItem, now: Date): boolean {
  return item.expiresAt >= epochSeconds(now);
}

/** A real run's PutItem succeeded. `previous` is the item it replaced, if any. */
export function acquiredOutcome(
  executionId: string,
  expiresAt: number,
  previous: LockItem | null,
): LockOutcome {
  const reacquired = previous?.holder === executionId;
  const took = previous && !reacquired ? ` (took over an expired lock of ${previous.holder})` : '';
  return {
    proceed: true,
    acquired: true,
    decision: reacquired ? 'reacquired' : 'acquired',
    holder: executionId,
    expiresAt: iso(expiresAt),
    notes: [
      reacquired
        ? `Lock: already held by this execution, expiry extended to ${iso(expiresAt)}`
        : `Lock: acquired until ${iso(expiresAt)}${took}`,
    ],
  };
}

/** A real run's conditional PutItem failed: someone else holds a live lock. */
export function heldOutcome(current: LockItem | null): LockOutcome {
  return {
    proceed: false,
    acquired: false,
    decision: 'held-by-other',
    holder: current?.holder ?? null,
    expiresAt: current ? iso(current.expiresAt) : null,
    notes: [
      current
        ? `Lock: held by ${current.holder} until ${iso(current.expiresAt)}; another remediation is running, this one stops`
        : 'Lock: held by another execution; this one stops',
    ],
  };
}

/** A dry run reads the lock and reports what a real run would decide, taking nothing. */
export function dryRunLockOutcome(current: LockItem | null, executionId: string, now: Date): LockOutcome {
  const free = !current || !isLive(current, now) || current.holder === executionId;
  if (free) {
    return {
      proceed: true,
      acquired: false,
      decision: 'would-acquire',
      holder: null,
      expiresAt: null,
      notes: ['Lock: free; a real run would acquire it (dry run: not taken)'],
    };
  }
  return {
    proceed: true,
    acquired: false,
    decision: 'would-skip-locked',
    holder: current.holder,
    expiresAt: iso(current.expiresAt),
    notes: [
      `Lock: held by ${current.holder} until ${iso(current.expiresAt)}; a real run would stop here (skipped-locked)`,
    ],
  };
}
