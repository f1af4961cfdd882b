/**
 * The embedded metric format through Powertools Metrics: each datum group becomes one EMF document
 * written to the function's standard output, which Lambda sends to the function's CloudWatch Logs
 * log group, where CloudWatch extracts the metrics (no PutMetricData call, no API to throttle).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 * https://docs.aws.amazon.com/powertools/typescript/latest/features/metrics/
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DatumGroup, MetricUnit as DatumUnit } from './datums.ts';

const UNITS: Readonly<Record<DatumUnit, (typeof MetricUnit)[keyof typeof MetricUnit]>> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  Percent: MetricUnit.Percent,
  Seconds: MetricUnit.Seconds,
};

/**
 * Writes one EMF document per group (its one dimension and its timestamp as `_aws.Timestamp`, so a
 * datapoint lands in the minute it was measured, not the minute it was written); returns the number
 * of documents written. `metrics` must carry no default dimension: the contract gives each metric
 * exactly one (see {@link emfMetrics}).
 */
export function emitDatumGroups(metrics: Metrics, groups: readonly DatumGroup[]): number {
  for (const group of groups) {
    metrics.addDimension(group.dimension, group.dimensionValue);
    metrics.setTimestamp(new Date(group.timestamp));
    for (const datum of group.datums) metrics.addMetric(datum.metricName, UNITS[datum.unit], datum.value);
    metrics.publishStoredMetrics();
  }
  return groups.length;
}

/**
 * Makes a Powertools Metrics publisher fit the contract: Powertools adds a `service` default
 * dimension to every metric, which would make each metric a different (and separately billed)
 * CloudWatch metric from the one the alarms watch; the contract's metrics carry their one dimension.
 */
export function emfMetrics(metrics: Metrics): Metrics {
  metrics.clearDefaultDimensions();
  return metrics;
}
