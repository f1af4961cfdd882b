/**
 * The per-link remediation budget, as pure decisions over one item (`pk = budget#<link>`): the
 * attempts of the last 24 h (execution id → start time) and when the last remediation ended.
 *
 * Policy (why):
 * - The 24 h cap (`maxAttemptsPer24h`) applies to every trigger, drills and manual runs included,
 *   and they count against it: the cap exists to stop a replacement loop, whoever starts it. When it
 *   is spent the run changes nothing and pages a human ("exhausted").
 * - The cooldown (`cooldownMinutes` after the last remediation ended) applies to alarm-triggered
 *   runs only: it damps flapping alarms, while a drill or a manual run is a deliberate human act.
 * - Exhausted is reported before cooldown: it is the one that needs a human.
 * - A run whose attempt is already recorded proceeds: a retried CheckBudget must not refuse itself.
 * - A run that failed before changing anything (a Lambda or API failing for good, a table that
 *   cannot be read) gives its attempt back, but is remembered in `failedUnchanged`: alarm-triggered
 *   attempts then back off (1, 2, 4 … minutes after the last such failure, at most the cooldown),
 *   so a persistent failure is retried, not hammered every tick; the count lets notify page once
 *   when `maxAttemptsPer24h` runs in a row could not act. A completed attempt resets the series.
 */
import type { RemediationSettings } from '#shared/config.ts';
import type { Trigger } from '#shared/execution-name.ts';
import type { AttemptCompletion, BudgetOutcome, ReleaseOutcome } from './types.ts';

/** The budget item as stored. `version` guards every write (optimistic concurrency). */
export interface BudgetRecord {
  /** Execution id → when its attempt was recorded (ISO). */
  readonly attempts: Readonly<Record<string, string>>;
  readonly lastCompletedAt: string | null;
  readonly lastExecutionId: string | null;
  /**
   * Execution id → when it failed without changing anything, since the last completed attempt
   * (their attempts were given back; these drive the back-off, see {@link unchangedBackoff}).
   */
  readonly failedUnchanged: Readonly<Record<string, string>>;
  readonly version: number;
}

/** The budget of a link that has never been remediated (no item yet). */
export const EMPTY_BUDGET: BudgetRecord = {
  attempts: {},
  lastCompletedAt: null,
  lastExecutionId: null,
  failedUnchanged: {},
  version: 0,
};

/** Partition key of a link's budget item. */
export const budgetKey = (link: string): string => `budget#${link}`;

const WINDOW_MS = 24 * 60 * 60 * 1000;

/** What the budget allows, and the figures behind the decision. */
export interface BudgetDecision {
  readonly decision: 'proceed' | 'cooldown' | 'exhausted';
  readonly alreadyRecorded: boolean;
  /** Attempts still inside the 24 h window, oldest first. */
  readonly window: readonly (readonly [executionId: string, at: string])[];
  readonly cooldownUntil: Date | null;
  readonly nextAttemptAt: Date | null;
  /** Runs in a row (24 h) that failed before changing anything. */
  readonly unchangedFailures: number;
  /** Why a `cooldown` decision waits: the cooldown after a completed attempt, or the back-off. */
  readonly cooldownCause: 'cooldown' | 'backoff' | null;
}

/** The attempts still inside the 24 h window at `now`, oldest first. */
export function attemptsInWindow(record: BudgetRecord, now: Date): [string, string][] {
  return Object.entries(record.attempts)
    .filter(([, at]) => now.getTime() - new Date(at).getTime() < WINDOW_MS)
    .sort(([, a], [, b]) => a.localeCompare(b));
}

/** The back-off after runs that failed without changing anything: their count, and until when. */
export interface UnchangedBackoff {
  readonly failures: number;
  readonly until: Date | null;
}

/**
 * The back-off after `failures` runs in a row failed before changing anything: the next
 * alarm-triggered attempt waits 2^(failures-1) minutes after the last one (1, 2, 4, 8 …), at most
 * `cooldownMinutes`. None when the series is empty (or older than 24 h).
 */
export function unchangedBackoff(
  record: BudgetRecord,
  settings: Pick<RemediationSettings, 'cooldownMinutes'>,
  now: Date,
): UnchangedBackoff {
  const recent = Object.values(record.failedUnchanged ?? {})
    .filter((at) => now.getTime() - Date.parse(at) < WINDOW_MS)
    .sort();
  const last = recent.at(-1);
  if (!last) return { failures: 0, until: null };
  const minutes = Math.min(settings.cooldownMinutes, 2 ** (recent.length - 1));
  return { failures: recent.length, until: new Date(Date.parse(last) + minutes * 60_000) };
}

/** What the budget allows this execution to do. */
export function decideBudget(
  record: BudgetRecord,
  request: { executionId: string; trigger: Trigger; now: Date; settings: RemediationSettings },
): BudgetDecision {
  const { executionId, trigger, now, settings } = request;
  const window = attemptsInWindow(record, now);
  const alreadyRecorded = window.some(([id]) => id === executionId);
  const backoff = unchangedBackoff(record, settings, now);
  const base = {
    alreadyRecorded,
    window,
    cooldownUntil: null,
    nextAttemptAt: null,
    unchangedFailures: backoff.failures,
    cooldownCause: null,
  };
  if (alreadyRecorded) return { ...base, decision: 'proceed' };
  if (window.length >= settings.maxAttemptsPer24h) {
    const oldest = window[0]?.[1];
    const nextAttemptAt = oldest ? new Date(new Date(oldest).getTime() + WINDOW_MS) : null;
    return { ...base, decision: 'exhausted', nextAttemptAt };
  }
  if (trigger === 'alarm' && record.lastCompletedAt) {
    const until = new Date(new Date(record.lastCompletedAt).getTime() + settings.cooldownMinutes * 60_000);
    if (now < until)
      return { ...base, decision: 'cooldown', cooldownUntil: until, cooldownCause: 'cooldown' };
  }
  if (trigger === 'alarm' && backoff.until && now < backoff.until) {
    return { ...base, decision: 'cooldown', cooldownUntil: backoff.until, cooldownCause: 'backoff' };
  }
  return { ...base, decision: 'proceed' };
}

/** The record with this execution's attempt added and attempts older than 24 h dropped. */
export function withAttempt(record: BudgetRecord, executionId: string, now: Date): BudgetRecord {
  const kept = Object.fromEntries(attemptsInWindow(record, now));
  return { ...record, attempts: { ...kept, [executionId]: now.toISOString() }, version: record.version + 1 };
}

/**
 * The record after this execution's run ended, or null when it has nothing to change (no attempt of
 * this execution is recorded, or `none` was asked). `failed`: the run ended in failure; a withdrawn
 * attempt of a failed run joins the `failedUnchanged` series.
 */
export function afterCompletion(
  record: BudgetRecord,
  executionId: string,
  completion: AttemptCompletion,
  now: Date,
  failed = false,
): BudgetRecord | null {
  if (completion === 'none' || !(executionId in record.attempts)) return null;
  if (completion === 'withdrawn') {
    const { [executionId]: _dropped, ...rest } = record.attempts;
    const failedUnchanged = failed
      ? { ...(record.failedUnchanged ?? {}), [executionId]: now.toISOString() }
      : (record.failedUnchanged ?? {});
    return { ...record, attempts: rest, failedUnchanged, version: record.version + 1 };
  }
  return {
    ...record,
    lastCompletedAt: now.toISOString(),
    lastExecutionId: executionId,
    failedUnchanged: {},
    version: record.version + 1,
  };
}

/** TTL of the budget item: nothing in it matters once the window and the cooldown have passed. */
export function budgetExpiry(now: Date, settings: RemediationSettings): number {
  return Math.floor((now.getTime() + WINDOW_MS + settings.cooldownMinutes * 60_000) / 1000);
}

/** The check-budget output for a decision. */
export function budgetOutcome(
  decision: BudgetDecision,
  context: {
    dryRun: boolean;
    trigger: Trigger;
    settings: RemediationSettings;
    lastCompletedAt: string | null;
  },
): BudgetOutcome {
  const { dryRun, settings } = context;
  const max = settings.maxAttemptsPer24h;
  const used = decision.window.length;
  const stop = (outcome: string) => (dryRun ? `; a real run would stop here (${outcome})` : '');
  const common = {
    maxAttemptsPer24h: max,
    cooldownUntil: decision.cooldownUntil?.toISOString() ?? null,
    nextAttemptAt: decision.nextAttemptAt?.toISOString() ?? null,
    unchangedFailures: decision.unchangedFailures,
  };
  switch (decision.decision) {
    case 'exhausted':
      return {
        ...common,
        proceed: dryRun,
        decision: 'exhausted',
        recorded: false,
        attemptsInWindow: used,
        notes: [
          `Budget: ${used} of ${max} attempts used in the last 24 h (oldest at ${decision.window[0]?.[1] ?? '?'}); automatic remediation exhausted, a human is needed; next automatic attempt possible after ${common.nextAttemptAt ?? '?'}${stop('exhausted')}`,
        ],
      };
    case 'cooldown':
      return {
        ...common,
        proceed: dryRun,
        decision: 'cooldown',
        recorded: false,
        attemptsInWindow: used,
        notes: [
          decision.cooldownCause === 'backoff'
            ? `Back-off: ${decision.unchangedFailures} run(s) in a row failed before changing anything; alarm-triggered remediations wait until ${common.cooldownUntil ?? '?'} (doubling, at most ${settings.cooldownMinutes} min)${stop('skipped-cooldown')}`
            : `Cooldown: the last remediation ended at ${context.lastCompletedAt ?? '?'}; alarm-triggered remediations wait ${settings.cooldownMinutes} min, until ${common.cooldownUntil ?? '?'}${stop('skipped-cooldown')}`,
        ],
      };
    case 'proceed': {
      const count = decision.alreadyRecorded ? used : used + 1;
      const bypass =
        context.trigger !== 'alarm' && context.lastCompletedAt
          ? ` (a ${context.trigger} bypasses the cooldown)`
          : '';
      const note = decision.alreadyRecorded
        ? `Budget: attempt ${count} of ${max} in the last 24 h was already recorded for this execution`
        : dryRun
          ? `Budget: ${used} of ${max} attempts used in the last 24 h; a real run would record attempt ${count} (dry run: not recorded)${bypass}`
          : `Budget: recorded attempt ${count} of ${max} in the last 24 h${bypass}`;
      return {
        ...common,
        proceed: true,
        decision: 'proceed',
        recorded: !dryRun || decision.alreadyRecorded,
        attemptsInWindow: count,
        notes: [note],
      };
    }
  }
}

/** Note for the release-lock output. */
export function releaseOutcome(
  released: boolean,
  budget: ReleaseOutcome['budget'],
  dryRun: boolean,
): ReleaseOutcome {
  if (dryRun) {
    return {
      released: false,
      budget: 'unchanged',
      releaseError: null,
      notes: ['Lock: nothing to release (dry run took no lock)'],
    };
  }
  const lock = released ? 'Lock: released' : 'Lock: not held by this execution, nothing released';
  const extra =
    budget === 'cooldown-started'
      ? '; cooldown started'
      : budget === 'attempt-withdrawn'
        ? '; budget attempt withdrawn (nothing was changed)'
        : '';
  return { released, budget, releaseError: null, notes: [`${lock}${extra}`] };
}
