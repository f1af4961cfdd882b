/** evaluate-health: confirm before replacing, verify after repairing; a read failure is never a failure. */
import { describe, expect, it } from 'vitest';
import { evaluateHealth, type HealthRequest } from '#functions/remediation-guard/health.ts';
import type { Probe } from '#functions/remediation-guard/schema.ts';
import { CanaryError, DeadlineExceededError } from '#shared/errors.ts';

const LINK = 'home-to-west';
const NOW = new Date('2026-11-26T12:10:00.000Z');

const tunnels = (up: number, min = 1): Probe => ({
  ok: true,
  result: {
    checkedAt: NOW.toISOString(),
    links: [
      {
        link: 'other',
        region: 'eu-west-1',
        ok: true,
        tunnelsUp: 2,
        tunnelsTotal: 2,
        minTunnelsUp: 1,
        healthy: true,
        latencyMs: 1,
        connections: [],
      },
      {
        link: LINK,
        region: 'us-west-2',
        ok: true,
        tunnelsUp: up,
        tunnelsTotal: 2,
        minTunnelsUp: min,
        healthy: up >= min,
        latencyMs: 30,
        connections: [],
      },
    ],
  },
});
const tunnelApiDown: Probe = {
  ok: true,
  result: {
    checkedAt: NOW.toISOString(),
    links: [
      {
        link: LINK,
        region: 'us-west-2',
        ok: false,
        latencyMs: 5,
        error: { name: 'RequestLimitExceeded', message: 'Request limit exceeded.' },
      },
    ],
  },
};
const tunnelLambdaFailed: Probe = {
  ok: false,
  error: 'TunnelCheckError',
  cause: JSON.stringify({ errorType: 'TunnelCheckError', errorMessage: 'every Region failed' }),
};
const canary = (reachable: boolean): Probe => ({
  ok: true,
  result: {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    probedAt: NOW.toISOString(),
    links: [
      {
        link: LINK,
        success: reachable,
        targetsUp: reachable ? 1 : 0,
        targetsTotal: 1,
        minTargetsUp: 1,
        latencyMs: reachable ? 71.4 : null,
        minMs: null,
        maxMs: null,
        lossPercent: reachable ? 0 : 100,
      },
    ],
  },
});
const canaryFailed: Probe = {
  ok: false,
  error: 'Lambda.Unknown',
  cause: 'Task timed out after 30.00 seconds',
};

const request = (over: Partial<HealthRequest>): HealthRequest => ({
  phase: 'confirm',
  link: LINK,
  dryRun: false,
  tunnels: tunnels(0),
  canary: canary(false),
  now: NOW,
  startedAt: '2026-11-26T12:00:00.000Z',
  since: null,
  verifyTimeoutMinutes: 5,
  ...over,
});

describe('evaluateHealth before replacing (confirm)', () => {
  it('replaces when the tunnels are below minimum and the canary fails', () => {
    const outcome = evaluateHealth(request({}));
    expect(outcome).toMatchObject({ status: 'unhealthy', proceed: true, decision: 'replace' });
    expect(outcome.tunnels).toEqual({
      state: 'down',
      up: 0,
      total: 2,
      minUp: 1,
      detail: '0/2 UP (minimum 1)',
    });
    expect(outcome.canary).toMatchObject({ state: 'fail', reachable: 0, targets: 1 });
  });

  it('replaces on a failing canary even when the tunnel status cannot be read', () => {
    for (const probe of [tunnelApiDown, tunnelLambdaFailed]) {
      const outcome = evaluateHealth(request({ tunnels: probe }));
      expect(outcome).toMatchObject({ status: 'unhealthy', proceed: true, decision: 'replace' });
      expect(outcome.tunnels.state).toBe('unknown');
    }
  });

  it('replaces on tunnels down even when the canary could not run', () => {
    expect(evaluateHealth(request({ canary: canaryFailed }))).toMatchObject({
      status: 'unhealthy',
      decision: 'replace',
    });
  });

  it('reports recovered-by-itself and stops when tunnels are up and the canary passes', () => {
    const outcome = evaluateHealth(request({ tunnels: tunnels(2), canary: canary(true) }));
    expect(outcome).toMatchObject({ status: 'healthy', proceed: false, decision: 'recovered-by-itself' });
  });

  it('trusts a passing canary when the tunnel API is unreadable: the data path works', () => {
    const outcome = evaluateHealth(request({ tunnels: tunnelApiDown, canary: canary(true) }));
    expect(outcome).toMatchObject({ status: 'healthy', proceed: false, decision: 'recovered-by-itself' });
    expect(outcome.tunnels.detail).toBe(
      'tunnel status unreadable: us-west-2 API failed (RequestLimitExceeded: Request limit exceeded.)',
    );
  });

  it('refuses to replace on read failures alone: CanaryError naming what it saw', () => {
    expect(() => evaluateHealth(request({ tunnels: tunnelLambdaFailed, canary: canaryFailed }))).toThrow(
      CanaryError,
    );
    expect(() => evaluateHealth(request({ tunnels: tunnels(2), canary: canaryFailed }))).toThrow(
      /cannot confirm the link is unhealthy: tunnels 2\/2 UP \(minimum 1\); canary canary did not run \(Lambda.Unknown: Task timed out after 30.00 seconds\)/,
    );
  });

  it('lets a dry run go on past a healthy or inconclusive link, saying where a real run would stop', () => {
    const healthy = evaluateHealth(request({ dryRun: true, tunnels: tunnels(2), canary: canary(true) }));
    expect(healthy).toMatchObject({ proceed: true, decision: 'recovered-by-itself' });
    expect(healthy.notes[0]).toMatch(/a real run would stop here \(recovered-by-itself\)$/);
    const unknown = evaluateHealth(
      request({ dryRun: true, tunnels: tunnelLambdaFailed, canary: canaryFailed }),
    );
    expect(unknown).toMatchObject({ status: 'unknown', proceed: true, decision: 'inconclusive' });
  });

  it('says how many of the targets answered from the figures ping-canary returns (k of n)', () => {
    const twoOfThree: Probe = {
      ok: true,
      result: {
        links: [
          {
            link: LINK,
            success: true,
            targetsUp: 2,
            targetsTotal: 3,
            minTargetsUp: 2,
            latencyMs: 71.4,
            minMs: 60.2,
            maxMs: 80.9,
            lossPercent: 33.33,
          },
        ],
      },
    };
    const outcome = evaluateHealth(request({ dryRun: true, canary: twoOfThree }));
    expect(outcome.canary).toEqual({
      state: 'pass',
      reachable: 2,
      targets: 3,
      latencyMs: 71.4,
      detail: '2/3 targets reachable, median 71 ms, 33.33% loss',
    });
  });

  it('treats a result without the link, or of an unexpected shape, as unknown', () => {
    const outcome = evaluateHealth(
      request({
        dryRun: true,
        tunnels: { ok: true, result: { links: [] } },
        canary: { ok: true, result: 'nonsense' },
      }),
    );
    expect(outcome.tunnels).toMatchObject({
      state: 'unknown',
      detail: 'tunnel check has no result for home-to-west',
    });
    expect(outcome.canary).toMatchObject({
      state: 'unknown',
      detail: 'canary returned an unexpected result',
    });
  });
});

describe('evaluateHealth after repairing (verify)', () => {
  const since = '2026-11-26T12:08:00.000Z';

  it('declares recovery only when the tunnels are up and the canary passes, with the time since the start', () => {
    const outcome = evaluateHealth(
      request({ phase: 'verify', since, tunnels: tunnels(1), canary: canary(true) }),
    );
    expect(outcome).toMatchObject({
      status: 'healthy',
      done: true,
      decision: 'recovered',
      timeToRecoverSeconds: 600,
      deadlineAt: '2026-11-26T12:13:00.000Z',
    });
  });

  it('keeps polling while tunnels are up but the canary fails, or the tunnel status is unknown', () => {
    for (const [t, c] of [
      [tunnels(2), canary(false)],
      [tunnelApiDown, canary(true)],
      [tunnels(2), canaryFailed],
    ] as const) {
      const outcome = evaluateHealth(request({ phase: 'verify', since, tunnels: t, canary: c }));
      expect(outcome).toMatchObject({ done: false, decision: 'keep-waiting', timeToRecoverSeconds: null });
    }
  });

  it('gives up with DeadlineExceededError verifyTimeoutMinutes after the repair', () => {
    const late = new Date('2026-11-26T12:13:00.000Z');
    expect(() => evaluateHealth(request({ phase: 'verify', since, now: late }))).toThrow(
      DeadlineExceededError,
    );
    expect(() => evaluateHealth(request({ phase: 'verify', since, now: late }))).toThrow(
      /not recovered 5 min after the repair \(deadline 2026-11-26T12:13:00.000Z\): tunnels 0\/2 UP/,
    );
  });

  it('reads once in a dry run and says what a real run would wait for', () => {
    const outcome = evaluateHealth(
      request({ phase: 'verify', dryRun: true, since, now: new Date('2026-11-26T13:00:00.000Z') }),
    );
    expect(outcome).toMatchObject({ done: true, decision: 'would-wait', timeToRecoverSeconds: null });
  });
});
