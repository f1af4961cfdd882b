/**
 * CloudWatch in the home Region: PutMetricData stored with timestamps, the links' alarms built from
 * infra/alarm-specs.ts and evaluated once a minute (alarm-eval.ts): single-metric alarms and the
 * metric-math Outage alarm (metric-math.ts), DescribeAlarms as AWS answers it (a metric-math alarm
 * is a metric alarm with `Metrics`), and the state transitions that CloudWatch turns into SNS
 * notifications and EventBridge events.
 */
import type {
  CompositeAlarm,
  DescribeAlarmsCommandInput,
  DescribeAlarmsCommandOutput,
  MetricAlarm,
  PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import type { MathAlarmSpec, MetricAlarmSpec, StackAlarmSpec } from '#infra/alarm-specs.ts';
import { type AlarmStateValue, evaluateMathAlarm, evaluateMetricAlarm, type Sample } from './alarm-eval.ts';
import { awsError, UnmodelledCommandError } from './aws-errors.ts';
import type { ExtractedMetric } from './emf.ts';

type Output<T> = Omit<T, '$metadata'>;

interface AlarmState {
  value: AlarmStateValue;
  reason: string;
  /** Any update of the state. */
  updatedAt: number;
  /** The last change of the state value. */
  transitionedAt: number;
}

interface MetricAlarmEntry {
  readonly kind: 'metric';
  /** The link the alarm belongs to ('' for the stack's own alarms). */
  readonly link: string;
  readonly spec: MetricAlarmSpec | StackAlarmSpec;
  readonly arn: string;
  state: AlarmState;
}

interface MathAlarmEntry {
  readonly kind: 'math';
  readonly link: string;
  readonly spec: MathAlarmSpec;
  readonly arn: string;
  state: AlarmState;
}

type AlarmEntry = MetricAlarmEntry | MathAlarmEntry;

/** One alarm state change, as CloudWatch reports it to SNS and EventBridge. */
export interface AlarmTransition {
  readonly at: number;
  readonly alarmName: string;
  readonly alarmArn: string;
  readonly link: string;
  readonly kind: 'metric' | 'math';
  readonly from: AlarmStateValue;
  readonly to: AlarmStateValue;
  readonly reason: string;
  readonly description: string;
}

const dimensionKey = (
  dimensions: readonly { Name?: string; Value?: string }[] | Readonly<Record<string, string>>,
) => {
  const pairs = Array.isArray(dimensions)
    ? (dimensions as { Name?: string; Value?: string }[]).map((d) => [d.Name ?? '', d.Value ?? ''] as const)
    : Object.entries(dimensions);
  return [...pairs]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value}`)
    .join(',');
};

const metricKey = (namespace: string, metricName: string, dimensions: string) =>
  `${namespace}|${metricName}|${dimensions}`;

/** A stored metric sample with its identity. */
export interface StoredDatum extends Sample {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: string;
  readonly unit?: string;
}

/** Samples of a metric an AWS service publishes itself (derived by the world from its records). */
export type DerivedMetric = (metricName: string, dimensions: Readonly<Record<string, string>>) => Sample[];

export class CloudWatchModel {
  private readonly metrics = new Map<string, StoredDatum[]>();
  /** AWS namespaces (`AWS/States`) whose samples the world derives rather than stores. */
  private readonly derived = new Map<string, DerivedMetric>();
  private readonly alarms = new Map<string, AlarmEntry>();
  readonly transitions: AlarmTransition[] = [];

  constructor(
    private readonly region: string,
    private readonly account: string,
    private readonly now: () => number,
  ) {}

  private arn(name: string): string {
    return `arn:aws:cloudwatch:${this.region}:${this.account}:alarm:${name}`;
  }

  /** Creates a link's alarms (all in `initial` state, as of `since`). */
  addLinkAlarms(
    link: string,
    metricAlarms: readonly MetricAlarmSpec[],
    outage: MathAlarmSpec,
    initial: AlarmStateValue,
    since: number,
  ): void {
    const state = (): AlarmState => ({
      value: initial,
      reason:
        initial === 'OK' ? 'Sandbox start: the link had been healthy' : 'Unchecked: initial alarm creation',
      updatedAt: since,
      transitionedAt: since,
    });
    for (const spec of metricAlarms) {
      this.alarms.set(spec.alarmName, {
        kind: 'metric',
        link,
        spec,
        arn: this.arn(spec.alarmName),
        state: state(),
      });
    }
    this.alarms.set(outage.alarmName, {
      kind: 'math',
      link,
      spec: outage,
      arn: this.arn(outage.alarmName),
      state: state(),
    });
  }

  /** The stack's own metric alarms (not a link's), in `initial` state as of `since`. */
  addStackAlarms(specs: readonly StackAlarmSpec[], initial: AlarmStateValue, since: number): void {
    for (const spec of specs) {
      this.alarms.set(spec.alarmName, {
        kind: 'metric',
        link: '',
        spec,
        arn: this.arn(spec.alarmName),
        state: {
          value: initial,
          reason: initial === 'OK' ? 'Sandbox start' : 'Unchecked: initial alarm creation',
          updatedAt: since,
          transitionedAt: since,
        },
      });
    }
  }

  /** Metrics of an AWS namespace that a service publishes itself, read from the world's records. */
  derive(namespace: string, metric: DerivedMetric): void {
    this.derived.set(namespace, metric);
  }

  /** Stores samples directly (history before the sandbox started), bypassing the API. */
  seed(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    timestamp: number,
    value: number,
  ): void {
    this.store({
      namespace,
      metricName,
      dimensions: dimensionKey(dimensions),
      timestamp,
      count: 1,
      sum: value,
      min: value,
      max: value,
    });
  }

  /**
   * Stores the metrics CloudWatch extracted from a function's embedded-metric-format log events
   * (emf.ts reads them, function-logs.ts captures them), each value a sample at the document's own
   * timestamp, as CloudWatch stores them.
   */
  putExtractedMetrics(metrics: readonly ExtractedMetric[]): void {
    for (const metric of metrics) {
      for (const value of metric.values) {
        this.store({
          namespace: metric.namespace,
          metricName: metric.metricName,
          dimensions: dimensionKey(metric.dimensions),
          timestamp: metric.timestamp,
          count: 1,
          sum: value,
          min: value,
          max: value,
          ...(metric.unit !== undefined && { unit: metric.unit }),
        });
      }
    }
  }

  private store(datum: StoredDatum): void {
    const key = metricKey(datum.namespace, datum.metricName, datum.dimensions);
    const list = this.metrics.get(key) ?? [];
    list.push(datum);
    this.metrics.set(key, list);
  }

  /** Samples of one metric (for tests and the evaluator). */
  samples(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
  ): readonly Sample[] {
    const stored = this.metrics.get(metricKey(namespace, metricName, dimensionKey(dimensions))) ?? [];
    const derived = this.derived.get(namespace);
    // A service's own metric: what the world's records show, after any history seeded before them.
    if (derived) return [...stored, ...derived(metricName, dimensions)];
    return stored;
  }

  /** Every stored sample. */
  allSamples(): StoredDatum[] {
    return [...this.metrics.values()].flat();
  }

  putMetricData(input: PutMetricDataCommandInput): void {
    if (input.EntityMetricData !== undefined || input.StrictEntityValidation !== undefined) {
      throw new UnmodelledCommandError('the sandbox does not model PutMetricData EntityMetricData');
    }
    const namespace = input.Namespace;
    if (!namespace) throw awsError('cloudwatch', 'MissingParameter', 'The parameter Namespace is required.');
    if (namespace.startsWith('AWS/')) {
      throw awsError(
        'cloudwatch',
        'InvalidParameterValue',
        'The value AWS/ for parameter Namespace is invalid.',
      );
    }
    const data = input.MetricData ?? [];
    if (data.length === 0)
      throw awsError('cloudwatch', 'MissingParameter', 'The parameter MetricData is required.');
    if (data.length > 1000) {
      throw awsError(
        'cloudwatch',
        'InvalidParameterValue',
        'The collection MetricData must not have a size greater than 1000.',
      );
    }
    const now = this.now();
    const accepted: StoredDatum[] = [];
    for (const [index, datum] of data.entries()) {
      const where = `MetricData.member.${index + 1}`;
      if (!datum.MetricName)
        throw awsError('cloudwatch', 'MissingParameter', `The parameter ${where}.MetricName is required.`);
      const timestamp = datum.Timestamp ? new Date(datum.Timestamp).getTime() : now;
      if (timestamp < now - 14 * 86_400_000 || timestamp > now + 2 * 3_600_000) {
        throw awsError(
          'cloudwatch',
          'InvalidParameterValue',
          `The parameter ${where}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.`,
        );
      }
      const base = {
        namespace,
        metricName: datum.MetricName,
        dimensions: dimensionKey(datum.Dimensions ?? []),
        timestamp,
        unit: datum.Unit,
      };
      if (datum.StatisticValues) {
        const s = datum.StatisticValues;
        accepted.push({
          ...base,
          count: s.SampleCount ?? 0,
          sum: s.Sum ?? 0,
          min: s.Minimum ?? 0,
          max: s.Maximum ?? 0,
        });
      } else if (datum.Values) {
        datum.Values.forEach((value, i) => {
          const count = datum.Counts?.[i] ?? 1;
          accepted.push({ ...base, count, sum: value * count, min: value, max: value });
        });
      } else {
        const value = datum.Value;
        if (value === undefined || !Number.isFinite(value)) {
          throw awsError(
            'cloudwatch',
            'InvalidParameterValue',
            `The value ${String(value)} for parameter ${where}.Value is invalid.`,
          );
        }
        accepted.push({ ...base, count: 1, sum: value, min: value, max: value });
      }
    }
    for (const datum of accepted) this.store(datum);
  }

  /** Evaluates every alarm at the current time; returns (and records) the transitions. */
  evaluate(): AlarmTransition[] {
    const now = this.now();
    const changes: AlarmTransition[] = [];
    for (const entry of this.alarms.values()) {
      let result: { state: AlarmStateValue; reason: string };
      if (entry.kind === 'metric') {
        const { spec } = entry;
        result = evaluateMetricAlarm(
          spec,
          this.samples(spec.namespace, spec.metricName, spec.dimensions),
          now,
          entry.state.value,
        );
      } else {
        const { spec } = entry;
        const samplesById = Object.fromEntries(
          spec.metrics.map((metric) => [
            metric.id,
            this.samples(metric.namespace, metric.metricName, metric.dimensions),
          ]),
        );
        result = evaluateMathAlarm(spec, samplesById, now, entry.state.value);
      }
      if (result.state !== entry.state.value) {
        changes.push(this.transition(entry, result.state, `Threshold Crossed: ${result.reason}`, now));
      }
    }
    return changes;
  }

  private transition(entry: AlarmEntry, to: AlarmStateValue, reason: string, now: number): AlarmTransition {
    const from = entry.state.value;
    entry.state = { value: to, reason, updatedAt: now, transitionedAt: now };
    const change: AlarmTransition = {
      at: now,
      alarmName: entry.spec.alarmName,
      alarmArn: entry.arn,
      link: entry.link,
      kind: entry.kind,
      from,
      to,
      reason,
      description: entry.spec.description,
    };
    this.transitions.push(change);
    return change;
  }

  /** An alarm's state (tests, expectations). */
  stateOf(alarmName: string): AlarmStateValue | undefined {
    return this.alarms.get(alarmName)?.state.value;
  }

  describeAlarms(input: DescribeAlarmsCommandInput): Output<DescribeAlarmsCommandOutput> {
    for (const field of ['ChildrenOfAlarmName', 'ParentsOfAlarmName', 'ActionPrefix'] as const) {
      if (input[field] !== undefined) {
        throw new UnmodelledCommandError(`the sandbox's CloudWatch does not model DescribeAlarms.${field}`);
      }
    }
    if (input.AlarmNames && input.AlarmNamePrefix) {
      throw awsError(
        'cloudwatch',
        'InvalidParameterCombination',
        'AlarmNames and AlarmNamePrefix cannot be used together.',
      );
    }
    if (input.AlarmNames && input.AlarmNames.length > 100) {
      throw awsError(
        'cloudwatch',
        'InvalidParameterValue',
        'The collection AlarmNames must not have a size greater than 100.',
      );
    }
    // Without AlarmTypes, DescribeAlarms returns metric alarms only (AWS's documented default).
    const types = input.AlarmTypes ?? ['MetricAlarm'];
    const selected = [...this.alarms.values()].filter(
      (entry) =>
        (input.AlarmNames === undefined || input.AlarmNames.includes(entry.spec.alarmName)) &&
        (input.AlarmNamePrefix === undefined || entry.spec.alarmName.startsWith(input.AlarmNamePrefix)) &&
        (input.StateValue === undefined || entry.state.value === input.StateValue),
    );
    const metricAlarms: MetricAlarm[] = [];
    // The stack deploys no composite alarm (the Outage alarm is metric math).
    const compositeAlarms: CompositeAlarm[] = [];
    for (const entry of selected) {
      const common = {
        AlarmName: entry.spec.alarmName,
        AlarmArn: entry.arn,
        AlarmDescription: entry.spec.description,
        ActionsEnabled: true,
        StateValue: entry.state.value,
        StateReason: entry.state.reason,
        StateUpdatedTimestamp: new Date(entry.state.updatedAt),
        StateTransitionedTimestamp: new Date(entry.state.transitionedAt),
      };
      if (entry.kind === 'metric' && types.includes('MetricAlarm')) {
        const { spec } = entry;
        metricAlarms.push({
          ...common,
          Namespace: spec.namespace,
          MetricName: spec.metricName,
          Dimensions: Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value })),
          Statistic: spec.statistic,
          Period: spec.periodSeconds,
          EvaluationPeriods: spec.evaluationPeriods,
          DatapointsToAlarm: spec.datapointsToAlarm,
          Threshold: spec.threshold,
          ComparisonOperator: spec.comparison,
          TreatMissingData: spec.treatMissingData,
        });
      } else if (entry.kind === 'math' && types.includes('MetricAlarm')) {
        const { spec } = entry;
        metricAlarms.push({
          ...common,
          Metrics: [
            { Id: spec.expressionId, Expression: spec.expression, Label: spec.label, ReturnData: true },
            ...spec.metrics.map((metric) => ({
              Id: metric.id,
              ReturnData: false,
              MetricStat: {
                Metric: {
                  Namespace: metric.namespace,
                  MetricName: metric.metricName,
                  Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
                },
                Period: spec.periodSeconds,
                Stat: metric.statistic,
              },
            })),
          ],
          EvaluationPeriods: spec.evaluationPeriods,
          DatapointsToAlarm: spec.datapointsToAlarm,
          Threshold: spec.threshold,
          ComparisonOperator: spec.comparison,
          TreatMissingData: spec.treatMissingData,
        });
      }
    }
    return { MetricAlarms: metricAlarms, CompositeAlarms: compositeAlarms };
  }
}
