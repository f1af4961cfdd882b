/** The remediation budget's pure decisions: cooldown, 24 h cap, drills, idempotent retries. */
import { describe, expect, it } from 'vitest';
import {
  afterCompletion,
  attemptsInWindow,
  type BudgetRecord,
  budgetExpiry,
  budgetOutcome,
  decideBudget,
  EMPTY_BUDGET,
  unchangedBackoff,
  withAttempt,
} from '#functions/remediation-guard/budget.ts';
import type { RemediationSettings } from '#shared/config.ts';

const SETTINGS: RemediationSettings = {
  enabled: true,
  cooldownMinutes: 15,
  maxAttemptsPer24h: 3,
  replacementTimeoutMinutes: 10,
  verifyTimeoutMinutes: 5,
  verifySamples: 2,
  confirmSeconds: 30,
};
const NOW = new Date('2026-11-26T12:00:00.000Z');
const ME = 'arn:aws:states:us-east-1:111111111111:execution:remediation:home-to-west-alarm-20261126T115800';

const record = (
  attempts: Record<string, string>,
  lastCompletedAt: string | null = null,
  version = 4,
): BudgetRecord => ({
  attempts,
  lastCompletedAt,
  lastExecutionId: null,
  failedUnchanged: {},
  version,
});

describe('decideBudget', () => {
  it('lets the first remediation of the day proceed', () => {
    const decision = decideBudget(EMPTY_BUDGET, {
      executionId: ME,
      trigger: 'alarm',
      now: NOW,
      settings: SETTINGS,
    });
    expect(decision).toMatchObject({ decision: 'proceed', alreadyRecorded: false, window: [] });
  });

  it('stops an alarm run within the cooldown after the last remediation ended, saying until when', () => {
    const budget = record({ a: '2026-11-26T11:40:00.000Z' }, '2026-11-26T11:50:00.000Z');
    const decision = decideBudget(budget, {
      executionId: ME,
      trigger: 'alarm',
      now: NOW,
      settings: SETTINGS,
    });
    expect(decision.decision).toBe('cooldown');
    expect(decision.cooldownUntil?.toISOString()).toBe('2026-11-26T12:05:00.000Z');
  });

  it('lets a drill or a manual run through the cooldown', () => {
    const budget = record({ a: '2026-11-26T11:40:00.000Z' }, '2026-11-26T11:50:00.000Z');
    for (const trigger of ['drill', 'manual'] as const) {
      expect(decideBudget(budget, { executionId: ME, trigger, now: NOW, settings: SETTINGS }).decision).toBe(
        'proceed',
      );
    }
  });

  it('lets an alarm run through once the cooldown has passed', () => {
    const budget = record({ a: '2026-11-26T11:00:00.000Z' }, '2026-11-26T11:45:00.000Z');
    expect(
      decideBudget(budget, { executionId: ME, trigger: 'alarm', now: NOW, settings: SETTINGS }).decision,
    ).toBe('proceed');
  });

  it('reports exhausted, for drills too, when the 24 h cap is reached, with when the oldest attempt expires', () => {
    const budget = record({
      a: '2026-11-25T13:00:00.000Z',
      b: '2026-11-26T02:00:00.000Z',
      c: '2026-11-26T08:00:00.000Z',
    });
    for (const trigger of ['alarm', 'drill', 'manual'] as const) {
      const decision = decideBudget(budget, { executionId: ME, trigger, now: NOW, settings: SETTINGS });
      expect(decision.decision).toBe('exhausted');
      expect(decision.nextAttemptAt?.toISOString()).toBe('2026-11-26T13:00:00.000Z');
    }
  });

  it('reports exhausted before cooldown when both apply', () => {
    const budget = record(
      { a: '2026-11-26T10:00:00.000Z', b: '2026-11-26T11:00:00.000Z', c: '2026-11-26T11:40:00.000Z' },
      '2026-11-26T11:55:00.000Z',
    );
    expect(
      decideBudget(budget, { executionId: ME, trigger: 'alarm', now: NOW, settings: SETTINGS }).decision,
    ).toBe('exhausted');
  });

  it('no longer counts attempts older than 24 h', () => {
    const budget = record({
      a: '2026-11-25T11:59:59.000Z',
      b: '2026-11-25T10:00:00.000Z',
      c: '2026-11-26T08:00:00.000Z',
    });
    const decision = decideBudget(budget, {
      executionId: ME,
      trigger: 'alarm',
      now: NOW,
      settings: SETTINGS,
    });
    expect(decision.decision).toBe('proceed');
    expect(decision.window).toEqual([['c', '2026-11-26T08:00:00.000Z']]);
  });

  it('lets a retried CheckBudget of an execution whose attempt is recorded proceed, even at the cap and in the cooldown', () => {
    const budget = record(
      { a: '2026-11-26T10:00:00.000Z', b: '2026-11-26T11:00:00.000Z', [ME]: '2026-11-26T11:59:00.000Z' },
      '2026-11-26T11:55:00.000Z',
    );
    const decision = decideBudget(budget, {
      executionId: ME,
      trigger: 'alarm',
      now: NOW,
      settings: SETTINGS,
    });
    expect(decision).toMatchObject({ decision: 'proceed', alreadyRecorded: true });
  });
});

describe('unchangedBackoff', () => {
  const failures = (...at: string[]) => ({
    ...record({}),
    failedUnchanged: Object.fromEntries(at.map((t, i) => [`x${i}`, t])),
  });
  it('waits 1, 2, 4 … minutes after the last run that failed without changing anything, at most the cooldown', () => {
    expect(unchangedBackoff(record({}), SETTINGS, NOW)).toEqual({ failures: 0, until: null });
    expect(unchangedBackoff(failures('2026-11-26T11:59:30.000Z'), SETTINGS, NOW).until?.toISOString()).toBe(
      '2026-11-26T12:00:30.000Z',
    );
    const three = failures(
      '2026-11-26T11:50:00.000Z',
      '2026-11-26T11:52:00.000Z',
      '2026-11-26T11:58:00.000Z',
    );
    expect(unchangedBackoff(three, SETTINGS, NOW)).toEqual({
      failures: 3,
      until: new Date('2026-11-26T12:02:00.000Z'),
    });
    const many = failures(...Array.from({ length: 8 }, (_, i) => `2026-11-26T0${i}:00:00.000Z`));
    expect(unchangedBackoff(many, SETTINGS, NOW).until?.toISOString()).toBe('2026-11-26T07:15:00.000Z');
    expect(unchangedBackoff(failures('2026-11-25T11:00:00.000Z'), SETTINGS, NOW).failures).toBe(0);
  });

  it('holds back alarm-triggered runs only; a drill or a manual run is a deliberate act', () => {
    const budget = failures('2026-11-26T11:58:00.000Z', '2026-11-26T11:59:00.000Z');
    const alarm = decideBudget(budget, { executionId: ME, trigger: 'alarm', now: NOW, settings: SETTINGS });
    expect(alarm).toMatchObject({ decision: 'cooldown', cooldownCause: 'backoff', unchangedFailures: 2 });
    expect(alarm.cooldownUntil?.toISOString()).toBe('2026-11-26T12:01:00.000Z');
    expect(
      budgetOutcome(alarm, { dryRun: false, trigger: 'alarm', settings: SETTINGS, lastCompletedAt: null })
        .notes[0],
    ).toMatch(/^Back-off: 2 run\(s\) in a row failed before changing anything/);
    expect(
      decideBudget(budget, { executionId: ME, trigger: 'drill', now: NOW, settings: SETTINGS }).decision,
    ).toBe('proceed');
  });
});

describe('budget records', () => {
  it('adds this attempt, drops attempts older than 24 h and bumps the version', () => {
    const budget = record({ old: '2026-11-25T09:00:00.000Z', recent: '2026-11-26T09:00:00.000Z' }, null, 7);
    expect(withAttempt(budget, ME, NOW)).toEqual({
      attempts: { recent: '2026-11-26T09:00:00.000Z', [ME]: NOW.toISOString() },
      lastCompletedAt: null,
      lastExecutionId: null,
      failedUnchanged: {},
      version: 8,
    });
  });

  it('starts the cooldown when a recorded attempt completes', () => {
    const budget = record({ [ME]: '2026-11-26T11:40:00.000Z' }, null, 2);
    expect(afterCompletion(budget, ME, 'completed', NOW)).toEqual({
      attempts: { [ME]: '2026-11-26T11:40:00.000Z' },
      lastCompletedAt: NOW.toISOString(),
      lastExecutionId: ME,
      failedUnchanged: {},
      version: 3,
    });
  });

  it('withdraws a recorded attempt when nothing was changed', () => {
    const budget = record(
      { other: '2026-11-26T10:00:00.000Z', [ME]: '2026-11-26T11:40:00.000Z' },
      '2026-11-26T10:30:00.000Z',
      2,
    );
    expect(afterCompletion(budget, ME, 'withdrawn', NOW)).toEqual({
      attempts: { other: '2026-11-26T10:00:00.000Z' },
      lastCompletedAt: '2026-11-26T10:30:00.000Z',
      lastExecutionId: null,
      failedUnchanged: {},
      version: 3,
    });
  });

  it('remembers a failed run that changed nothing, and a completed attempt resets the series', () => {
    const budget = {
      ...record({ [ME]: '2026-11-26T11:59:00.000Z' }),
      failedUnchanged: { a1: '2026-11-26T11:58:00.000Z' },
    };
    const failed = afterCompletion(budget, ME, 'withdrawn', NOW, true);
    expect(failed?.attempts).toEqual({});
    expect(failed?.failedUnchanged).toEqual({ a1: '2026-11-26T11:58:00.000Z', [ME]: NOW.toISOString() });
    // A self-recovery (withdrawn, not failed) does not join the series.
    expect(afterCompletion(budget, ME, 'withdrawn', NOW)?.failedUnchanged).toEqual(budget.failedUnchanged);
    expect(afterCompletion(budget, ME, 'completed', NOW)?.failedUnchanged).toEqual({});
  });

  it('changes nothing for an execution that recorded no attempt, or when asked for none', () => {
    const budget = record({ other: '2026-11-26T10:00:00.000Z' });
    expect(afterCompletion(budget, ME, 'completed', NOW)).toBeNull();
    expect(afterCompletion(budget, ME, 'withdrawn', NOW)).toBeNull();
    expect(afterCompletion(record({ [ME]: NOW.toISOString() }), ME, 'none', NOW)).toBeNull();
  });

  it('expires the item once both the 24 h window and the cooldown have passed', () => {
    expect(budgetExpiry(NOW, SETTINGS)).toBe(Date.parse('2026-11-27T12:15:00.000Z') / 1000);
  });

  it('lists the window oldest first', () => {
    const budget = record({ b: '2026-11-26T09:00:00.000Z', a: '2026-11-26T08:00:00.000Z' });
    expect(attemptsInWindow(budget, NOW).map(([id]) => id)).toEqual(['a', 'b']);
  });
});

describe('budgetOutcome', () => {
  const context = { dryRun: false, trigger: 'alarm' as const, settings: SETTINGS, lastCompletedAt: null };

  it('counts this attempt when it proceeds and says it was recorded', () => {
    const decision = decideBudget(record({ a: '2026-11-26T08:00:00.000Z' }), {
      executionId: ME,
      trigger: 'alarm',
      now: NOW,
      settings: SETTINGS,
    });
    expect(budgetOutcome(decision, context)).toEqual({
      proceed: true,
      decision: 'proceed',
      recorded: true,
      attemptsInWindow: 2,
      maxAttemptsPer24h: 3,
      cooldownUntil: null,
      nextAttemptAt: null,
      unchangedFailures: 0,
      notes: ['Budget: recorded attempt 2 of 3 in the last 24 h'],
    });
  });

  it('lets a dry run go on past an exhausted budget, recording nothing and saying where a real run would stop', () => {
    const budget = record({
      a: '2026-11-26T01:00:00.000Z',
      b: '2026-11-26T02:00:00.000Z',
      c: '2026-11-26T03:00:00.000Z',
    });
    const decision = decideBudget(budget, {
      executionId: ME,
      trigger: 'drill',
      now: NOW,
      settings: SETTINGS,
    });
    const outcome = budgetOutcome(decision, { ...context, dryRun: true, trigger: 'drill' });
    expect(outcome).toMatchObject({
      proceed: true,
      decision: 'exhausted',
      recorded: false,
      attemptsInWindow: 3,
    });
    expect(outcome.notes[0]).toMatch(
      /exhausted, a human is needed.*a real run would stop here \(exhausted\)$/,
    );
  });

  it('stops a real run in the cooldown and names the end of it', () => {
    const budget = record({ a: '2026-11-26T11:40:00.000Z' }, '2026-11-26T11:50:00.000Z');
    const decision = decideBudget(budget, {
      executionId: ME,
      trigger: 'alarm',
      now: NOW,
      settings: SETTINGS,
    });
    const outcome = budgetOutcome(decision, { ...context, lastCompletedAt: budget.lastCompletedAt });
    expect(outcome).toMatchObject({
      proceed: false,
      decision: 'cooldown',
      cooldownUntil: '2026-11-26T12:05:00.000Z',
    });
    expect(outcome.notes[0]).toBe(
      'Cooldown: the last remediation ended at 2026-11-26T11:50:00.000Z; alarm-triggered remediations wait 15 min, until 2026-11-26T12:05:00.000Z',
    );
  });
});
