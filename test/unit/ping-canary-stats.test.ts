import { describe, expect, it } from 'vitest';
import {
  isAnswered,
  linkReport,
  lossPercent,
  median,
  pathVerdict,
  summarizeRtt,
  targetReport,
} from '#functions/ping-canary/stats.ts';
import type { ProbeAttempt } from '#functions/ping-canary/types.ts';

const connected = (rttMs: number): ProbeAttempt => ({ outcome: 'connected', rttMs });
const refused = (rttMs: number): ProbeAttempt => ({ outcome: 'refused', rttMs, detail: 'ECONNREFUSED' });
const timeout: ProbeAttempt = { outcome: 'timeout', rttMs: null, detail: 'no answer within 2000 ms' };
const unreachable: ProbeAttempt = { outcome: 'unreachable', rttMs: null, detail: 'EHOSTUNREACH' };
const unresolved: ProbeAttempt = { outcome: 'unresolved', rttMs: null, detail: 'ENOTFOUND' };
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
    const answered = (['connected', 'refused', 'timeout', 'unreachable', 'error', 'unresolved'] as const).map(
      isAnswered,
    );

    // Assess
    expect(answered).toEqual([true, true, false, false, false, false]);
  });

  it('gives loss as the unanswered share of all attempts, in percent to two decimals', () => {
    // Act
    const loss = lossPercent([connected(5), timeout, refused(4)]);

    // Assess
    expect(loss).toBe(33.33);
  });

  it('leaves attempts whose name did not resolve out of the loss (they were never sent)', () => {
    // Act
    const loss = lossPercent([unresolved, connected(5), timeout, unresolved]);

    // Assess: one of the two attempts sent was lost.
    expect(loss).toBe(50);
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
      status: 'reachable',
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
    expect(report).toMatchObject({ reachable: false, status: 'silent', lossPercent: 100, latencyMs: null });
  });

  it('reports a target whose name never resolved as unresolved, with nothing lost', () => {
    // Act
    const report = targetReport({ host: 'db.far.internal', port: 5432 }, [unresolved, unresolved]);

    // Assess
    expect(report).toMatchObject({ reachable: false, status: 'unresolved', lossPercent: 0, latencyMs: null });
  });

  it('reports a target that resolved at least once and never answered as silent', () => {
    // Act
    const report = targetReport(target, [unresolved, timeout]);

    // Assess
    expect(report).toMatchObject({ reachable: false, status: 'silent', lossPercent: 100 });
  });
});

describe('pathVerdict (k of n)', () => {
  const up = targetReport(target, [connected(10)]);
  const silent = targetReport({ host: '10.20.1.11', port: 22 }, [timeout]);
  const unknownName = targetReport({ host: 'db.far.internal', port: 22 }, [unresolved]);

  it.each([
    ['one of three up, k = 1', [up, silent, silent], 1, 'up'],
    ['none of three up, k = 1', [silent, silent, silent], 1, 'down'],
    ['one of three up, k = 2', [up, silent, silent], 2, 'down'],
    ['two of three up, k = 2', [up, up, silent], 2, 'up'],
    ['one up and an unresolved name, k = 1', [up, unknownName], 1, 'up'],
    ['only an unresolved name, k = 1', [unknownName], 1, 'unknown'],
    ['a silent target and an unresolved name, k = 1', [silent, unknownName], 1, 'unknown'],
    ['an unresolved name that could not make k = 3 anyway', [up, unknownName, silent], 3, 'down'],
    ['no targets at all', [], 1, 'down'],
  ] as const)('%s: %s', (_, targets, minTargetsUp, verdict) => {
    // Act
    const result = pathVerdict(targets, minTargetsUp);

    // Assess
    expect(result).toBe(verdict);
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
      targetsUp: 2,
      minTargetsUp: 1,
      latencyMs: 20,
      minMs: 10,
      maxMs: 30,
      lossPercent: 25,
    });
  });

  it('keeps the path up when one silent target is among several (k = 1), its loss over the answering ones', () => {
    // Prepare: a far host whose security group drops the canary, beside two that answer.
    const targets = [
      targetReport(target, [connected(10), connected(14)]),
      targetReport({ host: '10.20.1.11', port: 443 }, [timeout, timeout]),
      targetReport({ host: '10.20.1.12', port: 443 }, [refused(12), timeout]),
    ];

    // Act
    const report = linkReport('home-to-west', targets, 1);

    // Assess: loss over the two answering targets (1 of 4), not the silent host's 100 %.
    expect(report).toMatchObject({
      success: true,
      targetsUp: 2,
      minTargetsUp: 1,
      latencyMs: 12,
      lossPercent: 25,
    });
    expect(report.targets.map((each) => each.status)).toEqual(['reachable', 'silent', 'reachable']);
  });

  it('fails when fewer than minTargetsUp targets answer, its loss over every attempt sent', () => {
    // Prepare
    const targets = [
      targetReport(target, [connected(10), connected(14)]),
      targetReport({ host: '10.20.1.11', port: 443 }, [timeout, timeout]),
    ];

    // Act
    const report = linkReport('home-to-west', targets, 2);

    // Assess
    expect(report).toMatchObject({
      success: false,
      targetsUp: 1,
      minTargetsUp: 2,
      latencyMs: 12,
      lossPercent: 50,
    });
  });

  it('fails when every target is silent, with no latency and total loss', () => {
    // Act
    const report = linkReport('home-to-west', [
      targetReport(target, [timeout, unreachable]),
      targetReport({ host: '10.20.1.11', port: 443 }, [timeout, timeout]),
    ]);

    // Assess
    expect(report).toMatchObject({
      success: false,
      targetsUp: 0,
      latencyMs: null,
      minMs: null,
      maxMs: null,
      lossPercent: 100,
    });
  });
});
