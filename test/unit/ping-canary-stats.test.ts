import { describe, expect, it } from 'vitest';
import {
  isAnswered,
  linkReport,
  lossPercent,
  median,
  summarizeRtt,
  targetReport,
} from '#functions/ping-canary/stats.ts';
import type { ProbeAttempt } from '#functions/ping-canary/types.ts';

const connected = (rttMs: number): ProbeAttempt => ({ outcome: 'connected', rttMs });
const refused = (rttMs: number): ProbeAttempt => ({ outcome: 'refused', rttMs, detail: 'ECONNREFUSED' });
const timeout: ProbeAttempt = { outcome: 'timeout', rttMs: null, detail: 'no answer within 2000 ms' };
const unreachable: ProbeAttempt = { outcome: 'unreachable', rttMs: null, detail: 'EHOSTUNREACH' };
const target = { host: '10.20.1.10', port: 22 };

describe('median', () => {
  it('takes the middle value of an odd count, whatever the order', () => {
    // Act
    const result = median([30, 10, 20]);

    // Assess
    expect(result).toBe(20);
  });

  it('averages the two middle values of an even count', () => {
    // Act
    const result = median([40, 10, 30, 20]);

    // Assess
    expect(result).toBe(25);
  });

  it('has no median for no values', () => {
    // Act
    const result = median([]);

    // Assess
    expect(result).toBeNull();
  });
});

describe('answered attempts and loss', () => {
  it('counts connected and refused as answered, and silence or no route as lost', () => {
    // Act
    const answered = (['connected', 'refused', 'timeout', 'unreachable', 'error'] as const).map(isAnswered);

    // Assess
    expect(answered).toEqual([true, true, false, false, false]);
  });

  it('gives loss as the unanswered share of all attempts, in percent to two decimals', () => {
    // Act
    const loss = lossPercent([connected(5), timeout, refused(4)]);

    // Assess
    expect(loss).toBe(33.33);
  });

  it('reports no loss when no attempt was made', () => {
    // Act
    const loss = lossPercent([]);

    // Assess
    expect(loss).toBe(0);
  });

  it('summarizes the round trips of answered attempts only', () => {
    // Act
    const summary = summarizeRtt([connected(9), timeout, refused(3), unreachable, connected(5)]);

    // Assess
    expect(summary).toEqual({ minMs: 3, medianMs: 5, maxMs: 9 });
  });

  it('has no round-trip figures when nothing answered', () => {
    // Act
    const summary = summarizeRtt([timeout, unreachable]);

    // Assess
    expect(summary).toEqual({ minMs: null, medianMs: null, maxMs: null });
  });
});

describe('targetReport', () => {
  it('counts a target that only refused as reachable, with the refusals as its round trips', () => {
    // Act
    const report = targetReport(target, [refused(2), refused(4)]);

    // Assess
    expect(report).toMatchObject({ reachable: true, lossPercent: 0, latencyMs: 3, minMs: 2, maxMs: 4 });
  });

  it('reports a target with mixed outcomes as reachable with its partial loss', () => {
    // Prepare
    const attempts = [timeout, connected(12), unreachable, refused(8)];

    // Act
    const report = targetReport(target, attempts);

    // Assess
    expect(report).toEqual({
      host: '10.20.1.10',
      port: 22,
      reachable: true,
      attempts,
      lossPercent: 50,
      latencyMs: 10,
      minMs: 8,
      maxMs: 12,
    });
  });

  it('reports a target that never answered as unreachable with total loss', () => {
    // Act
    const report = targetReport(target, [timeout, unreachable, timeout]);

    // Assess
    expect(report).toMatchObject({ reachable: false, lossPercent: 100, latencyMs: null });
  });
});

describe('linkReport', () => {
  it('succeeds when every target is reachable, even with some attempts lost', () => {
    // Prepare
    const targets = [
      targetReport(target, [connected(10), timeout]),
      targetReport({ host: '10.20.1.11', port: 443 }, [refused(20), connected(30)]),
    ];

    // Act
    const report = linkReport('home-to-west', targets);

    // Assess
    expect(report).toMatchObject({
      link: 'home-to-west',
      success: true,
      latencyMs: 20,
      minMs: 10,
      maxMs: 30,
      lossPercent: 25,
    });
  });

  it('fails when any one target is unreachable, keeping the latency of the targets that answered', () => {
    // Prepare
    const targets = [
      targetReport(target, [connected(10), connected(14)]),
      targetReport({ host: '10.20.1.11', port: 443 }, [timeout, timeout]),
    ];

    // Act
    const report = linkReport('home-to-west', targets);

    // Assess
    expect(report).toMatchObject({ success: false, latencyMs: 12, lossPercent: 50 });
  });

  it('fails with no latency when nothing answered', () => {
    // Act
    const report = linkReport('home-to-west', [targetReport(target, [timeout, unreachable])]);

    // Assess
    expect(report).toMatchObject({
      success: false,
      latencyMs: null,
      minMs: null,
      maxMs: null,
      lossPercent: 100,
    });
  });
});
