import { describe, expect, it } from 'vitest';
import type { CfnTemplate } from '#sandbox/iam/template.ts';
import type { HistoryEvent } from '#sandbox/local-sfn.ts';
import { type Config, parseConfig } from '#shared/config.ts';
import { withOneMoreLink } from '../../bench/cost/configs.ts';
import type { TickMeasurement } from '../../bench/cost/measure.ts';
import { alarmMetricCount, executionLogBytes, priceDeployment } from '../../bench/cost/model.ts';
import { PRICES } from '../../bench/cost/prices.ts';
import { billOf, costReport } from '../../bench/cost/report.ts';
import { seedCost } from '../../bench/cost/seed.ts';
import { exampleConfigJson } from '../fixtures/config.ts';

const TICKS = 43_800; // rate(1 minute) over AWS's 730-hour month

/** A small deployment: one key, a standard and a metric-math alarm, a composite, a dashboard, one function. */
const fragment: CfnTemplate = {
  Resources: {
    Key: { Type: 'AWS::KMS::Key' },
    Plain: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 60, MetricName: 'CanaryLatency' } },
    Math: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Metrics: [
          { Id: 'outage', Expression: 'a + b', ReturnData: true },
          { Id: 'a', MetricStat: { Period: 60 }, ReturnData: false },
          { Id: 'b', MetricStat: { Period: 60 }, ReturnData: false },
        ],
      },
    },
    Composite: { Type: 'AWS::CloudWatch::CompositeAlarm' },
    Dashboard: { Type: 'AWS::CloudWatch::Dashboard' },
    Schedule: { Type: 'AWS::Scheduler::Schedule' },
    Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Description: 'VPN Guard check-tunnel: reads tunnels',
        MemorySize: 256,
        Architectures: ['arm64'],
      },
    },
    Monitor: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        StateMachineType: 'EXPRESS',
        DefinitionString: '',
        LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
      },
    },
  },
};

const healthyHistory: HistoryEvent[] = [
  { type: 'ExecutionStarted', timestamp: 0, input: '{"a":1}' },
  { type: 'StateEntered', timestamp: 1, state: 'CheckTunnels', stateType: 'Task', input: '{"a":1}' },
  { type: 'StateExited', timestamp: 2, state: 'CheckTunnels', stateType: 'Task', output: '{"b":2}' },
  { type: 'ExecutionSucceeded', timestamp: 3, output: '{"b":2}' },
];

const tick: TickMeasurement = {
  status: 'SUCCEEDED',
  // 974 bytes in one line: 1,000 with CloudWatch Logs' 26 bytes an event.
  functions: [{ functionId: 'check-tunnel', invocations: 1, logBytes: 974, logEvents: 1 }],
  calls: [
    { functionId: 'check-tunnel', service: 'ec2', region: 'us-west-2', command: 'DescribeVpnConnections' },
  ],
  customMetrics: ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'],
  metricPaths: { putMetricData: 0, emf: 0 },
  history: healthyHistory,
  functionLogLevel: 'INFO',
};

describe('the cost model prices a known template fragment to the hand-computed figure', () => {
  it('adds up metrics, alarms by kind and metric count, KMS, Express, Lambda, logs and the Scheduler', () => {
    const bill = priceDeployment(
      [fragment],
      {
        ...tick,
        calls: [
          ...tick.calls,
          {
            functionId: 'publish-metric',
            service: 'cloudwatch',
            region: 'us-east-1',
            command: 'PutMetricData',
            datums: 6,
          },
        ],
      },
      {
        schedule: 'rate(1 minute)',
      },
    );
    // publish-metric is not among the measured functions: its call is priced, no run time.
    const gb = (bytes: number) => (bytes * TICKS) / 1024 ** 3;
    // check-tunnel: 15 ms handler + one cross-Region call (80 ms) = 95 ms at 256 MB arm64.
    const lambdaGbS = TICKS * 0.095 * 0.25;
    // Express: 95 ms + 10 ms for its one state = 105 ms, billed 200 ms at 64 MB.
    const expressGbS = TICKS * 0.2 * (64 / 1024);
    // START (70 bytes), END (51) and REPORT (142) lines, 26 bytes each on top; no tracing.
    const functionLogs = gb(1000 + 70 + 51 + 142 + 3 * 26);
    const expected =
      6 * 0.3 + // custom metrics
      (TICKS / 1000) * 0.01 + // PutMetricData
      (1 + 2) * 0.1 + // a standard alarm and a metric-math alarm of two metrics
      0.5 + // the composite
      1.0 + // the KMS key
      0 + // the dashboard, within the account's three free ones
      0 + // the Monitor logs at ERROR: a healthy tick writes nothing
      functionLogs * 0.5 +
      functionLogs * 0.03 + // stored for the 30-day retention
      (TICKS / 1e6) * 1.0 + // Express requests
      expressGbS * 0.00001667 +
      (TICKS / 1e6) * 0.2 + // Lambda requests
      lambdaGbS * 0.0000133334 +
      (TICKS / 1e6) * 1.0; // Scheduler
    expect(bill.monthlyUsd).toBeCloseTo(expected, 3);
    expect(bill.monthlyUsdWithDashboards).toBeCloseTo(expected + 3, 3);
    expect(bill.breakdown.KMS).toBe(1);
    expect(bill.breakdown['X-Ray']).toBe(0);
    expect(bill.tick.billedDurationMs).toBe(200);
    expect(bill.tick.billedMemoryMb).toBe(64);
  });

  it('prices the same tick on a STANDARD Monitor by its state transitions', () => {
    const express = priceDeployment([fragment], tick, { schedule: 'rate(1 minute)' });
    const standard = priceDeployment([fragment], tick, {
      schedule: 'rate(1 minute)',
      monitorAsStandard: true,
    });
    const expressSfn = express.breakdown['Step Functions'] ?? 0;
    expect((standard.breakdown['Step Functions'] ?? 0) - 0).toBeCloseTo((TICKS * 1 * 0.025) / 1000, 4);
    expect(standard.monthlyUsd - express.monthlyUsd).toBeCloseTo((TICKS * 0.025) / 1000 - expressSfn, 3);
  });

  it('counts a metric-math alarm by the metrics it queries, a plain alarm as one', () => {
    expect(alarmMetricCount(defined(fragment.Resources.Math))).toBe(2);
    expect(alarmMetricCount(defined(fragment.Resources.Plain))).toBe(1);
  });

  it('prices a 5-minute schedule at a fifth of the ticks', () => {
    const everyMinute = priceDeployment([fragment], tick, { schedule: 'rate(1 minute)' });
    const everyFive = priceDeployment([fragment], tick, { schedule: 'rate(5 minutes)' });
    expect(everyFive.tick.ticksPerMonth).toBe(TICKS / 5);
    expect(everyFive.breakdown['EventBridge Scheduler']).toBeCloseTo(
      (everyMinute.breakdown['EventBridge Scheduler'] ?? 0) / 5,
      4,
    );
  });
});

describe("the Monitor's execution log at each level (Step Functions logs the history events)", () => {
  const failed: HistoryEvent[] = [
    ...healthyHistory.slice(0, 2),
    { type: 'StateFailed', timestamp: 2, state: 'CheckTunnels', stateType: 'Task', error: 'X' },
    { type: 'ExecutionFailed', timestamp: 3, error: 'X' },
  ];

  it('writes nothing for a healthy tick at ERROR, and only the failures of a failed one', () => {
    expect(executionLogBytes(healthyHistory, 'ERROR', true)).toEqual({ bytes: 0, events: 0 });
    expect(executionLogBytes(failed, 'ERROR', true).events).toBe(2);
    expect(executionLogBytes(failed, 'FATAL', true).events).toBe(1);
    expect(executionLogBytes(healthyHistory, 'OFF', true).events).toBe(0);
  });

  it('writes every event at ALL, the payloads only with execution data', () => {
    const withData = executionLogBytes(healthyHistory, 'ALL', true);
    const without = executionLogBytes(healthyHistory, 'ALL', false);
    // ExecutionStarted, TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited, ExecutionSucceeded.
    expect(withData.events).toBe(7);
    expect(without.events).toBe(7);
    expect(withData.bytes).toBeGreaterThan(without.bytes);
  });
});

describe("the seed article's t2.nano", () => {
  it('is the instance, its public address and volume, plus 8 metrics, 5 requests a minute and 3 alarms a link', () => {
    const one = seedCost(1);
    const expected = 730 * 0.0058 + 730 * 0.005 + 8 * 0.08 + 8 * 0.3 + ((5 * TICKS) / 1000) * 0.01 + 3 * 0.1;
    expect(one.monthlyUsd).toBeCloseTo(expected, 3);
    expect(seedCost(2).monthlyUsd - one.monthlyUsd).toBeCloseTo(
      8 * 0.3 + ((5 * TICKS) / 1000) * 0.01 + 0.3,
      3,
    );
  });
});

describe('every price names its source and the day it was read', () => {
  it('has an https source and a date', () => {
    for (const [name, price] of Object.entries(PRICES)) {
      expect(price.source, name).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(price.read, name).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(price.usd, name).toBeGreaterThan(0);
    }
  });
});

describe('npm run cost on the example config (synthesized template, healthy tick on the sandbox)', () => {
  it('reports the marginal link as cost(n+1) - cost(n), the extra link a copy of the last in its VPC', async () => {
    // Prepare: record what the report prices.
    const config: Config = parseConfig(exampleConfigJson());
    const priced: { links: number; vpcs: number; monthlyUsd: number }[] = [];
    const recording: typeof billOf = async (c) => {
      const result = await billOf(c);
      priced.push({
        links: c.links.length,
        vpcs: new Set(c.links.map((l) => l.canary.vpcId)).size,
        monthlyUsd: result.bill.monthlyUsd,
      });
      return result;
    };

    // Act
    const report = await costReport(config, recording);

    // Assess
    expect(priced.map(({ links, vpcs }) => ({ links, vpcs }))).toEqual([
      { links: 1, vpcs: 1 },
      { links: 2, vpcs: 1 },
    ]);
    const [one, two] = priced;
    expect(report.perLinkMarginalUsd).toBeCloseTo((two?.monthlyUsd ?? 0) - (one?.monthlyUsd ?? 0), 4);
    expect(report.monthlyUsd).toBe(one?.monthlyUsd);
    expect(withOneMoreLink(config).links.at(-1)?.canary.vpcId).toBe(config.links[0]?.canary.vpcId);
    // What the tick publishes is what the Outage alarm reads: its two metrics are among them.
    expect(report.tick.customMetrics).toBeGreaterThanOrEqual(2);
    expect(report.lines.find((l) => l.item.startsWith('custom metrics'))?.monthlyUsd).toBeCloseTo(
      report.tick.customMetrics * 0.3,
      4,
    );
    expect(report.tick.lambdaInvocations).toBeGreaterThanOrEqual(4);
    expect(Object.keys(report.breakdown)).toEqual(
      expect.arrayContaining(['CloudWatch', 'CloudWatch Logs', 'Step Functions', 'Lambda', 'KMS']),
    );
  }, 240_000);
});

function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('missing');
  return value;
}
