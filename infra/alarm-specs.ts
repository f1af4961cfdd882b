/**
 * What each per-link alarm watches, as plain data: the stack turns these into CloudWatch alarms
 * and the sandbox evaluates the very same specs, so the drill exercises the deployed thresholds.
 */

import { type LinkAlarm, linkAlarmName } from '#shared/alarm-names.ts';
import { alarmTuningFor, type Config, type LinkConfig } from '#shared/config.ts';
import { LINK_DIMENSION, METRICS } from '#shared/metric-names.ts';

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
  LINK_DIMENSION,
  METRIC_DIMENSION,
  METRICS,
  type MetricName,
  VPN_REGION_DIMENSION,
} from '#shared/metric-names.ts';

export interface MetricAlarmSpec {
  readonly alarm: Exclude<LinkAlarm, 'Outage'>;
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

/** One metric a metric-math alarm queries (a `MetricStat`, ReturnData false). */
export interface MathMetric {
  /** The query id the expression names (lowercase first letter, as CloudWatch requires). */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: Statistic;
}

/**
 * A metric-math alarm: CloudWatch evaluates `expression` (the one query with ReturnData true) over
 * the metrics' datapoints of each period, then the threshold, M of N and missing data as for any
 * alarm (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html).
 * Billed per metric it queries (https://aws.amazon.com/cloudwatch/pricing/).
 */
export interface MathAlarmSpec {
  readonly alarm: 'Outage';
  readonly alarmName: string;
  readonly description: string;
  readonly metrics: readonly MathMetric[];
  readonly expressionId: string;
  readonly expression: string;
  readonly label: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly comparison: Comparison;
  readonly threshold: number;
  readonly treatMissingData: MissingData;
}

/**
 * What the Outage alarm's value means in each period: 0 healthy, 1 tunnels below minTunnelsUp,
 * 2 the canary path down, 3 both (the alarm's state reason shows the value, so the operator sees
 * which evidence fired it).
 */
export const OUTAGE_VALUES = { tunnelsDown: 1, connectivityLost: 2 } as const;

/**
 * The alarms of one link: the metric-math Outage alarm (tunnels below minTunnelsUp, or the canary
 * path down: the seed article's two alarms as one) and LatencyHigh. A failed remediation is paged
 * by notify, not by an alarm on the RemediationFailed metric (which stays, for dashboards and
 * runbooks): that alarm sent a second e-mail for the same failure, while the link's Outage alarm
 * stays in ALARM as long as the link is down.
 * Fewer than all tunnels but at least minTunnelsUp is "redundancy lost": the Monitor reports it
 * (start-remediation's `redundancy-lost` severity), no alarm pages for it.
 */
export function linkAlarmSpecs(
  config: Config,
  link: LinkConfig,
): { metricAlarms: MetricAlarmSpec[]; outage: MathAlarmSpec } {
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
      alarm: 'LatencyHigh',
      alarmName: name('LatencyHigh'),
      description: `Median TCP handshake time across link ${link.name} above ${link.canary.latencyThresholdMs} ms.`,
      metricName: METRICS.canaryLatency,
      statistic: 'Average',
      comparison: 'GreaterThanThreshold',
      threshold: link.canary.latencyThresholdMs,
      treatMissingData: 'notBreaching',
    },
  ];
  const min = link.vpn.minTunnelsUp;
  const { tunnelsDown, connectivityLost } = OUTAGE_VALUES;
  const outage: MathAlarmSpec = {
    alarm: 'Outage',
    alarmName: name('Outage'),
    description:
      `Outage of link ${link.name}: fewer than ${min} VPN tunnel(s) UP (value ${tunnelsDown}), or fewer than ` +
      `${link.canary.minTargetsUp} of the ${link.canary.targets.length} canary target(s) answered (value ${connectivityLost}; ` +
      `both: ${tunnelsDown + connectivityLost}). A failed read publishes no figure, and a missing figure is not a failure ` +
      '(MonitorSilent watches the monitor). Starts automatic remediation when enabled.',
    metrics: [
      {
        id: 'tunnels',
        namespace: config.namespace,
        metricName: METRICS.tunnelsUp,
        dimensions: common.dimensions,
        statistic: 'Minimum',
      },
      {
        id: 'canary',
        namespace: config.namespace,
        metricName: METRICS.canarySuccess,
        dimensions: common.dimensions,
        statistic: 'Minimum',
      },
    ],
    expressionId: 'outage',
    // FILL gives a period without a figure the healthy value, so a read failure never breaches and
    // both sides of the sum have a value in every period.
    expression: `IF(FILL(tunnels, ${min}) < ${min}, ${tunnelsDown}, 0) + IF(FILL(canary, 1) < 1, ${connectivityLost}, 0)`,
    label: `${link.name} outage (1 tunnels, 2 path, 3 both)`,
    periodSeconds: tuning.periodSeconds,
    evaluationPeriods: tuning.evaluationPeriods,
    datapointsToAlarm: tuning.datapointsToAlarm,
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    treatMissingData: 'notBreaching',
  };
  return { metricAlarms, outage };
}

/** The stack-level alarms on the Monitor machine's own `AWS/States` metrics (infra/constructs/monitor.ts). */
export const MONITOR_EXECUTION_ALARMS = ['MonitorExecutionsFailed', 'MonitorExecutionsTimedOut'] as const;
export type MonitorExecutionAlarm = (typeof MONITOR_EXECUTION_ALARMS)[number];

/**
 * The alarms of the whole deployment (named `<namespace>-<alarm>`): the Monitor's execution alarms,
 * MonitorSilent, and the Remediation watch's RemediationEndUndelivered.
 */
export const DEPLOYMENT_ALARMS = [
  ...MONITOR_EXECUTION_ALARMS,
  'MonitorSilent',
  'RemediationEndUndelivered',
] as const;
export type DeploymentAlarm = (typeof DEPLOYMENT_ALARMS)[number];

/** A metric alarm of the stack itself rather than of one link. */
export interface StackAlarmSpec extends Omit<MetricAlarmSpec, 'alarm'> {
  readonly alarm: DeploymentAlarm;
}

/** e.g. `VpnGuard-MonitorSilent`. */
export function deploymentAlarmName(namespace: string, alarm: DeploymentAlarm): string {
  return `${namespace}-${alarm}`;
}

/**
 * MonitorSilent, one per deployment: the Scheduler has not started the Monitor (AWS/States
 * `ExecutionsStarted`, Sum per period, dimension `StateMachineArn`:
 * https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html) in M of the last
 * N periods. Missing data is breaching: a monitor that is not running raises the alarm rather than
 * silencing the links' alarms. A Monitor that runs but fails (a publish or collection failure ends
 * the execution FAILED) is MonitorExecutionsFailed's. The metric is AWS's own (no custom-metric
 * charge); the alarm is one $0.10 alarm metric for every link together.
 */
export function monitorSilentSpec(config: Config, stateMachineArn: string): StackAlarmSpec {
  return {
    alarm: 'MonitorSilent',
    alarmName: deploymentAlarmName(config.namespace, 'MonitorSilent'),
    description:
      'The VPN Guard monitor has not run: no Monitor executions started. Missing data is breaching, so a ' +
      'dead monitor raises this alarm; while it is in ALARM no link is being watched. Check the Scheduler ' +
      'schedule and its role.',
    namespace: 'AWS/States',
    metricName: 'ExecutionsStarted',
    dimensions: { StateMachineArn: stateMachineArn },
    statistic: 'Sum',
    periodSeconds: config.alarms.periodSeconds,
    evaluationPeriods: config.alarms.evaluationPeriods,
    datapointsToAlarm: config.alarms.datapointsToAlarm,
    comparison: 'LessThanThreshold',
    threshold: 1,
    treatMissingData: 'breaching',
  };
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

/**
 * How many times Lambda retries notify's asynchronous invocation (the status rule's) after a
 * function error: Lambda's default, 2, set explicitly in the template
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html: 0 to 2).
 */
export const NOTIFY_ASYNC_RETRY_ATTEMPTS = 2;

/**
 * RemediationEndUndelivered, one per deployment: the Remediation watch's queue
 * (infra/constructs/remediation-watch.ts) holds a message, i.e. a Remediation execution ended
 * FAILED, TIMED_OUT or ABORTED and its page was not delivered (EventBridge could not invoke notify,
 * or notify failed on it through Lambda's retries). `ApproximateNumberOfMessagesVisible` (AWS/SQS,
 * dimension `QueueName`, free) is reported once a minute while the queue is active
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html);
 * an idle, empty queue reports nothing, hence missing data is not breaching. Maximum ≥ 1 in one
 * minute alarms; the alarm stays in ALARM until someone reads and deletes the message (or it
 * expires after the queue's 14 days), and its OK then says so. Its action is CloudWatch's own SNS
 * notification, with no notify in the path (e-mail: alarm notifications carry no `audience`, so
 * they never reach the pager-filtered SMS subscriptions).
 */
export function remediationEndUndeliveredSpec(config: Config, queueName: string): StackAlarmSpec {
  return {
    alarm: 'RemediationEndUndelivered',
    alarmName: deploymentAlarmName(config.namespace, 'RemediationEndUndelivered'),
    description:
      'A VPN Guard remediation execution ended FAILED, TIMED_OUT or ABORTED and nobody was told: its page could not ' +
      "be delivered (notify failed on it, or EventBridge could not invoke notify). Read the queue's message (the " +
      "execution's status-change event, and notify's error), check the link and the Remediation executions, then " +
      'delete the message.',
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: queueName },
    statistic: 'Maximum',
    periodSeconds: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    treatMissingData: 'notBreaching',
  };
}
