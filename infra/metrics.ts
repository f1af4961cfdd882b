/**
 * The metric contract (design.md; names and dimensions in functions/shared/metric-names.ts) as CDK Metric objects for the
 * dashboard. The functions publish these; infra only reads them.
 */
import { Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { type LinkMetricKeys, metricDimensionsFor } from '#shared/metric-names.ts';
import { LINK_DIMENSION, type METRICS } from './alarm-specs.ts';

/** A metric name of the contract (METRICS in infra/alarm-specs.ts). */
export type LinkMetricName = (typeof METRICS)[keyof typeof METRICS];

export interface LinkMetricOptions {
  readonly statistic: 'Minimum' | 'Maximum' | 'Average' | 'Sum' | 'SampleCount';
  /** @default 60 seconds */
  readonly periodSeconds?: number;
  readonly label?: string;
}

/** A link's metric in the deployment's namespace. */
export function linkMetric(
  namespace: string,
  link: string,
  name: LinkMetricName,
  options: LinkMetricOptions,
): Metric {
  return new Metric({
    namespace,
    metricName: name,
    dimensionsMap: { [LINK_DIMENSION]: link },
    statistic: options.statistic,
    period: Duration.seconds(options.periodSeconds ?? 60),
    ...(options.label !== undefined && { label: options.label }),
  });
}

/** A metric of the contract with the dimension the contract gives it for `link` (metric-names.ts). */
export function contractMetric(
  namespace: string,
  link: LinkMetricKeys,
  name: LinkMetricName,
  options: LinkMetricOptions,
): Metric {
  return new Metric({
    namespace,
    metricName: name,
    dimensionsMap: metricDimensionsFor(name, link),
    statistic: options.statistic,
    period: Duration.seconds(options.periodSeconds ?? 60),
    ...(options.label !== undefined && { label: options.label }),
  });
}

/**
 * A stable PascalCase construct id from a link name (`home-to-west` → `HomeToWest`). A segment that
 * starts with a digit gets a `_` so distinct names never share an id (`a-1` → `A_1`, `a1` → `A1`).
 */
export function pascalId(name: string): string {
  return name
    .split('-')
    .map((segment, index) => {
      const first = segment.charAt(0);
      if (/[a-z]/.test(first)) return first.toUpperCase() + segment.slice(1);
      return index === 0 ? segment : `_${segment}`;
    })
    .join('');
}
