/**
 * The `AWS/States` metrics Step Functions publishes for each state machine, derived from the
 * world's execution records: ExecutionsStarted at the start, ExecutionsSucceeded / Failed /
 * TimedOut / Aborted at the end, ExecutionTime (ms) at the end, one datapoint per execution,
 * dimension `StateMachineArn` (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html).
 * Read-only over sfn.ts's records: nothing in the execution path changes.
 */
import type { Sample } from './alarm-eval.ts';
import type { ExecutionRecord, ExecutionStatus } from './sfn.ts';

const ENDED: Readonly<Record<string, ExecutionStatus>> = {
  ExecutionsSucceeded: 'SUCCEEDED',
  ExecutionsFailed: 'FAILED',
  ExecutionsTimedOut: 'TIMED_OUT',
  ExecutionsAborted: 'ABORTED',
};

const one = (timestamp: number, value = 1): Sample => ({
  timestamp,
  count: 1,
  sum: value,
  min: value,
  max: value,
});

/** The samples of one `AWS/States` metric of the machine named by `StateMachineArn`. */
export function statesMetricSamples(
  executions: readonly ExecutionRecord[],
  machineArnOf: (execution: ExecutionRecord) => string,
  metricName: string,
  dimensions: Readonly<Record<string, string>>,
): Sample[] {
  const arn = dimensions.StateMachineArn;
  const mine = executions.filter((e) => machineArnOf(e) === arn);
  if (metricName === 'ExecutionsStarted') return mine.map((e) => one(e.startDate));
  if (metricName === 'ExecutionTime') {
    return mine.flatMap((e) => (e.stopDate === undefined ? [] : [one(e.stopDate, e.stopDate - e.startDate)]));
  }
  const status = ENDED[metricName];
  if (!status) return [];
  return mine.flatMap((e) => (e.status === status && e.stopDate !== undefined ? [one(e.stopDate)] : []));
}
