/**
 * The lock and budget steps: adapters (passed in as the table) plus the pure decisions. A dry run
 * reads and reports, and writes nothing.
 */
import type { RemediationSettings } from '#shared/config.ts';
import { describeError } from '#shared/errors.ts';
import type { Trigger } from '#shared/execution-name.ts';
import { logger } from '#shared/powertools.ts';
import { deleteLock, getBudget, getLock, type LockTable, putLock, writeBudget } from './adapters.ts';
import {
  afterCompletion,
  budgetExpiry,
  budgetKey,
  budgetOutcome,
  decideBudget,
  EMPTY_BUDGET,
  releaseOutcome,
  withAttempt,
} from './budget.ts';
import { LockTableError } from './errors.ts';
import { acquiredOutcome, dryRunLockOutcome, epochSeconds, heldOutcome, lockKey } from './lock.ts';
import type { AttemptCompletion, BudgetOutcome, LockOutcome, ReleaseOutcome } from './types.ts';

type Options = { signal: AbortSignal; sleep?: (ms: number) => Promise<void> };

/** Optimistic writes of the budget item: re-read and re-decide this many times before giving up. */
const BUDGET_WRITE_TRIES = 3;

/** acquire-lock: a conditional put (real run) or a read reporting what a real run would decide. */
export async function acquireLock(
  table: LockTable,
  request: { link: string; executionId: string; dryRun: boolean; now: Date; ttlSeconds: number },
  options: Options,
): Promise<LockOutcome> {
  const pk = lockKey(request.link);
  if (request.dryRun) {
    return dryRunLockOutcome(await getLock(table, pk, options), request.executionId, request.now);
  }
  const now = epochSeconds(request.now);
  const expiresAt = now + request.ttlSeconds;
  const result = await putLock(
    table,
    { pk, holder: request.executionId, acquiredAt: request.now.toISOString(), expiresAt, now },
    options,
  );
  return result.acquired
    ? acquiredOutcome(request.executionId, expiresAt, result.previous)
    : heldOutcome(result.current);
}

/** check-budget: decide, and in a real run that proceeds, record the attempt (conditional update). */
export async function checkBudget(
  table: LockTable,
  request: {
    link: string;
    executionId: string;
    trigger: Trigger;
    dryRun: boolean;
    now: Date;
    settings: RemediationSettings;
  },
  options: Options,
): Promise<BudgetOutcome> {
  const pk = budgetKey(request.link);
  for (let attempt = 1; attempt <= BUDGET_WRITE_TRIES; attempt++) {
    const stored = await getBudget(table, pk, options);
    const record = stored ?? EMPTY_BUDGET;
    const decision = decideBudget(record, request);
    const outcome = budgetOutcome(decision, { ...request, lastCompletedAt: record.lastCompletedAt });
    if (request.dryRun || decision.decision !== 'proceed' || decision.alreadyRecorded) return outcome;
    const written = await writeBudget(
      table,
      pk,
      {
        record: withAttempt(record, request.executionId, request.now),
        expectedVersion: record.version,
        expiresAt: budgetExpiry(request.now, request.settings),
      },
      options,
    );
    if (written) return outcome;
  }
  throw new LockTableError(
    `UpdateItem ${pk}: the budget item kept changing under us (${BUDGET_WRITE_TRIES} tries)`,
  );
}

/**
 * release-lock: settle this execution's budget attempt (start the cooldown, or withdraw it), then
 * delete the lock if this execution still holds it. Both are conditional, so a retry is harmless.
 */
export async function releaseLock(
  table: LockTable,
  request: {
    link: string;
    executionId: string;
    dryRun: boolean;
    attempt: AttemptCompletion;
    failed?: boolean;
    now: Date;
    settings: RemediationSettings;
  },
  options: Options,
): Promise<ReleaseOutcome> {
  if (request.dryRun) return releaseOutcome(false, 'unchanged', true);
  // Bookkeeping never overrides the outcome: when the table cannot be written (after a few tries),
  // the lock falls back to its expiry and the budget keeps the attempt; the failure is logged and
  // reported in the notes, and the run goes on to say how it ended.
  const errors: string[] = [];
  const budget = await withFallback(
    () => settleAttempt(table, request, options),
    'unchanged' as const,
    `settling the budget attempt of ${request.link}`,
    errors,
    options,
  );
  const released = await withFallback(
    () => deleteLock(table, { pk: lockKey(request.link), holder: request.executionId }, options),
    false,
    `releasing the lock of ${request.link}`,
    errors,
    options,
  );
  const outcome = releaseOutcome(released, budget, false);
  if (errors.length === 0) return outcome;
  return {
    ...outcome,
    releaseError: errors.join('; '),
    notes: [
      `Lock: could not be written (${errors.join('; ')}); it falls back to its expiry, so the next run can take it then${
        budget === 'unchanged' && request.attempt !== 'none' ? '; the budget attempt stays counted' : ''
      }`,
    ],
  };
}

/** Tries of one release step before falling back. */
const RELEASE_TRIES = 3;
const RELEASE_BACKOFF_MS = [200, 600];

async function withFallback<T>(
  work: () => Promise<T>,
  fallback: T,
  what: string,
  errors: string[],
  options: Options & { sleep?: (ms: number) => Promise<void> },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= RELEASE_TRIES || options.signal.aborted) {
        const { name, message } = describeError(error);
        logger.warn(`${what} failed; falling back to the lock's expiry`, { error: { name, message } });
        errors.push(`${name}: ${message}`);
        return fallback;
      }
      const delay = RELEASE_BACKOFF_MS[attempt - 1] ?? 600;
      await (options.sleep ? options.sleep(delay) : new Promise((resolve) => setTimeout(resolve, delay)));
    }
  }
}

async function settleAttempt(
  table: LockTable,
  request: {
    link: string;
    executionId: string;
    attempt: AttemptCompletion;
    failed?: boolean;
    now: Date;
    settings: RemediationSettings;
  },
  options: Options,
): Promise<ReleaseOutcome['budget']> {
  if (request.attempt === 'none') return 'unchanged';
  const pk = budgetKey(request.link);
  for (let attempt = 1; attempt <= BUDGET_WRITE_TRIES; attempt++) {
    const record = await getBudget(table, pk, options);
    const next =
      record && afterCompletion(record, request.executionId, request.attempt, request.now, request.failed);
    if (!record || !next) return 'unchanged';
    const written = await writeBudget(
      table,
      pk,
      {
        record: next,
        expectedVersion: record.version,
        expiresAt: budgetExpiry(request.now, request.settings),
      },
      options,
    );
    if (written) return request.attempt === 'completed' ? 'cooldown-started' : 'attempt-withdrawn';
  }
  throw new LockTableError(
    `UpdateItem ${pk}: the budget item kept changing under us (${BUDGET_WRITE_TRIES} tries)`,
  );
}
