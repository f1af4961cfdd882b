/**
 * Pure: the metric datums of one monitor tick (design.md metric contract, names and dimensions in
 * functions/shared/metric-names.ts). Each collected figure has its success/failure twin; a collection
 * failure publishes the twin as 0 and *no* figure, so a read failure is never mistaken for tunnels
 * down or connectivity lost. The tunnel collection's own figures are per VPN Region (one
 * DescribeVpnConnections each); the canary collection's are the canary function's own AWS/Lambda
 * metrics (one invocation per canary VPC: `CANARY_COLLECTION_METRICS`), so nothing is published
 * for them here. The link's figures (TunnelsUp, CanarySuccess, CanaryLatency, CanaryLoss) are per
 * link. `CanarySuccess` is the link's k-of-n path verdict (at least `canary.minTargetsUp` targets
 * reachable), not "every target".
 */

import type { LinkTunnels, RegionCheck, TunnelCheckResult } from '#functions/check-tunnel/types.ts';
import type { CanaryResult, LinkCanaryReport } from '#functions/ping-canary/types.ts';
import type { LinkConfig } from '#shared/config.ts';
import {
  LINK_DIMENSION,
  METRICS,
  type MetricDimension,
  type MetricName,
  VPN_REGION_DIMENSION,
} from '#shared/metric-names.ts';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Percent' | 'Seconds';

/** A datum in our own shape: one value of one metric, with the one dimension the contract gives it. */
export interface Datum {
  readonly metricName: MetricName;
  readonly dimension: MetricDimension;
  /** The dimension's value: a link name, a VPN Region or a canary VPC id. */
  readonly dimensionValue: string;
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

/** Something a tick could not collect: a Region's tunnel read, a VPC's canary, or one link in them. */
export interface CollectionFailure {
  readonly collector: 'tunnels' | 'canary';
  /** The VPN Region (tunnels) or canary VPC (canary) whose collection failed. */
  readonly scope: string;
  /** The links left without figures. */
  readonly links: readonly string[];
  readonly error: string;
}

export interface TickMetrics {
  readonly datums: Datum[];
  readonly failures: CollectionFailure[];
}

const distinct = <T>(values: readonly T[]): T[] => [...new Set(values)];

/** Every datum of a tick for `links`, and what could not be collected. */
export function tickDatums(
  links: readonly LinkConfig[],
  tunnels: TunnelBranch,
  canaries: readonly CanaryBranch[],
  now: Date,
): TickMetrics {
  const timestamp = (tunnels.ok ? tunnels.result.checkedAt : undefined) ?? now.toISOString();
  const datums: Datum[] = [];
  const failures: CollectionFailure[] = [];
  const datum = (
    metricName: MetricName,
    dimension: MetricDimension,
    dimensionValue: string,
    value: number,
    unit: MetricUnit,
  ) => datums.push({ metricName, dimension, dimensionValue, value, unit, timestamp });

  // The tunnel collection, per VPN Region: one call read every link of the Region.
  const regionChecks = new Map<string, RegionCheck>(
    tunnels.ok ? (tunnels.result.regions ?? []).map((check) => [check.region, check]) : [],
  );
  const tunnelByLink = new Map<string, LinkTunnels>(
    tunnels.ok ? tunnels.result.links.map((entry) => [entry.link, entry]) : [],
  );
  for (const region of distinct(links.map((link) => link.vpn.region))) {
    const regionLinks = links.filter((link) => link.vpn.region === region).map((link) => link.name);
    const check = regionChecks.get(region);
    datum(METRICS.tunnelCheckSuccess, VPN_REGION_DIMENSION, region, check?.ok ? 1 : 0, 'Count');
    // The failed call's latency is still a figure worth having (a slow, failing API).
    if (check)
      datum(METRICS.tunnelCheckLatency, VPN_REGION_DIMENSION, region, check.latencyMs, 'Milliseconds');
    if (!check?.ok) {
      const error = check
        ? `${check.error.name}: ${check.error.message}`
        : tunnels.ok
          ? 'not checked'
          : tunnels.error;
      failures.push({ collector: 'tunnels', scope: region, links: regionLinks, error });
    }
  }
  for (const { name: link } of links) {
    const tunnel = tunnelByLink.get(link);
    if (tunnel?.ok) datum(METRICS.tunnelsUp, LINK_DIMENSION, link, tunnel.tunnelsUp, 'Count');
  }

  // The canary collection, per canary VPC: one invocation probed every link of the VPC. Its success
  // and latency are that invocation's own AWS/Lambda metrics; what is left here is which links it
  // left without figures (the tick's CollectionIncomplete cause).
  const canaryByLink = new Map<string, LinkCanaryReport>();
  const branchByVpc = new Map<string, CanaryBranch>();
  for (const branch of canaries) {
    const vpcId = branch.ok ? branch.result.vpcId : (branch.vpcId ?? vpcOf(links, branch.links));
    if (vpcId) branchByVpc.set(vpcId, branch);
    if (branch.ok) for (const report of branch.result.links) canaryByLink.set(report.link, report);
  }
  for (const vpcId of distinct(links.map((link) => link.canary.vpcId))) {
    const vpcLinks = links.filter((link) => link.canary.vpcId === vpcId).map((link) => link.name);
    const branch = branchByVpc.get(vpcId);
    if (!branch?.ok) {
      failures.push({
        collector: 'canary',
        scope: vpcId,
        links: vpcLinks,
        error: branch ? branch.error : 'no canary ran for this VPC',
      });
      continue;
    }
    // A link the canary could not judge (unresolved names decide it) is left without figures.
    const unjudged = (branch.result.failures ?? []).filter((failure) => vpcLinks.includes(failure.link));
    const missing = vpcLinks.filter(
      (link) => !canaryByLink.has(link) && !unjudged.some((failure) => failure.link === link),
    );
    for (const failure of unjudged) {
      failures.push({
        collector: 'canary',
        scope: vpcId,
        links: [failure.link],
        error: `${failure.error}: ${failure.message}`,
      });
    }
    if (missing.length > 0) {
      failures.push({
        collector: 'canary',
        scope: vpcId,
        links: missing,
        error: 'no canary result for the link',
      });
    }
  }
  for (const { name: link } of links) {
    const canary = canaryByLink.get(link);
    if (!canary) continue;
    datum(METRICS.canarySuccess, LINK_DIMENSION, link, canary.success ? 1 : 0, 'Count');
    datum(METRICS.canaryLoss, LINK_DIMENSION, link, canary.lossPercent, 'Percent');
    if (canary.latencyMs !== null)
      datum(METRICS.canaryLatency, LINK_DIMENSION, link, canary.latencyMs, 'Milliseconds');
  }
  return { datums, failures };
}

/** The canary VPC of the named links (a failed branch's), from the config. */
function vpcOf(links: readonly LinkConfig[], names: readonly string[]): string | undefined {
  return links.find((link) => names.includes(link.name))?.canary.vpcId;
}

/** One line naming every collection failure of a tick (the Monitor's CollectionIncomplete cause). */
export function failureSummary(failures: readonly CollectionFailure[]): string {
  if (failures.length === 0) return '';
  return failures
    .map(
      (failure) =>
        `${failure.collector} ${failure.scope} (${failure.links.length} link(s): ${failure.links.slice(0, 5).join(', ')}${failure.links.length > 5 ? ', ...' : ''}): ${failure.error}`,
    )
    .join('; ')
    .slice(0, 2000);
}

/** How a remediation ended, as publish-metric records it. */
export interface RemediationOutcomeInput {
  readonly link: string;
  readonly outcome: 'recovered' | 'failed';
  readonly timeToRecoverSeconds: number | null;
}

/**
 * The datums of one finished remediation: RemediationStarted 1, Succeeded and Failed as 1/0 twins
 * (so Sum counts them and Average is the failure rate; a dashboard graphs them), and TimeToRecover only
 * when it recovered.
 */
export function remediationDatums(input: RemediationOutcomeInput, now: Date): Datum[] {
  const timestamp = now.toISOString();
  const datum = (metricName: MetricName, value: number, unit: MetricUnit): Datum => ({
    metricName,
    dimension: LINK_DIMENSION,
    dimensionValue: input.link,
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

/** The datums of one EMF document: one dimension value at one timestamp. */
export interface DatumGroup {
  readonly dimension: MetricDimension;
  readonly dimensionValue: string;
  readonly timestamp: string;
  readonly datums: readonly Datum[];
}

/**
 * Groups datums into the embedded-metric-format documents they need: an EMF document carries one
 * set of dimension values and one timestamp (its `_aws.Timestamp`), so each (dimension, value,
 * timestamp) is one document, in first-seen order.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function datumGroups(datums: readonly Datum[]): DatumGroup[] {
  const groups = new Map<
    string,
    { dimension: MetricDimension; dimensionValue: string; timestamp: string; datums: Datum[] }
  >();
  for (const datum of datums) {
    const key = `${datum.dimension}\u0000${datum.dimensionValue}\u0000${datum.timestamp}`;
    const group = groups.get(key) ?? {
      dimension: datum.dimension,
      dimensionValue: datum.dimensionValue,
      timestamp: datum.timestamp,
      datums: [],
    };
    group.datums.push(datum);
    groups.set(key, group);
  }
  return [...groups.values()];
}
