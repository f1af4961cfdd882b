/**
 * Pure: the metric datums of one monitor tick (design.md metric contract). Each collected figure
 * has its success/failure twin; a collection failure publishes the twin as 0 and *no* figure, so a
 * read failure is never mistaken for tunnels down or connectivity lost. `CanarySuccess` is the
 * link's k-of-n path verdict (at least `canary.minTargetsUp` targets reachable), not "every target".
 */

import type { LinkTunnels, TunnelCheckResult } from '#functions/check-tunnel/types.ts';
import type { CanaryResult, LinkCanaryReport } from '#functions/ping-canary/types.ts';
import type { LinkConfig } from '#shared/config.ts';
import { METRICS } from '#shared/metric-names.ts';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Percent' | 'Seconds';

/** A datum in our own shape; the adapter maps it to PutMetricData's MetricDatum. */
export interface Datum {
  readonly metricName: string;
  readonly link: string;
  readonly value: number;
  readonly unit: MetricUnit;
  readonly timestamp: string;
}

/** The tunnel branch of a tick: the check's result, or the error the state machine caught. */
export type TunnelBranch =
  | { readonly ok: true; readonly result: TunnelCheckResult }
  | { readonly ok: false; readonly error: string; readonly cause?: string };

/** One canary group of a tick: its result, or the error the state machine caught. */
export type CanaryBranch =
  | { readonly ok: true; readonly result: CanaryResult }
  | {
      readonly ok: false;
      readonly vpcId?: string;
      readonly links: readonly string[];
      readonly error: string;
      readonly cause?: string;
    };

export interface CollectionFailure {
  readonly link: string;
  readonly collector: 'tunnels' | 'canary';
  readonly error: string;
}

export interface TickMetrics {
  readonly datums: Datum[];
  readonly failures: CollectionFailure[];
}

/** Every datum of a tick for `links`, and what could not be collected. */
export function tickDatums(
  links: readonly LinkConfig[],
  tunnels: TunnelBranch,
  canaries: readonly CanaryBranch[],
  now: Date,
): TickMetrics {
  const timestamp = (tunnels.ok ? tunnels.result.checkedAt : undefined) ?? now.toISOString();
  const tunnelByLink = new Map<string, LinkTunnels>(
    tunnels.ok ? tunnels.result.links.map((entry) => [entry.link, entry]) : [],
  );
  const canaryByLink = new Map<string, LinkCanaryReport | { failed: string }>();
  for (const branch of canaries) {
    if (branch.ok) {
      for (const report of branch.result.links) canaryByLink.set(report.link, report);
      // A link the canary could not judge (unresolved names decide it): a collection failure.
      for (const failure of branch.result.failures ?? [])
        canaryByLink.set(failure.link, { failed: `${failure.error}: ${failure.message}` });
    } else for (const link of branch.links) canaryByLink.set(link, { failed: branch.error });
  }

  const datums: Datum[] = [];
  const failures: CollectionFailure[] = [];
  for (const { name: link } of links) {
    const datum = (metricName: string, value: number, unit: MetricUnit) =>
      datums.push({ metricName, link, value, unit, timestamp });

    const tunnel = tunnelByLink.get(link);
    if (tunnel?.ok) {
      datum(METRICS.tunnelCheckSuccess, 1, 'Count');
      datum(METRICS.tunnelsUp, tunnel.tunnelsUp, 'Count');
      datum(METRICS.tunnelCheckLatency, tunnel.latencyMs, 'Milliseconds');
    } else {
      datum(METRICS.tunnelCheckSuccess, 0, 'Count');
      // The failed call's latency is still a figure worth having (a slow, failing API).
      if (tunnel) datum(METRICS.tunnelCheckLatency, tunnel.latencyMs, 'Milliseconds');
      const error = tunnel
        ? `${tunnel.error.name}: ${tunnel.error.message}`
        : tunnels.ok
          ? 'not checked'
          : tunnels.error;
      failures.push({ link, collector: 'tunnels', error });
    }

    const canary = canaryByLink.get(link);
    if (canary && !('failed' in canary)) {
      datum(METRICS.canarySuccess, canary.success ? 1 : 0, 'Count');
      datum(METRICS.canaryLoss, canary.lossPercent, 'Percent');
      if (canary.latencyMs !== null) datum(METRICS.canaryLatency, canary.latencyMs, 'Milliseconds');
    } else {
      failures.push({
        link,
        collector: 'canary',
        error: canary ? canary.failed : 'no canary ran for this link',
      });
    }
  }
  return { datums, failures };
}

/** How a remediation ended, as publish-metric records it. */
export interface RemediationOutcomeInput {
  readonly link: string;
  readonly outcome: 'recovered' | 'failed';
  readonly timeToRecoverSeconds: number | null;
}

/**
 * The datums of one finished remediation: RemediationStarted 1, Succeeded and Failed as 1/0 twins
 * (so Sum counts them and the RemediationFailed alarm sees a 0 on success), and TimeToRecover only
 * when it recovered.
 */
export function remediationDatums(input: RemediationOutcomeInput, now: Date): Datum[] {
  const timestamp = now.toISOString();
  const datum = (metricName: string, value: number, unit: MetricUnit): Datum => ({
    metricName,
    link: input.link,
    value,
    unit,
    timestamp,
  });
  const recovered = input.outcome === 'recovered';
  return [
    datum(METRICS.remediationStarted, 1, 'Count'),
    datum(METRICS.remediationSucceeded, recovered ? 1 : 0, 'Count'),
    datum(METRICS.remediationFailed, recovered ? 0 : 1, 'Count'),
    ...(recovered && input.timeToRecoverSeconds !== null
      ? [datum(METRICS.timeToRecover, input.timeToRecoverSeconds, 'Seconds')]
      : []),
  ];
}

/** Splits datums into PutMetricData-sized batches (at most 1,000 datums a call). */
export function batches<T>(items: readonly T[], size = 1000): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
