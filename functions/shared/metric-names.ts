/**
 * The metric contract (design.md "Metrics"), shared by the functions that publish it, the stack that
 * alarms on it and draws it, the sandbox that stores it and the cost model that counts it. Imports
 * nothing: `infra/` and `functions/` both read it, it reads neither.
 *
 * Namespace: the config's `namespace`. Each metric has exactly one dimension, named by
 * {@link METRIC_DIMENSION}:
 * - `Link` for what is per link: the tunnels UP and the link's path (CanarySuccess, CanaryLatency,
 *   CanaryLoss), and the remediation figures;
 * - `VpnRegion` for the tunnel collection: one DescribeVpnConnections call per VPN Region and tick
 *   reads every link of that Region, so its success and latency are the Region's, not copied per link;
 * - `CanaryVpc` for the canary collection: one ping-canary invocation per canary VPC and tick
 *   probes every link of that VPC.
 *
 * Every collected figure has its success/failure twin carried by one 1/0 metric: Sum is the
 * successes, SampleCount − Sum the failures, Average the success rate.
 */

/** The metric names. */
export const METRICS = {
  tunnelsUp: 'TunnelsUp',
  tunnelCheckSuccess: 'TunnelCheckSuccess',
  tunnelCheckLatency: 'TunnelCheckLatency',
  canarySuccess: 'CanarySuccess',
  canaryLatency: 'CanaryLatency',
  canaryLoss: 'CanaryLoss',
  canaryCheckSuccess: 'CanaryCheckSuccess',
  canaryCheckLatency: 'CanaryCheckLatency',
  remediationStarted: 'RemediationStarted',
  remediationSucceeded: 'RemediationSucceeded',
  remediationFailed: 'RemediationFailed',
  timeToRecover: 'TimeToRecover',
} as const;

/** A metric name of the contract. */
export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** The dimension of per-link metrics: the link's `name`. */
export const LINK_DIMENSION = 'Link';
/** The dimension of the tunnel collection's metrics: the link's `vpn.region`. */
export const VPN_REGION_DIMENSION = 'VpnRegion';
/** The dimension of the canary collection's metrics: the link's `canary.vpcId`. */
export const CANARY_VPC_DIMENSION = 'CanaryVpc';

/** A dimension name of the contract. */
export type MetricDimension =
  | typeof LINK_DIMENSION
  | typeof VPN_REGION_DIMENSION
  | typeof CANARY_VPC_DIMENSION;

/** The one dimension each metric is published with. */
export const METRIC_DIMENSION: Readonly<Record<MetricName, MetricDimension>> = {
  TunnelsUp: LINK_DIMENSION,
  TunnelCheckSuccess: VPN_REGION_DIMENSION,
  TunnelCheckLatency: VPN_REGION_DIMENSION,
  CanarySuccess: LINK_DIMENSION,
  CanaryLatency: LINK_DIMENSION,
  CanaryLoss: LINK_DIMENSION,
  CanaryCheckSuccess: CANARY_VPC_DIMENSION,
  CanaryCheckLatency: CANARY_VPC_DIMENSION,
  RemediationStarted: LINK_DIMENSION,
  RemediationSucceeded: LINK_DIMENSION,
  RemediationFailed: LINK_DIMENSION,
  TimeToRecover: LINK_DIMENSION,
};

/** The metrics a monitor tick publishes, by the dimension they carry. */
export const TICK_METRICS = {
  [LINK_DIMENSION]: [METRICS.tunnelsUp, METRICS.canarySuccess, METRICS.canaryLatency, METRICS.canaryLoss],
  [VPN_REGION_DIMENSION]: [METRICS.tunnelCheckSuccess, METRICS.tunnelCheckLatency],
  [CANARY_VPC_DIMENSION]: [METRICS.canaryCheckSuccess, METRICS.canaryCheckLatency],
} as const satisfies Readonly<Record<MetricDimension, readonly MetricName[]>>;

/** The metrics a finished remediation publishes (dimension `Link`). */
export const REMEDIATION_METRICS = [
  METRICS.remediationStarted,
  METRICS.remediationSucceeded,
  METRICS.remediationFailed,
  METRICS.timeToRecover,
] as const satisfies readonly MetricName[];

/** What a link is identified by in each dimension. */
export interface LinkMetricKeys {
  readonly name: string;
  readonly vpn: { readonly region: string };
  readonly canary: { readonly vpcId: string };
}

/** The dimensions (name → value) of `metric` as published for `link`. */
export function metricDimensionsFor(metric: MetricName, link: LinkMetricKeys): Record<string, string> {
  const dimension = METRIC_DIMENSION[metric];
  const value =
    dimension === LINK_DIMENSION
      ? link.name
      : dimension === VPN_REGION_DIMENSION
        ? link.vpn.region
        : link.canary.vpcId;
  return { [dimension]: value };
}

/**
 * The distinct custom metrics (name × dimension value) a deployment publishes: each costs about
 * $0.30 a month, so this is what the bill counts. Collection metrics are shared by the links of one
 * VPN Region or canary VPC.
 */
export function publishedMetricIdentities(
  links: readonly LinkMetricKeys[],
): { readonly metricName: MetricName; readonly dimensions: Record<string, string> }[] {
  const seen = new Map<string, { metricName: MetricName; dimensions: Record<string, string> }>();
  const all = [...Object.values(TICK_METRICS).flat(), ...REMEDIATION_METRICS];
  for (const link of links) {
    for (const metricName of all) {
      const dimensions = metricDimensionsFor(metricName, link);
      seen.set(`${metricName}|${JSON.stringify(dimensions)}`, { metricName, dimensions });
    }
  }
  return [...seen.values()];
}
