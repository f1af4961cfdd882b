/**
 * CloudWatch alarm evaluation, pure: the statistic of each period, M of N datapoints, and the four
 * missing-data treatments, for the specs in infra/alarm-specs.ts; and metric-math alarms, whose
 * expression (metric-math.ts) turns the queried metrics' period values into the one series the
 * threshold is applied to.
 *
 * Evaluation model (simplified from CloudWatch, documented in the sandbox README section):
 * - an alarm is evaluated once a minute; its N periods are the aligned periods ending with the one
 *   that contains the evaluation time (the current, partial period included, so a datapoint
 *   published at :05 counts at the :50 evaluation of the same minute), or with the previous one
 *   while the current has no datapoint and the previous has (late data is seen by the next
 *   evaluation, as CloudWatch evaluates the most recent datapoints of its evaluation range);
 * - `breaching` / `notBreaching`: a missing period counts as breaching / not breaching;
 * - `ignore`: missing periods are skipped; with no datapoint at all the state is kept;
 * - `missing`: with no datapoint at all the alarm goes to INSUFFICIENT_DATA, otherwise the
 *   datapoints present decide.
 * ALARM when at least M evaluated periods breach; OK otherwise, except that `ignore`/`missing`
 * keep the current state while fewer than N − M + 1 non-breaching datapoints prove OK.
 */
import type {
  Comparison,
  MathAlarmSpec,
  MetricAlarmSpec,
  MissingData,
  Statistic,
} from '#infra/alarm-specs.ts';
import { evaluateExpression, parseExpression } from './metric-math.ts';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One stored sample: a value (or a pre-aggregated statistic set) at a time. */
export interface Sample {
  readonly timestamp: number;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

/** One datapoint of `value` (default 1) at `timestamp`, as a service publishes a single measurement. */
export function singleSample(timestamp: number, value = 1): Sample {
  return { timestamp, count: 1, sum: value, min: value, max: value };
}

/** The statistic of the samples of one period; undefined when there are none. */
export function statisticOf(samples: readonly Sample[], statistic: Statistic): number | undefined {
  if (samples.length === 0) return undefined;
  const count = samples.reduce((acc, s) => acc + s.count, 0);
  const sum = samples.reduce((acc, s) => acc + s.sum, 0);
  switch (statistic) {
    case 'SampleCount':
      return count;
    case 'Sum':
      return sum;
    case 'Average':
      return count === 0 ? undefined : sum / count;
    case 'Minimum':
      return Math.min(...samples.map((s) => s.min));
    case 'Maximum':
      return Math.max(...samples.map((s) => s.max));
  }
}

export function breaches(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
  }
}

export interface PeriodDatapoint {
  /** Period start, epoch ms. */
  readonly start: number;
  readonly value: number | undefined;
  /** Whether the period counts as breaching (missing data per the treatment). */
  readonly breaching: boolean | undefined;
}

export interface AlarmEvaluation {
  readonly state: AlarmStateValue;
  readonly periods: readonly PeriodDatapoint[];
  readonly reason: string;
}

type EvaluationSpec = Pick<
  MetricAlarmSpec,
  'statistic' | 'periodSeconds' | 'evaluationPeriods' | 'datapointsToAlarm' | 'comparison' | 'threshold'
> & { readonly treatMissingData: MissingData };

/** The period starts an alarm evaluates at `now`, oldest first. */
function periodStarts(
  periodSeconds: number,
  evaluationPeriods: number,
  now: number,
  samples: readonly Sample[],
): number[] {
  const periodMs = periodSeconds * 1000;
  // CloudWatch retrieves more datapoints than the evaluation periods (the "evaluation range") and
  // evaluates the most recent ones it has
  // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):
  // while the current period has no datapoint yet, the N periods end with the previous one, so a
  // datapoint published just after an evaluation is seen by the next.
  const currentStart = Math.floor(now / periodMs) * periodMs;
  const has = (start: number) => samples.some((s) => s.timestamp >= start && s.timestamp < start + periodMs);
  const latestStart =
    !has(currentStart) && has(currentStart - periodMs) ? currentStart - periodMs : currentStart;
  const starts: number[] = [];
  for (let i = evaluationPeriods - 1; i >= 0; i--) starts.push(latestStart - i * periodMs);
  return starts;
}

/** The samples of the period starting at `start`. */
function inPeriod(samples: readonly Sample[], start: number, periodMs: number): Sample[] {
  return samples.filter((s) => s.timestamp >= start && s.timestamp < start + periodMs);
}

type DecisionSpec = Pick<
  MetricAlarmSpec,
  'evaluationPeriods' | 'datapointsToAlarm' | 'comparison' | 'threshold' | 'treatMissingData'
>;

/** The alarm state from the N period values: threshold, missing data, M of N. */
function decide(
  spec: DecisionSpec,
  values: readonly { start: number; value: number | undefined }[],
  current: AlarmStateValue,
  what: string,
): AlarmEvaluation {
  const periods: PeriodDatapoint[] = values.map(({ start, value }) => {
    let breaching: boolean | undefined;
    if (value !== undefined) breaching = breaches(value, spec.comparison, spec.threshold);
    else if (spec.treatMissingData === 'breaching') breaching = true;
    else if (spec.treatMissingData === 'notBreaching') breaching = false;
    return { start, value, breaching };
  });
  const evaluated = periods.filter((p) => p.breaching !== undefined);
  const breachingCount = evaluated.filter((p) => p.breaching).length;
  const okCount = evaluated.length - breachingCount;
  const shown = periods.map((p) => (p.value === undefined ? 'missing' : String(round(p.value)))).join(', ');
  const describe = `[${shown}] ${what} vs ${spec.comparison} ${spec.threshold}, ${spec.datapointsToAlarm} of ${spec.evaluationPeriods}, missing data ${spec.treatMissingData}`;

  if (evaluated.length === 0) {
    if (spec.treatMissingData === 'missing') {
      return { state: 'INSUFFICIENT_DATA', periods, reason: `no datapoints: ${describe}` };
    }
    return { state: current, periods, reason: `no datapoints, state kept: ${describe}` };
  }
  if (breachingCount >= spec.datapointsToAlarm) {
    return { state: 'ALARM', periods, reason: `${breachingCount} breaching datapoint(s): ${describe}` };
  }
  const proveOk = spec.evaluationPeriods - spec.datapointsToAlarm + 1;
  if ((spec.treatMissingData === 'ignore' || spec.treatMissingData === 'missing') && okCount < proveOk) {
    const state = spec.treatMissingData === 'missing' && current === 'INSUFFICIENT_DATA' ? 'OK' : current;
    return { state, periods, reason: `${okCount} non-breaching datapoint(s), state kept: ${describe}` };
  }
  return { state: 'OK', periods, reason: `${breachingCount} breaching datapoint(s): ${describe}` };
}

/**
 * Evaluates one alarm at `now` (epoch ms) over `samples` (the metric's samples, any order), given
 * its current state.
 */
export function evaluateMetricAlarm(
  spec: EvaluationSpec,
  samples: readonly Sample[],
  now: number,
  current: AlarmStateValue,
): AlarmEvaluation {
  const periodMs = spec.periodSeconds * 1000;
  const values = periodStarts(spec.periodSeconds, spec.evaluationPeriods, now, samples).map((start) => ({
    start,
    value: statisticOf(inPeriod(samples, start, periodMs), spec.statistic),
  }));
  return decide(spec, values, current, spec.statistic);
}

type MathEvaluationSpec = Pick<
  MathAlarmSpec,
  | 'metrics'
  | 'expression'
  | 'periodSeconds'
  | 'evaluationPeriods'
  | 'datapointsToAlarm'
  | 'comparison'
  | 'threshold'
  | 'treatMissingData'
>;

/**
 * Evaluates a metric-math alarm at `now`: each queried metric's statistic per period (a period
 * without samples has no value), the expression over those series period by period
 * (metric-math.ts), then the threshold, M of N and missing data on the expression's series, as
 * for a single-metric alarm
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html).
 * `samplesById` holds each query's samples by its id.
 */
export function evaluateMathAlarm(
  spec: MathEvaluationSpec,
  samplesById: Readonly<Record<string, readonly Sample[]>>,
  now: number,
  current: AlarmStateValue,
): AlarmEvaluation {
  const periodMs = spec.periodSeconds * 1000;
  const all = Object.values(samplesById).flat();
  const starts = periodStarts(spec.periodSeconds, spec.evaluationPeriods, now, all);
  const series: Record<string, (number | undefined)[]> = {};
  for (const metric of spec.metrics) {
    const samples = samplesById[metric.id] ?? [];
    series[metric.id] = starts.map((start) =>
      statisticOf(inPeriod(samples, start, periodMs), metric.statistic),
    );
  }
  const result = evaluateExpression(parseExpression(spec.expression), series, starts.length);
  const values = starts.map((start, index) => ({ start, value: result[index] }));
  const inputs = spec.metrics
    .map(
      (m) =>
        `${m.id}=[${(series[m.id] ?? []).map((v) => (v === undefined ? 'missing' : String(round(v)))).join(', ')}]`,
    )
    .join(' ');
  return decide(spec, values, current, `${spec.expression} (${inputs})`);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
