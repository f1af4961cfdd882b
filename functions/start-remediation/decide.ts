/**
 * The incident decision for one link and one observation, pure (table-tested).
 *
 * - A failing link with no open incident opens one (attempt 1, named after the observation's time).
 * - While the current attempt may still be running (it holds the lock, or it started less than
 *   {@link START_GRACE_SECONDS} ago and has reported nothing), the trigger re-sends its start:
 *   Step Functions' name uniqueness makes every trigger of one attempt the same execution.
 * - Once it has ended unrecovered (it reported an outcome, or its lock is free or expired: a
 *   crashed run), the next attempt starts as soon as the gates allow: not while another execution
 *   holds a live lock, not before the cooldown ends, and, when the 24 h budget is spent, once only
 *   (that attempt reports "exhausted" and pages), then not until the budget frees.
 * - A healthy tick while an incident is open and no remediation holds the lock counts towards
 *   closing it (`verifySamples` in a row); a run that verified recovery closes it itself (notify).
 * - An alarm event older than the last closed incident's end is that incident's echo: ignored.
 */
import type { BudgetRecord } from '#functions/remediation-guard/budget.ts';
import { attemptsInWindow, unchangedBackoff } from '#functions/remediation-guard/budget.ts';
import type { LockItem } from '#functions/remediation-guard/lock.ts';
import { isLive } from '#functions/remediation-guard/lock.ts';
import type { RemediationSettings } from '#shared/config.ts';
import { executionNameOfArn, MAX_ATTEMPT } from '#shared/execution-name.ts';
import { attemptExecutionName, CLOSING_OUTCOMES, type IncidentRecord, toSecond } from '#shared/incident.ts';
import type { Observation } from './types.ts';

/**
 * A just-started attempt holds the lock within seconds (ValidateInput, AcquireLock); until this long
 * after its start, a free lock is not yet evidence that it ended.
 */
export const START_GRACE_SECONDS = 90;

const WINDOW_MS = 24 * 60 * 60 * 1000;

/** What the table holds for the link. */
export interface LinkItems {
  readonly incident: IncidentRecord | null;
  readonly lock: LockItem | null;
  readonly budget: BudgetRecord | null;
}

/** What to do. */
export type StartDecision =
  | {
      readonly kind: 'open';
      readonly startedAt: string;
      readonly executionName: string;
      readonly detail: string;
    }
  | {
      readonly kind: 'start';
      readonly attempt: number;
      readonly executionName: string;
      /** It holds the lock: known to be running (the start is re-sent, and converges on it). */
      readonly running: boolean;
      readonly detail: string;
    }
  | {
      readonly kind: 'advance';
      readonly from: number;
      readonly attempt: number;
      readonly executionName: string;
      readonly detail: string;
    }
  | { readonly kind: 'wait'; readonly detail: string }
  | {
      readonly kind: 'healthy-tick';
      readonly healthyTicks: number;
      readonly close: boolean;
      readonly detail: string;
    }
  | { readonly kind: 'none'; readonly detail: string };

const iso = (ms: number): string => new Date(ms).toISOString();

/** Decides what one observation of one link does to its incident. */
export function decideStart(
  observation: Observation,
  items: LinkItems,
  settings: Pick<RemediationSettings, 'cooldownMinutes' | 'maxAttemptsPer24h' | 'verifySamples'>,
  now: Date,
): StartDecision {
  const { incident, lock } = items;
  const open = incident?.status === 'open' ? incident : null;
  const lockLive = lock !== null && isLive(lock, now);

  if (observation.state === 'unknown') {
    return { kind: 'none', detail: `collection incomplete (${observation.detail}): not evidence either way` };
  }
  if (observation.state === 'healthy') {
    if (!open) return { kind: 'none', detail: `healthy (${observation.detail})` };
    if (lockLive) {
      return {
        kind: 'none',
        detail: `healthy, but ${executionNameOfArn(lock.holder)} holds the lock: it verifies and closes the incident`,
      };
    }
    const healthyTicks = open.healthyTicks + 1;
    const close = healthyTicks >= settings.verifySamples;
    return {
      kind: 'healthy-tick',
      healthyTicks,
      close,
      detail: close
        ? `healthy on ${healthyTicks} ticks in a row with no remediation running: incident since ${open.startedAt} closed`
        : `healthy tick ${healthyTicks} of ${settings.verifySamples} needed to close the incident since ${open.startedAt}`,
    };
  }

  // Failing.
  if (!open || (open.lastOutcome !== null && CLOSING_OUTCOMES.has(open.lastOutcome))) {
    if (
      incident?.closedAt &&
      observation.source === 'alarm' &&
      observation.at.getTime() <= Date.parse(incident.closedAt)
    ) {
      return {
        kind: 'none',
        detail: `the alarm entered ALARM at ${toSecond(observation.at)}, before the incident since ${incident.startedAt} closed at ${incident.closedAt}: the same, healed incident`,
      };
    }
    const startedAt = toSecond(observation.at);
    return {
      kind: 'open',
      startedAt,
      executionName: attemptExecutionName(observation.link, startedAt, 1),
      detail: `link failing (${observation.detail}): incident opened at ${startedAt}, attempt 1`,
    };
  }

  const current = open.executionName || attemptExecutionName(open.link, open.startedAt, open.attempt);
  const holder = lockLive ? executionNameOfArn(lock.holder) : null;
  if (holder === current) {
    return {
      kind: 'start',
      attempt: open.attempt,
      executionName: current,
      running: true,
      detail: `attempt ${open.attempt} (${current}) is running`,
    };
  }
  const reported = open.lastOutcomeAttempt === open.attempt && open.lastOutcome !== null;
  const sinceStart = (now.getTime() - Date.parse(open.attemptStartedAt)) / 1000;
  if (!reported && sinceStart < START_GRACE_SECONDS) {
    return {
      kind: 'start',
      attempt: open.attempt,
      executionName: current,
      running: false,
      detail: `attempt ${open.attempt} (${current}) started ${Math.round(sinceStart)} s ago`,
    };
  }
  const ended = reported
    ? `attempt ${open.attempt} ended ${open.lastOutcome}`
    : `attempt ${open.attempt} ended without reporting (its lock is free or expired)`;
  if (holder !== null && lock) {
    return {
      kind: 'wait',
      detail: `${ended}; ${holder} holds the lock until ${iso(lock.expiresAt * 1000)}: the next attempt starts when it frees`,
    };
  }
  if (open.attempt >= MAX_ATTEMPT) {
    return { kind: 'wait', detail: `${ended}; attempt ${MAX_ATTEMPT} is the last one a name can carry` };
  }
  const budget = items.budget;
  if (budget) {
    const window = attemptsInWindow(budget, now);
    if (window.length >= settings.maxAttemptsPer24h && reported && open.lastOutcome === 'exhausted') {
      const oldest = window[0]?.[1];
      const next = oldest ? iso(Date.parse(oldest) + WINDOW_MS) : '?';
      return {
        kind: 'wait',
        detail: `${ended}; the 24 h budget is spent (${window.length} of ${settings.maxAttemptsPer24h}) and a human was paged: the next attempt is possible after ${next}`,
      };
    }
    if (window.length < settings.maxAttemptsPer24h && budget.lastCompletedAt) {
      const until = Date.parse(budget.lastCompletedAt) + settings.cooldownMinutes * 60_000;
      if (now.getTime() < until) {
        return {
          kind: 'wait',
          detail: `${ended}; cooldown until ${iso(until)}: the next attempt starts then`,
        };
      }
    }
    // Runs that failed before changing anything (a function or API failing for good) are retried
    // with a back-off, not every tick: the same gate CheckBudget applies.
    const backoff = unchangedBackoff(budget, settings, now);
    if (backoff.until && now < backoff.until) {
      return {
        kind: 'wait',
        detail: `${ended}; ${backoff.failures} run(s) in a row failed before changing anything: back-off until ${iso(backoff.until.getTime())}, the next attempt starts then`,
      };
    }
  }
  const attempt = open.attempt + 1;
  return {
    kind: 'advance',
    from: open.attempt,
    attempt,
    executionName: attemptExecutionName(open.link, open.startedAt, attempt),
    detail: `${ended}; link still failing (${observation.detail}): attempt ${attempt} of the incident since ${open.startedAt}`,
  };
}
