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
 * - the canary collection is one invocation of the canary VPC's own ping-canary function per tick,
 *   so its success/failure and latency are that function's `AWS/Lambda` metrics, which Lambda
 *   publishes at no charge ({@link CANARY_COLLECTION_METRICS}): a custom copy would cost two
 *   metrics (about $0.60 a month) per canary VPC.
 *
 * Every collected figure has its success/failure twin: for the tunnel collection one 1/0 metric
 * (Sum is the successes, SampleCount − Sum the failures, Average the success rate), for the canary
 * collection Invocations − Errors and Errors.
 */

/** The metric names. */
export const METRICS = {
  tunnelsUp: 'TunnelsUp',
  tunnelCheckSuccess: 'TunnelCheckSuccess',
  tunnelCheckLatency: 'TunnelCheckLatency',
  canarySuccess: 'CanarySuccess',
  canaryLatency: 'CanaryLatency',
  canaryLoss: 'CanaryLoss',
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
/** A dimension name of the contract. */
export type MetricDimension = typeof LINK_DIMENSION | typeof VPN_REGION_DIMENSION;

/**
 * The canary collection's figures, as Lambda publishes them for every function
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html), dimension
 * `FunctionName` of the canary VPC's ping-canary function:
 * - `Invocations`: the collections that ran (Sum), a failed one included;
 * - `Errors`: the ones that failed (Sum): the function threw, timed out or judged none of its links;
 *   `Invocations − Errors` is the successes;
 * - `Duration`: each collection's latency, ms (the whole run: every link of the VPC probed at once);
 * - `Throttles`: collections Lambda refused to start (not in Invocations).
 * A link the run could not judge while others were judged is not an invocation error: that link has
 * no CanarySuccess figure that tick and the tick ends CollectionIncomplete (naming it).
 */
export const CANARY_COLLECTION_METRICS = {
  namespace: 'AWS/Lambda',
  dimension: 'FunctionName',
  runs: 'Invocations',
  failures: 'Errors',
  latency: 'Duration',
  throttles: 'Throttles',
} as const;

/** The one dimension each metric is published with. */
export const METRIC_DIMENSION: Readonly<Record<MetricName, MetricDimension>> = {
  TunnelsUp: LINK_DIMENSION,
  TunnelCheckSuccess: VPN_REGION_DIMENSION,
  TunnelCheckLatency: VPN_REGION_DIMENSION,
  CanarySuccess: LINK_DIMENSION,
  CanaryLatency: LINK_DIMENSION,
  CanaryLoss: LINK_DIMENSION,
  RemediationStarted: LINK_DIMENSION,
  RemediationSucceeded: LINK_DIMENSION,
  RemediationFailed: LINK_DIMENSION,
  TimeToRecover: LINK_DIMENSION,
};

/** The metrics a monitor tick publishes, by the dimension they carry. */
export const TICK_METRICS = {
  [LINK_DIMENSION]: [METRICS.tunnelsUp, METRICS.canarySuccess, METRICS.canaryLatency, METRICS.canaryLoss],
  [VPN_REGION_DIMENSION]: [METRICS.tunnelCheckSuccess, METRICS.tunnelCheckLatency],
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
}

/** The dimensions (name → value) of `metric` as published for `link`. */
export function metricDimensionsFor(metric: MetricName, link: LinkMetricKeys): Record<string, string> {
  const dimension = METRIC_DIMENSION[metric];
  return { [dimension]: dimension === LINK_DIMENSION ? link.name : link.vpn.region };
}

/**
 * The distinct custom metrics (name × dimension value) a deployment publishes: each costs about
 * $0.30 a month, so this is what the bill counts. The tunnel collection's metrics are shared by the
 * links of one VPN Region; the canary collection's are AWS/Lambda's (not custom, not counted).
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
