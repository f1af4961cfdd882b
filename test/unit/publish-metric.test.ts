import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TunnelCheckResult } from '#functions/check-tunnel/types.ts';
import type { CanaryResult } from '#functions/ping-canary/types.ts';
import {
  batches,
  type CanaryBranch,
  remediationDatums,
  type TunnelBranch,
  tickDatums,
} from '#functions/publish-metric/datums.ts';
import { localLambdaContext } from '#sandbox/local-sfn.ts';
import { AwsThrottledError, MetricPublishError } from '#shared/errors.ts';
import { twoLinkConfig } from '../fixtures/config.ts';

const config = twoLinkConfig();
const at = '2026-11-26T12:00:00.000Z';

const tunnelsOk: TunnelBranch = {
  ok: true,
  result: {
    checkedAt: at,
    links: [
      {
        link: 'home-to-west',
        region: 'us-west-2',
        ok: true,
        tunnelsUp: 1,
        tunnelsTotal: 2,
        minTunnelsUp: 1,
        healthy: true,
        latencyMs: 31.5,
        connections: [],
      },
      {
        link: 'home-to-eu',
        region: 'eu-west-1',
        ok: false,
        latencyMs: 12,
        error: { name: 'RequestLimitExceeded', message: 'slow down' },
      },
    ],
  } satisfies TunnelCheckResult,
};

const canaryReport = (link: string, success: boolean, latencyMs: number | null, lossPercent: number) => ({
  link,
  success,
  latencyMs,
  minMs: latencyMs,
  maxMs: latencyMs,
  lossPercent,
  targets: [],
});

const canariesOk: CanaryBranch[] = [
  {
    ok: true,
    result: {
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      probedAt: at,
      links: [canaryReport('home-to-west', true, 42, 0)],
    } satisfies CanaryResult,
  },
  {
    ok: true,
    result: {
      vpcId: 'vpc-0bbbbbbbbbbbbbbbb',
      probedAt: at,
      links: [canaryReport('home-to-eu', false, null, 100)],
    },
  },
];

describe('tick datums', () => {
  it('publishes every figure with its success twin, and only the twin for a failed read', () => {
    // Act
    const { datums, failures } = tickDatums(config.links, tunnelsOk, canariesOk, new Date(at));
    // Assess
    const byLink = (link: string) =>
      Object.fromEntries(datums.filter((d) => d.link === link).map((d) => [d.metricName, [d.value, d.unit]]));
    expect(byLink('home-to-west')).toEqual({
      TunnelCheckSuccess: [1, 'Count'],
      TunnelsUp: [1, 'Count'],
      TunnelCheckLatency: [31.5, 'Milliseconds'],
      CanarySuccess: [1, 'Count'],
      CanaryLoss: [0, 'Percent'],
      CanaryLatency: [42, 'Milliseconds'],
    });
    // A throttled read is a collection failure: no TunnelsUp datum, so TunnelsDown cannot fire from it.
    expect(byLink('home-to-eu')).toEqual({
      TunnelCheckSuccess: [0, 'Count'],
      TunnelCheckLatency: [12, 'Milliseconds'],
      CanarySuccess: [0, 'Count'],
      CanaryLoss: [100, 'Percent'],
    });
    expect(datums.every((d) => d.timestamp === at)).toBe(true);
    expect(failures).toEqual([
      { link: 'home-to-eu', collector: 'tunnels', error: 'RequestLimitExceeded: slow down' },
    ]);
  });

  it('publishes no canary figures for links whose canary function failed, and reports the failure', () => {
    const canaries: CanaryBranch[] = [
      canariesOk[0] as CanaryBranch,
      {
        ok: false,
        vpcId: 'vpc-0bbbbbbbbbbbbbbbb',
        links: ['home-to-eu'],
        error: 'CanaryError',
        cause: 'aborted',
      },
    ];
    const { datums, failures } = tickDatums(config.links, tunnelsOk, canaries, new Date(at));
    expect(datums.filter((d) => d.link === 'home-to-eu' && d.metricName.startsWith('Canary'))).toEqual([]);
    expect(failures).toContainEqual({ link: 'home-to-eu', collector: 'canary', error: 'CanaryError' });
  });

  it('publishes no canary figure for a link the canary could not judge (an unresolved name), and reports it', () => {
    // Prepare: the canary ran; home-to-eu was inconclusive, home-to-west was judged.
    const canaries: CanaryBranch[] = [
      canariesOk[0] as CanaryBranch,
      {
        ok: true,
        result: {
          vpcId: 'vpc-0bbbbbbbbbbbbbbbb',
          probedAt: at,
          links: [],
          failures: [
            {
              link: 'home-to-eu',
              error: 'CanaryError',
              message: 'canary for link home-to-eu is inconclusive: 1 did not resolve (db.far.internal:5432)',
              targets: [],
            },
          ],
        } satisfies CanaryResult,
      },
    ];

    // Act
    const { datums, failures } = tickDatums(config.links, tunnelsOk, canaries, new Date(at));

    // Assess: neither CanarySuccess 0 nor CanaryLoss (it is not lost connectivity), but a failure.
    expect(datums.filter((d) => d.link === 'home-to-eu' && d.metricName.startsWith('Canary'))).toEqual([]);
    expect(datums.filter((d) => d.link === 'home-to-west' && d.metricName === 'CanarySuccess')).toHaveLength(
      1,
    );
    expect(failures).toContainEqual({
      link: 'home-to-eu',
      collector: 'canary',
      error:
        'CanaryError: canary for link home-to-eu is inconclusive: 1 did not resolve (db.far.internal:5432)',
    });
  });

  it('marks every link’s tunnel check failed when the whole check failed', () => {
    const { datums, failures } = tickDatums(
      config.links,
      { ok: false, error: 'AwsThrottledError' },
      canariesOk,
      new Date(at),
    );
    expect(datums.filter((d) => d.metricName === 'TunnelCheckSuccess').map((d) => d.value)).toEqual([0, 0]);
    expect(datums.some((d) => d.metricName === 'TunnelsUp')).toBe(false);
    expect(failures.filter((f) => f.collector === 'tunnels').map((f) => f.error)).toEqual([
      'AwsThrottledError',
      'AwsThrottledError',
    ]);
  });

  it('records a recovered remediation with its time to recover and a failed one without', () => {
    const recovered = remediationDatums(
      { link: 'home-to-west', outcome: 'recovered', timeToRecoverSeconds: 312 },
      new Date(at),
    );
    expect(recovered.map((d) => [d.metricName, d.value, d.unit])).toEqual([
      ['RemediationStarted', 1, 'Count'],
      ['RemediationSucceeded', 1, 'Count'],
      ['RemediationFailed', 0, 'Count'],
      ['TimeToRecover', 312, 'Seconds'],
    ]);
    const failed = remediationDatums(
      { link: 'home-to-west', outcome: 'failed', timeToRecoverSeconds: null },
      new Date(at),
    );
    expect(failed.map((d) => [d.metricName, d.value])).toEqual([
      ['RemediationStarted', 1],
      ['RemediationSucceeded', 0],
      ['RemediationFailed', 1],
    ]);
  });

  it('splits datums into calls of at most 1,000', () => {
    expect(batches(Array.from({ length: 2500 }, (_, i) => i)).map((batch) => batch.length)).toEqual([
      1000, 1000, 500,
    ]);
    expect(batches([])).toEqual([]);
  });
});

describe('publish-metric handler', () => {
  const cloudWatch = mockClient(CloudWatchClient);
  const context = localLambdaContext('arn:aws:lambda:us-east-1:1:function:pm');
  const input = { kind: 'tick', executionId: 'exec-1', tunnels: tunnelsOk, canaries: canariesOk };

  beforeEach(() => {
    cloudWatch.reset();
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(config));
  });
  afterEach(() => vi.unstubAllEnvs());

  it('publishes the whole tick in one PutMetricData call under the configured namespace', async () => {
    // Prepare
    cloudWatch.on(PutMetricDataCommand).resolves({});
    const { handler } = await import('#functions/publish-metric/handler.ts');
    // Act
    const result = await handler(input, context);
    // Assess
    expect(result).toMatchObject({ datums: 10, calls: 1, collectionComplete: false });
    const calls = cloudWatch.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    const sent = calls[0]?.args[0].input;
    expect(sent?.Namespace).toBe('VpnGuard');
    expect(sent?.MetricData?.[0]).toEqual({
      MetricName: 'TunnelCheckSuccess',
      Dimensions: [{ Name: 'Link', Value: 'home-to-west' }],
      Value: 1,
      Unit: 'Count',
      Timestamp: new Date(at),
    });
  });

  it('publishes a remediation’s metrics for its link', async () => {
    cloudWatch.on(PutMetricDataCommand).resolves({});
    const { handler } = await import('#functions/publish-metric/handler.ts');
    const result = await handler(
      {
        kind: 'remediation',
        executionId: 'e',
        link: 'home-to-eu',
        outcome: 'failed',
        timeToRecoverSeconds: null,
        failedState: 'AwaitReplacement',
      },
      context,
    );
    expect(result).toEqual({ datums: 3, calls: 1 });
    const sent = cloudWatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input;
    expect(sent?.MetricData?.map((d) => [d.MetricName, d.Value, d.Dimensions?.[0]?.Value])).toEqual([
      ['RemediationStarted', 1, 'home-to-eu'],
      ['RemediationSucceeded', 0, 'home-to-eu'],
      ['RemediationFailed', 1, 'home-to-eu'],
    ]);
  });

  it('rejects an input of neither kind before calling AWS', async () => {
    const { handler } = await import('#functions/publish-metric/handler.ts');
    await expect(handler({ kind: 'weekly' }, context)).rejects.toThrow(/invalid input/);
    expect(cloudWatch.calls()).toHaveLength(0);
  });

  it('fails the task visibly when PutMetricData fails', async () => {
    cloudWatch.on(PutMetricDataCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const { handler } = await import('#functions/publish-metric/handler.ts');
    await expect(handler(input, context)).rejects.toBeInstanceOf(MetricPublishError);
  });

  it('turns CloudWatch throttling into AwsThrottledError so the state machine retries it', async () => {
    cloudWatch
      .on(PutMetricDataCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const { handler } = await import('#functions/publish-metric/handler.ts');
    await expect(handler(input, context)).rejects.toBeInstanceOf(AwsThrottledError);
  });
});
