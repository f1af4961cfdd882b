/**
 * What a deployment costs a month at list prices (us-east-1, no free tier), from its config. The
 * figures are the design's (design.md "Cost"); the arithmetic is here so the README's numbers can
 * be reproduced and change when the metric or alarm count changes.
 */
import { METRICS } from '#infra/alarm-specs.ts';
import type { Config } from '#shared/config.ts';

export const PRICES = {
  customMetricMonth: 0.3,
  standardAlarmMonth: 0.1,
  compositeAlarmMonth: 0.5,
  putMetricDataPer1000: 0.01,
  expressRequestPerMillion: 1.0,
  expressGbSecond: 0.00001667,
  lambdaRequestPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  dashboardMonth: 3.0,
  logsIngestPerGb: 0.5,
} as const;

const MINUTES_PER_MONTH = 43_200; // 30 days

/** Ticks a month for a schedule expression (rate() only; cron counted as once a minute). */
export function ticksPerMonth(schedule: string): number {
  const match = /^rate\((\d+) minutes?\)$/.exec(schedule);
  return match ? MINUTES_PER_MONTH / Number(match[1]) : MINUTES_PER_MONTH;
}

export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  readonly monthlyUsd: number;
}

/** Monthly cost lines of the monitoring (remediations are rare and cost cents each). */
export function monthlyCost(config: Config): { lines: CostLine[]; totalUsd: number; perLinkUsd: number } {
  const links = config.links.length;
  const ticks = ticksPerMonth(config.schedule);
  const tickMetrics = [
    METRICS.tunnelsUp,
    METRICS.tunnelCheckSuccess,
    METRICS.tunnelCheckLatency,
    METRICS.canarySuccess,
    METRICS.canaryLatency,
    METRICS.canaryLoss,
  ].length;
  const canaryFunctions = new Set(config.links.map((link) => link.canary.vpcId)).size;
  // Per tick: check-tunnel, each canary, publish-metric, start-remediation; ~0.3 s at 256 MB each
  // except the canary (up to attempts x timeout when the far side is silent; ~0.1 s when healthy).
  const invocationsPerTick = 3 + canaryFunctions;
  const lambdaGbSeconds = ticks * invocationsPerTick * 0.3 * 0.25;
  const lines: CostLine[] = [
    {
      item: 'custom metrics (6 per link)',
      quantity: tickMetrics * links,
      monthlyUsd: tickMetrics * links * PRICES.customMetricMonth,
    },
    {
      item: 'remediation metrics (4 per link, only once a remediation ran)',
      quantity: 4 * links,
      monthlyUsd: 0,
    },
    {
      item: 'metric alarms (4 per link + RemediationFailed per link + 2 monitor)',
      quantity: 5 * links + 2,
      monthlyUsd: (5 * links + 2) * PRICES.standardAlarmMonth,
    },
    { item: 'composite Unhealthy alarms', quantity: links, monthlyUsd: links * PRICES.compositeAlarmMonth },
    {
      item: 'PutMetricData requests (one per tick for all links)',
      quantity: ticks,
      monthlyUsd: (ticks / 1000) * PRICES.putMetricDataPer1000,
    },
    {
      item: 'EXPRESS executions (64 MB, ~1 s billed)',
      quantity: ticks,
      monthlyUsd:
        (ticks / 1e6) * PRICES.expressRequestPerMillion + ticks * 1 * 0.0625 * PRICES.expressGbSecond,
    },
    {
      item: 'Lambda requests + arm64 duration',
      quantity: ticks * invocationsPerTick,
      monthlyUsd:
        ((ticks * invocationsPerTick) / 1e6) * PRICES.lambdaRequestPerMillion +
        lambdaGbSeconds * PRICES.lambdaArmGbSecond,
    },
    // EXPRESS logging ALL with execution data writes every state's input and output (~10 KB a link
    // per tick, estimated from the local runs' payloads) plus ~5 KB of Lambda JSON logs.
    {
      item: 'logs ingested (~5 KB + 10 KB per link per tick, EXPRESS ALL)',
      quantity: ticks,
      monthlyUsd: ((ticks * (5 + 10 * links) * 1024) / 1024 ** 3) * PRICES.logsIngestPerGb,
    },
  ];
  const totalUsd = lines.reduce((sum, line) => sum + line.monthlyUsd, 0);
  return { lines, totalUsd, perLinkUsd: totalUsd / links };
}

/** The optional dashboard, priced apart (free for an account's first three). */
export const dashboardMonthlyUsd = PRICES.dashboardMonth;
