/** The remediation lock's pure decisions. */
import { describe, expect, it } from 'vitest';
import {
  acquiredOutcome,
  dryRunLockOutcome,
  heldOutcome,
  isLive,
  lockKey,
} from '#functions/remediation-guard/lock.ts';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const ME = 'arn:aws:states:us-east-1:111111111111:execution:remediation:me';
const OTHER = 'arn:aws:states:us-east-1:111111111111:execution:remediation:other';

describe('the remediation lock', () => {
  it('keys the lock by link', () => {
    expect(lockKey('home-to-west')).toBe('lock#home-to-west');
  });

  it('treats an item past its expiry as free even before DynamoDB TTL deletes it', () => {
    expect(isLive({ holder: OTHER, acquiredAt: null, expiresAt: NOW_S - 1 }, NOW)).toBe(false);
    expect(isLive({ holder: OTHER, acquiredAt: null, expiresAt: NOW_S }, NOW)).toBe(true);
  });

  it('tells a dry run a free, expired or own lock would be acquired, without taking it', () => {
    for (const current of [
      null,
      { holder: OTHER, acquiredAt: null, expiresAt: NOW_S - 60 },
      { holder: ME, acquiredAt: null, expiresAt: NOW_S + 60 },
    ]) {
      expect(dryRunLockOutcome(current, ME, NOW)).toMatchObject({
        proceed: true,
        acquired: false,
        decision: 'would-acquire',
      });
    }
  });

  it('tells a dry run another live holder would stop a real run, and still lets it go on', () => {
    const outcome = dryRunLockOutcome({ holder: OTHER, acquiredAt: null, expiresAt: NOW_S + 600 }, ME, NOW);
    expect(outcome).toEqual({
      proceed: true,
      acquired: false,
      decision: 'would-skip-locked',
      holder: OTHER,
      expiresAt: '2026-11-26T12:10:00.000Z',
      notes: [
        `Lock: held by ${OTHER} until 2026-11-26T12:10:00.000Z; a real run would stop here (skipped-locked)`,
      ],
    });
  });

  it('distinguishes a fresh acquisition, a takeover of an expired lock and a re-acquisition by the same execution', () => {
    expect(acquiredOutcome(ME, NOW_S + 600, null)).toMatchObject({
      acquired: true,
      decision: 'acquired',
      holder: ME,
    });
    expect(
      acquiredOutcome(ME, NOW_S + 600, { holder: OTHER, acquiredAt: null, expiresAt: NOW_S - 5 }).notes[0],
    ).toMatch(/took over an expired lock of .*:other/);
    expect(
      acquiredOutcome(ME, NOW_S + 600, { holder: ME, acquiredAt: null, expiresAt: NOW_S + 300 }),
    ).toMatchObject({
      acquired: true,
      decision: 'reacquired',
    });
  });

  it('stops a real run when another execution holds the lock', () => {
    expect(heldOutcome({ holder: OTHER, acquiredAt: null, expiresAt: NOW_S + 60 })).toMatchObject({
      proceed: false,
      acquired: false,
      decision: 'held-by-other',
      holder: OTHER,
    });
    expect(heldOutcome(null)).toMatchObject({ proceed: false, holder: null, expiresAt: null });
  });
});
