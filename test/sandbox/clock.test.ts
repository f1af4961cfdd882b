import { afterEach, describe, expect, it } from 'vitest';
import { installSimulatedDate, SimClock, simulatedDateConstructor } from '#sandbox/clock.ts';

describe('simulated clock', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it('makes new Date() and Date.now() read simulated time while performance.now() stays real', async () => {
    // Prepare
    const clock = new SimClock({ start: Date.parse('2026-11-26T12:00:00Z') });
    restore = installSimulatedDate(() => clock.now());
    const realBefore = performance.now();
    // Act
    clock.scheduleIn(3600, 'an hour later', () => undefined);
    await clock.runUntil(clock.now() + 3600_000);
    // Assess
    expect(new Date().toISOString()).toBe('2026-11-26T13:00:00.000Z');
    expect(Date.now()).toBe(Date.parse('2026-11-26T13:00:00Z'));
    expect(performance.now() - realBefore).toBeLessThan(3600_000);
  });

  it('keeps dates real Dates and Date() a string', () => {
    const SimDate = simulatedDateConstructor(() => 0);
    const date = new SimDate();
    expect(date).toBeInstanceOf(Date);
    expect(date.getTime()).toBe(0);
    expect(new SimDate('2026-01-01T00:00:00Z').getTime()).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(typeof (SimDate as unknown as () => string)()).toBe('string');
  });

  it('wakes sleeping activities in simulated time order, whatever order they slept in', async () => {
    const clock = new SimClock({ start: 0 });
    const woke: string[] = [];
    const a = clock.spawn('a', async (activity) => {
      await activity.sleep(30);
      woke.push(`a@${clock.now() / 1000}`);
    });
    const b = clock.spawn('b', async (activity) => {
      await activity.sleep(10);
      woke.push(`b@${clock.now() / 1000}`);
      await activity.sleep(30);
      woke.push(`b@${clock.now() / 1000}`);
    });
    await clock.runUntil(60_000);
    await Promise.all([a, b]);
    expect(woke).toEqual(['b@10', 'a@30', 'b@40']);
  });

  it('does not advance while tracked real work is in flight', async () => {
    const clock = new SimClock({ start: 0 });
    let seenAt: number | undefined;
    clock.scheduleIn(1, 'after the work', () => {
      seenAt = clock.now();
    });
    let finishedWork = false;
    clock.track(
      'real work',
      new Promise<void>((resolve) =>
        setTimeout(() => {
          finishedWork = true;
          resolve();
        }, 30),
      ),
    );
    const fired = clock.runUntil(5000).then(() => finishedWork);
    expect(await fired).toBe(true);
    expect(seenAt).toBe(1000);
  });
});
