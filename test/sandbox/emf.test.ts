/**
 * The sandbox reads the functions' embedded-metric-format output as CloudWatch Logs does
 * (sandbox/world/emf.ts, function-logs.ts): what it extracts, what it rejects, and a whole Monitor
 * tick whose metrics reach the world's CloudWatch only through publish-metric's stdout.
 */
import { describe, expect, it } from 'vitest';
import { CloudWatchModel } from '#sandbox/world/cloudwatch.ts';
import { readEmf } from '#sandbox/world/emf.ts';
import { FunctionLogs } from '#sandbox/world/function-logs.ts';
import { quietWorlds } from './support.ts';

const NOW = Date.parse('2026-11-26T12:00:00Z');

/** A minimal valid EMF document with the given overrides of its root. */
function doc(root: Record<string, unknown> = {}, aws: Record<string, unknown> = {}): string {
  return JSON.stringify({
    _aws: {
      Timestamp: NOW - 30_000,
      CloudWatchMetrics: [
        { Namespace: 'VpnGuard', Dimensions: [['Link']], Metrics: [{ Name: 'TunnelsUp', Unit: 'Count' }] },
      ],
      ...aws,
    },
    Link: 'home-to-west',
    TunnelsUp: 2,
    ...root,
  });
}

describe('EMF as CloudWatch Logs reads it', () => {
  it('extracts each metric with its dimension set, values, unit and the document’s own timestamp', () => {
    expect(readEmf(doc(), NOW)).toEqual({
      kind: 'emf',
      metrics: [
        {
          namespace: 'VpnGuard',
          metricName: 'TunnelsUp',
          dimensions: { Link: 'home-to-west' },
          timestamp: NOW - 30_000,
          values: [2],
          unit: 'Count',
        },
      ],
    });
  });

  it('extracts one metric per dimension set, an array of values as several samples', () => {
    const reading = readEmf(
      doc(
        { Region: 'us-west-2', TunnelsUp: [1, 2] },
        {
          CloudWatchMetrics: [
            { Namespace: 'VpnGuard', Dimensions: [['Link'], ['Region']], Metrics: [{ Name: 'TunnelsUp' }] },
          ],
        },
      ),
      NOW,
    );
    expect(reading.kind === 'emf' && reading.metrics.map((m) => [m.dimensions, m.values])).toEqual([
      [{ Link: 'home-to-west' }, [1, 2]],
      [{ Region: 'us-west-2' }, [1, 2]],
    ]);
  });

  it('treats a line that is not a JSON object with _aws.CloudWatchMetrics as a plain log event', () => {
    expect(readEmf('INFO published tick metrics', NOW)).toEqual({ kind: 'log' });
    expect(readEmf('{"level":"INFO","message":"hi"}', NOW)).toEqual({ kind: 'log' });
    expect(readEmf(`${doc()} trailing`, NOW)).toEqual({ kind: 'log' });
  });

  it('extracts nothing from a document that breaks the specification, and says why', () => {
    const rejected = (line: string) => {
      const reading = readEmf(line, NOW);
      return reading.kind === 'rejected' ? reading.reason : `not rejected: ${reading.kind}`;
    };
    expect(rejected(doc({}, { Timestamp: '2026-11-26T12:00:00Z' }))).toMatch(/Timestamp is not a number/);
    expect(rejected(doc({}, { Timestamp: NOW - 15 * 86_400_000 }))).toMatch(/two weeks in the past/);
    expect(rejected(doc({}, { Timestamp: NOW + 3 * 3_600_000 }))).toMatch(/two hours in the future/);
    expect(rejected(doc({ Link: 7 }))).toMatch(/dimension Link is not a string/);
    expect(rejected(doc({ TunnelsUp: 'two' }))).toMatch(/not a number/);
    expect(rejected(doc({ TunnelsUp: Array.from({ length: 101 }, () => 1) }))).toMatch(/101 values/);
    expect(
      rejected(
        doc(
          {},
          {
            CloudWatchMetrics: [
              {
                Namespace: 'VpnGuard',
                Dimensions: [['Link']],
                Metrics: [{ Name: 'TunnelsUp', Unit: 'Hours' }],
              },
            ],
          },
        ),
      ),
    ).toMatch(/not a CloudWatch unit/);
    expect(
      rejected(
        doc(
          {},
          {
            CloudWatchMetrics: [
              { Namespace: 'AWS/States', Dimensions: [], Metrics: [{ Name: 'TunnelsUp' }] },
            ],
          },
        ),
      ),
    ).toMatch(/AWS\//);
  });
});

describe('function logs', () => {
  it('store an EMF document’s metrics at its _aws.Timestamp, and echo plain lines only', () => {
    // Prepare
    const cloudwatch = new CloudWatchModel('us-east-1', '111111111111', () => NOW);
    const logs = new FunctionLogs(cloudwatch, () => NOW);
    const echoed: string[] = [];
    // Act
    logs.line('publish-metric', 1, doc(), (text) => echoed.push(text));
    logs.line('publish-metric', 1, 'plain', (text) => echoed.push(text));
    // Assess
    expect(cloudwatch.samples('VpnGuard', 'TunnelsUp', { Link: 'home-to-west' })).toEqual([
      expect.objectContaining({ timestamp: NOW - 30_000, count: 1, sum: 2, min: 2, max: 2, unit: 'Count' }),
    ]);
    expect(echoed).toEqual(['plain\n']);
    expect(logs.events.map((event) => event.kind)).toEqual(['emf', 'log']);
  });
});

describe('a Monitor tick in the world', () => {
  const quietWorld = quietWorlds();

  it('reaches CloudWatch only as EMF from publish-metric’s log, at the tick’s check time, with the contract’s dimensions', async () => {
    // Prepare
    const w = await quietWorld({ remoteHosts: true, historyMinutes: 0 });
    const link = w.config.links[0];
    if (!link) throw new Error('fixture');
    const started = w.clock.now();
    // Act
    const monitor = w.startMonitorExecution();
    await w.runUntilDone(monitor);
    // Assess
    expect(monitor.status).toBe('SUCCEEDED');
    expect(w.calls.filter({ command: 'PutMetricData' })).toEqual([]);
    expect(w.functionLogs.rejected()).toEqual([]);
    const emf = w.functionLogs.events.filter((event) => event.kind === 'emf');
    expect(new Set(emf.map((event) => event.functionId))).toEqual(new Set(['publish-metric']));
    const samples = (metric: string, dimensions: Record<string, string>) =>
      w.cloudwatch.samples('VpnGuard', metric, dimensions);
    expect(samples('TunnelCheckSuccess', { VpnRegion: link.vpn.region })).toEqual([
      expect.objectContaining({ count: 1, sum: 1 }),
    ]);
    // The canary collection is the canary function's own AWS/Lambda Invocations/Errors, not EMF.
    expect(samples('CanaryCheckSuccess', { CanaryVpc: link.canary.vpcId })).toEqual([]);
    expect(samples('TunnelsUp', { Link: link.name })).toEqual([expect.objectContaining({ sum: 2 })]);
    expect(samples('TunnelCheckSuccess', { Link: link.name })).toEqual([]);
    // The datapoint carries the EMF timestamp (the tick's check time), not the time it was read.
    const [tunnels] = samples('TunnelsUp', { Link: link.name });
    expect(tunnels?.timestamp).toBeGreaterThanOrEqual(started);
    expect(tunnels?.timestamp).toBeLessThanOrEqual(monitor.stopDate ?? Number.POSITIVE_INFINITY);
    // The world counts what the functions log (the cost of their log groups).
    expect(w.functionLogs.bytesByFunction()['publish-metric']).toBeGreaterThan(0);
  });
});
