/**
 * What each per-link alarm watches, as plain data: the stack turns these into CloudWatch alarms
 * and the sandbox evaluates the very same specs, so the drill exercises the deployed thresholds.
 */

import { type LinkAlarm, linkAlarmName } from '#shared/alarm-names.ts';
import { alarmTuningFor, type Config, type LinkConfig } from '#shared/config.ts';
import { LINK_DIMENSION, METRICS, metricDimensionsFor } from '#shared/metric-names.ts';

export type Statistic = 'Minimum' | 'Maximum' | 'Average' | 'Sum' | 'SampleCount';
export type Comparison =
  | 'LessThanThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanOrEqualToThreshold'
  | 'GreaterThanOrEqualToThreshold';
export type MissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';

// The metric contract lives in functions/shared/metric-names.ts (shared by the publishers, the
// stack and the sandbox); re-exported here for the modules that have always imported it from here.
export {
  CANARY_VPC_DIMENSION,
  LINK_DIMENSION,
  METRIC_DIMENSION,
  METRICS,
  type MetricName,
  VPN_REGION_DIMENSION,
} from '#shared/metric-names.ts';

export interface MetricAlarmSpec {
  readonly alarm: Exclude<LinkAlarm, 'Unhealthy'>;
  readonly alarmName: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: Statistic;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly comparison: Comparison;
  readonly threshold: number;
  readonly treatMissingData: MissingData;
}

export interface CompositeAlarmSpec {
  readonly alarm: 'Unhealthy';
  readonly alarmName: string;
  readonly description: string;
  /** ALARM when any of these is in ALARM. */
  readonly anyOf: readonly string[];
}

/** The metric alarms (the four of the link's health, and RemediationFailed) and the composite of one link. */
export function linkAlarmSpecs(
  config: Config,
  link: LinkConfig,
): { metricAlarms: MetricAlarmSpec[]; unhealthy: CompositeAlarmSpec } {
  const tuning = alarmTuningFor(config, link);
  const common = {
    namespace: config.namespace,
    dimensions: { [LINK_DIMENSION]: link.name },
    periodSeconds: tuning.periodSeconds,
    evaluationPeriods: tuning.evaluationPeriods,
    datapointsToAlarm: tuning.datapointsToAlarm,
  };
  const name = (alarm: LinkAlarm) => linkAlarmName(config.namespace, link.name, alarm);
  const metricAlarms: MetricAlarmSpec[] = [
    {
      ...common,
      alarm: 'TunnelsDown',
      alarmName: name('TunnelsDown'),
      description: `Fewer than ${link.vpn.minTunnelsUp} VPN tunnel(s) UP on link ${link.name}. A failed read publishes no TunnelsUp, so missing data is not a tunnel failure.`,
      metricName: METRICS.tunnelsUp,
      statistic: 'Minimum',
      comparison: 'LessThanThreshold',
      threshold: link.vpn.minTunnelsUp,
      treatMissingData: 'notBreaching',
    },
    {
      ...common,
      alarm: 'ConnectivityLost',
      alarmName: name('ConnectivityLost'),
      description: `Fewer than ${link.canary.minTargetsUp} of the ${link.canary.targets.length} canary target(s) across link ${link.name} answered a TCP handshake (the path is down).`,
      metricName: METRICS.canarySuccess,
      statistic: 'Minimum',
      comparison: 'LessThanThreshold',
      threshold: 1,
      treatMissingData: 'notBreaching',
    },
    {
      ...common,
      alarm: 'LatencyHigh',
      alarmName: name('LatencyHigh'),
      description: `Median TCP handshake time across link ${link.name} above ${link.canary.latencyThresholdMs} ms.`,
      metricName: METRICS.canaryLatency,
      statistic: 'Average',
      comparison: 'GreaterThanThreshold',
      threshold: link.canary.latencyThresholdMs,
      treatMissingData: 'notBreaching',
    },
    {
      ...common,
      alarm: 'MonitorSilent',
      alarmName: name('MonitorSilent'),
      description: `No tunnel-check datapoints for link ${link.name} (its VPN Region ${link.vpn.region}): the monitor itself is not running. Missing data is breaching so a dead monitor raises an alarm.`,
      metricName: METRICS.tunnelCheckSuccess,
      // The tunnel collection is published per VPN Region (metric-names.ts), not per link.
      dimensions: metricDimensionsFor(METRICS.tunnelCheckSuccess, link),
      statistic: 'SampleCount',
      comparison: 'LessThanThreshold',
      threshold: 1,
      treatMissingData: 'breaching',
    },
    {
      ...common,
      alarm: 'RemediationFailed',
      alarmName: name('RemediationFailed'),
      description: `A remediation of link ${link.name} failed: the gateway needs a human (see the Remediation execution).`,
      metricName: METRICS.remediationFailed,
      statistic: 'Sum',
      // One failed remediation is enough, whatever the link's M-of-N tuning.
      periodSeconds: 60,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      treatMissingData: 'notBreaching',
    },
  ];
  const unhealthy: CompositeAlarmSpec = {
    alarm: 'Unhealthy',
    alarmName: name('Unhealthy'),
    description: `Link ${link.name} is down (tunnels down or connectivity lost). Starts automatic remediation when enabled.`,
    anyOf: [name('TunnelsDown'), name('ConnectivityLost')],
  };
  return { metricAlarms, unhealthy };
}

/** The composite's AlarmRule text, as CloudWatch expects it. */
export function compositeRule(spec: CompositeAlarmSpec): string {
  return spec.anyOf.map((alarmName) => `ALARM("${alarmName}")`).join(' OR ');
}

/** The stack-level alarms on the Monitor machine's own `AWS/States` metrics (infra/constructs/monitor.ts). */
export const MONITOR_EXECUTION_ALARMS = ['MonitorExecutionsFailed', 'MonitorExecutionsTimedOut'] as const;
export type MonitorExecutionAlarm = (typeof MONITOR_EXECUTION_ALARMS)[number];

/** A metric alarm of the stack itself rather than of one link. */
export interface StackAlarmSpec extends Omit<MetricAlarmSpec, 'alarm'> {
  readonly alarm: MonitorExecutionAlarm;
}

/**
 * The Monitor's execution alarms as data: Step Functions publishes `ExecutionsFailed` and
 * `ExecutionsTimedOut` (Sum per minute, dimension `StateMachineArn`) in `AWS/States`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html); 3 of the last 5
 * minutes with at least one alarms. infra/constructs/monitor.ts deploys the same figures (a test
 * compares them with the synthesized template), so the sandbox evaluates the deployed alarms.
 */
export function monitorExecutionAlarmSpecs(config: Config, stateMachineArn: string): StackAlarmSpec[] {
  return (
    [
      ['MonitorExecutionsFailed', 'ExecutionsFailed', 'failed'],
      ['MonitorExecutionsTimedOut', 'ExecutionsTimedOut', 'timed out'],
    ] as const
  ).map(([alarm, metricName, what]) => ({
    alarm,
    alarmName: `${config.namespace}-${alarm}`,
    description: `VPN Guard monitor executions ${what} in 3 of the last 5 minutes: see the Monitor state machine logs.`,
    namespace: 'AWS/States',
    metricName,
    dimensions: { StateMachineArn: stateMachineArn },
    statistic: 'Sum',
    periodSeconds: 60,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    treatMissingData: 'notBreaching',
  }));
}
