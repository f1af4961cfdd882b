import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TunnelCheckResult } from '#functions/check-tunnel/types.ts';
import type { CanaryResult } from '#functions/ping-canary/types.ts';
import {
  type CanaryBranch,
  type Datum,
  datumGroups,
  failureSummary,
  remediationDatums,
  type TunnelBranch,
  tickDatums,
} from '#functions/publish-metric/datums.ts';
import { localLambdaContext } from '#sandbox/local-sfn.ts';
import { type ExtractedMetric, readEmf } from '#sandbox/world/emf.ts';
import { twoLinkConfig } from '../fixtures/config.ts';

const config = twoLinkConfig();
const at = '2026-11-26T12:00:00.000Z';
const WEST_VPC = 'vpc-0a1b2c3d4e5f60718';
const EU_VPC = 'vpc-0bbbbbbbbbbbbbbbb';

const tunnelsOk: TunnelBranch = {
  ok: true,
  result: {
    checkedAt: at,
    regions: [
      { region: 'us-west-2', ok: true, latencyMs: 31.5 },
      {
        region: 'eu-west-1',
        ok: false,
        latencyMs: 12,
        error: { name: 'RequestLimitExceeded', message: 'slow down' },
      },
    ],
    links: [
      {
        link: 'home-to-west',
        region: 'us-west-2',
        ok: true,
        tunnelsUp: 1,
        tunnelsTotal: 2,
        minTunnelsUp: 1,
        healthy: true,
      },
      {
        link: 'home-to-eu',
        region: 'eu-west-1',
        ok: false,
        error: { name: 'RequestLimitExceeded', message: 'slow down' },
      },
    ],
  } satisfies TunnelCheckResult,
};

const canaryReport = (link: string, success: boolean, latencyMs: number | null, lossPercent: number) => ({
  link,
  success,
  targetsUp: success ? 1 : 0,
  targetsTotal: 1,
  minTargetsUp: 1,
  latencyMs,
  minMs: latencyMs,
  maxMs: latencyMs,
  lossPercent,
});

const canariesOk: CanaryBranch[] = [
  {
    ok: true,
    result: {
      vpcId: WEST_VPC,
      probedAt: at,
      links: [canaryReport('home-to-west', true, 42, 0)],
    } satisfies CanaryResult,
  },
  {
    ok: true,
    result: {
      vpcId: EU_VPC,
      probedAt: at,
      links: [canaryReport('home-to-eu', false, null, 100)],
    },
  },
];

/** The datums of one dimension value, as metric name → [value, unit]. */
const of = (datums: readonly Datum[], dimensionValue: string) =>
  Object.fromEntries(
    datums.filter((d) => d.dimensionValue === dimensionValue).map((d) => [d.metricName, [d.value, d.unit]]),
  );

describe('tick datums', () => {
  it('publishes the tunnel collection’s twin and latency once per VPN Region, nothing custom per canary VPC, and the figures per link', () => {
    // Act
    const { datums, failures } = tickDatums(config.links, tunnelsOk, canariesOk, new Date(at));
    // Assess: the link's own figures carry its name.
    expect(of(datums, 'home-to-west')).toEqual({
      TunnelsUp: [1, 'Count'],
      CanarySuccess: [1, 'Count'],
      CanaryLoss: [0, 'Percent'],
      CanaryLatency: [42, 'Milliseconds'],
    });
    // A throttled read is a collection failure: no TunnelsUp datum, so TunnelsDown cannot fire from it.
    expect(of(datums, 'home-to-eu')).toEqual({
      CanarySuccess: [0, 'Count'],
      CanaryLoss: [100, 'Percent'],
    });
    // The collections' figures are the Region's and the VPC's: one call each, not copied per link.
    expect(of(datums, 'us-west-2')).toEqual({
      TunnelCheckSuccess: [1, 'Count'],
      TunnelCheckLatency: [31.5, 'Milliseconds'],
    });
    expect(of(datums, 'eu-west-1')).toEqual({
      TunnelCheckSuccess: [0, 'Count'],
      TunnelCheckLatency: [12, 'Milliseconds'],
    });
    // The canary collection's success and latency are its function's AWS/Lambda metrics: nothing
    // custom is published for a canary VPC.
    expect(of(datums, WEST_VPC)).toEqual({});
    expect(of(datums, EU_VPC)).toEqual({});
    expect(
      datums.filter((d) => d.metricName.startsWith('TunnelCheck')).every((d) => d.dimension === 'VpnRegion'),
    ).toBe(true);
    expect(new Set(datums.map((d) => d.dimension))).toEqual(new Set(['Link', 'VpnRegion']));
    expect(datums.every((d) => d.timestamp === at)).toBe(true);
    expect(failures).toEqual([
      {
        collector: 'tunnels',
        scope: 'eu-west-1',
        links: ['home-to-eu'],
        error: 'RequestLimitExceeded: slow down',
      },
    ]);
    expect(failureSummary(failures)).toBe(
      'tunnels eu-west-1 (1 link(s): home-to-eu): RequestLimitExceeded: slow down',
    );
  });

  it('publishes one TunnelCheckSuccess per Region however many links share it', () => {
    // Prepare: three links, two in one Region.
    const base = config.links[0];
    if (!base) throw new Error('fixture needs a link');
    const links = [
      base,
      { ...base, name: 'home-to-west-2', vpn: { ...base.vpn, vpnConnectionIds: ['vpn-0ddddddddddddddd'] } },
      ...config.links.slice(1),
    ];
    const tunnels: TunnelBranch = {
      ok: true,
      result: {
        checkedAt: at,
        regions: [
          { region: 'us-west-2', ok: true, latencyMs: 20 },
          { region: 'eu-west-1', ok: true, latencyMs: 30 },
        ],
        links: links.map((link) => ({
          link: link.name,
          region: link.vpn.region,
          ok: true as const,
          tunnelsUp: 2,
          tunnelsTotal: 2,
          minTunnelsUp: 1,
          healthy: true,
        })),
      },
    };
    // Act
    const { datums } = tickDatums(links, tunnels, canariesOk, new Date(at));
    // Assess
    expect(datums.filter((d) => d.metricName === 'TunnelCheckSuccess').map((d) => d.dimensionValue)).toEqual([
      'us-west-2',
      'eu-west-1',
    ]);
    expect(datums.filter((d) => d.metricName === 'TunnelsUp').map((d) => d.dimensionValue)).toEqual([
      'home-to-west',
      'home-to-west-2',
      'home-to-eu',
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
    expect(of(datums, 'home-to-eu')).toEqual({});
    // The VPC's collection failed (its invocation's AWS/Lambda Errors count it): nothing custom for it.
    expect(of(datums, EU_VPC)).toEqual({});
    expect(failures).toContainEqual({
      collector: 'canary',
      scope: EU_VPC,
      links: ['home-to-eu'],
      error: 'CanaryError',
    });
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
            },
          ],
        } satisfies CanaryResult,
      },
    ];

    // Act
    const { datums, failures } = tickDatums(config.links, tunnelsOk, canaries, new Date(at));

    // Assess: neither CanarySuccess 0 nor CanaryLoss (it is not lost connectivity), but a failure.
    expect(of(datums, 'home-to-eu')).toEqual({});
    expect(of(datums, EU_VPC)).toEqual({});
    expect(of(datums, 'home-to-west')).toHaveProperty('CanarySuccess', [1, 'Count']);
    expect(failures).toContainEqual({
      collector: 'canary',
      scope: EU_VPC,
      links: ['home-to-eu'],
      error:
        'CanaryError: canary for link home-to-eu is inconclusive: 1 did not resolve (db.far.internal:5432)',
    });
  });

  it('marks every Region’s tunnel check failed when the whole check failed', () => {
    const { datums, failures } = tickDatums(
      config.links,
      { ok: false, error: 'AwsThrottledError' },
      canariesOk,
      new Date(at),
    );
    expect(
      datums.filter((d) => d.metricName === 'TunnelCheckSuccess').map((d) => [d.dimensionValue, d.value]),
    ).toEqual([
      ['us-west-2', 0],
      ['eu-west-1', 0],
    ]);
    expect(datums.some((d) => d.metricName === 'TunnelsUp' || d.metricName === 'TunnelCheckLatency')).toBe(
      false,
    );
    expect(failures.filter((f) => f.collector === 'tunnels').map((f) => [f.scope, f.error])).toEqual([
      ['us-west-2', 'AwsThrottledError'],
      ['eu-west-1', 'AwsThrottledError'],
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

  it('groups datums into one EMF document per dimension value and timestamp', () => {
    const { datums } = tickDatums(config.links, tunnelsOk, canariesOk, new Date(at));
    const groups = datumGroups(datums);
    expect(groups.map((group) => [group.dimension, group.dimensionValue, group.datums.length])).toEqual([
      ['VpnRegion', 'us-west-2', 2],
      ['VpnRegion', 'eu-west-1', 2],
      ['Link', 'home-to-west', 4],
      ['Link', 'home-to-eu', 2],
    ]);
    expect(datumGroups([])).toEqual([]);
  });
});

describe('publish-metric handler', () => {
  const context = localLambdaContext('arn:aws:lambda:us-east-1:1:function:pm');
  const input = { kind: 'tick', executionId: 'exec-1', tunnels: tunnelsOk, canaries: canariesOk };
  let written: string[];

  beforeEach(() => {
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(config));
    // "Now" is the tick's time: CloudWatch takes datapoints up to two weeks old, two hours ahead.
    vi.useFakeTimers({ now: new Date(at), toFake: ['Date'] });
    written = [];
    // Powertools Metrics writes its documents to stdout (in Lambda: the function's log group).
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  /** The metrics CloudWatch would extract from what the handler wrote (sandbox/world/emf.ts). */
  const extracted = (): ExtractedMetric[] =>
    written
      .join('')
      .split('\n')
      .filter((line) => line.length > 0)
      .flatMap((line) => {
        const reading = readEmf(line, Date.now());
        if (reading.kind === 'rejected')
          throw new Error(`CloudWatch would reject ${line}: ${reading.reason}`);
        return reading.kind === 'emf' ? reading.metrics : [];
      });

  it('writes the tick as embedded metric format that CloudWatch extracts with its dimension and timestamp', async () => {
    // Prepare
    const { handler } = await import('#functions/publish-metric/handler.ts');
    // Act
    const result = await handler(input, context);
    // Assess
    expect(result).toEqual({
      datums: 10,
      documents: 4,
      collectionComplete: false,
      failures: 1,
      summary: 'tunnels eu-west-1 (1 link(s): home-to-eu): RequestLimitExceeded: slow down',
    });
    const metrics = extracted();
    expect(metrics).toHaveLength(10);
    expect(metrics.every((metric) => metric.namespace === 'VpnGuard')).toBe(true);
    // The datapoint lands at the tick's check time, and with exactly the contract's one dimension
    // (no Powertools `service` dimension: that would be another, unalarmed metric).
    expect(metrics.every((metric) => metric.timestamp === Date.parse(at))).toBe(true);
    expect(metrics).toContainEqual({
      namespace: 'VpnGuard',
      metricName: 'TunnelCheckSuccess',
      dimensions: { VpnRegion: 'us-west-2' },
      timestamp: Date.parse(at),
      values: [1],
      unit: 'Count',
    });
    expect(metrics).toContainEqual({
      namespace: 'VpnGuard',
      metricName: 'TunnelsUp',
      dimensions: { Link: 'home-to-west' },
      timestamp: Date.parse(at),
      values: [1],
      unit: 'Count',
    });
    expect(metrics).toContainEqual({
      namespace: 'VpnGuard',
      metricName: 'CanaryLoss',
      dimensions: { Link: 'home-to-eu' },
      timestamp: Date.parse(at),
      values: [100],
      unit: 'Percent',
    });
    expect(metrics.some((metric) => 'CanaryVpc' in metric.dimensions)).toBe(false);
  });

  it('publishes a remediation’s metrics for its link', async () => {
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
    expect(result).toEqual({ datums: 3, documents: 1 });
    expect(extracted().map((metric) => [metric.metricName, metric.values, metric.dimensions])).toEqual([
      ['RemediationStarted', [1], { Link: 'home-to-eu' }],
      ['RemediationSucceeded', [0], { Link: 'home-to-eu' }],
      ['RemediationFailed', [1], { Link: 'home-to-eu' }],
    ]);
  });

  it('rejects an input of neither kind and writes no metric', async () => {
    const { handler } = await import('#functions/publish-metric/handler.ts');
    await expect(handler({ kind: 'weekly' }, context)).rejects.toThrow(/invalid input/);
    expect(extracted()).toEqual([]);
  });
});
