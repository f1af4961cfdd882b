/**
 * The seed article's own setup (/work/shared/seed: "a self-healing t2.nano instance that checks and
 * reports status every minute", cron scripts publishing custom metrics with their success/fail
 * twins and latency, three alarms to SNS), priced with the same list prices. What the article does
 * not say is an assumption, listed here.
 */
import type { CostLine } from './model.ts';
import { HOURS_PER_MONTH, MINUTES_PER_MONTH, PRICES } from './prices.ts';

/** The assumptions, for the report. */
export const SEED_ASSUMPTIONS = [
  'one t2.nano (Linux, on-demand) always on, with an 8 GB gp3 root volume',
  'a public IPv4 address: the article says the instance "must have access to the internet, either directly or through a NAT instance" (directly is the cheaper)',
  'per link 8 custom metrics: tunnels UP, its success and failure, its latency; connectivity, its success and failure, its latency',
  'per link 5 PutMetricData requests a minute: one from the Ruby tunnel script, one per metric from the shell script (`aws cloudwatch put-metric-data` sends one metric a call)',
  'per link 3 standard alarms: tunnels UP < 1, connectivity failed, latency > 200 ms',
];

/** The seed setup's monthly lines for `links` links (one instance watches them all). */
export function seedCost(links: number): { lines: CostLine[]; monthlyUsd: number } {
  const line = (item: string, quantity: number, unit: string, monthlyUsd: number): CostLine => ({
    service: 'seed',
    item,
    quantity,
    unit,
    monthlyUsd: Math.round(monthlyUsd * 10_000) / 10_000,
  });
  const requests = 5 * links * MINUTES_PER_MONTH;
  const lines = [
    line('t2.nano always on', HOURS_PER_MONTH, 'hours', HOURS_PER_MONTH * PRICES.t2NanoHour.usd),
    line('public IPv4 address', HOURS_PER_MONTH, 'hours', HOURS_PER_MONTH * PRICES.publicIpv4Hour.usd),
    line('8 GB gp3 root volume', 8, 'GB-month', 8 * PRICES.gp3GbMonth.usd),
    line('custom metrics', 8 * links, 'metrics', 8 * links * PRICES.customMetricMonth.usd),
    line('PutMetricData requests', requests, 'requests', (requests / 1000) * PRICES.putMetricDataPer1000.usd),
    line('standard alarms', 3 * links, 'alarm metrics', 3 * links * PRICES.standardAlarmMetricMonth.usd),
  ];
  return { lines, monthlyUsd: Math.round(lines.reduce((s, l) => s + l.monthlyUsd, 0) * 10_000) / 10_000 };
}
