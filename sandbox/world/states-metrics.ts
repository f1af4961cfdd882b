/**
 * The `AWS/States` metrics Step Functions publishes for each state machine, derived from the
 * world's execution records: ExecutionsStarted at the start, ExecutionsSucceeded / Failed /
 * TimedOut / Aborted at the end, ExecutionTime (ms) at the end, one datapoint per execution,
 * dimension `StateMachineArn` (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html).
 * Read-only over sfn.ts's records: nothing in the execution path changes.
 */
import { type Sample, singleSample } from './alarm-eval.ts';
import type { ExecutionRecord, ExecutionStatus } from './sfn.ts';

const ENDED: Readonly<Record<string, ExecutionStatus>> = {
  ExecutionsSucceeded: 'SUCCEEDED',
  ExecutionsFailed: 'FAILED',
  ExecutionsTimedOut: 'TIMED_OUT',
  ExecutionsAborted: 'ABORTED',
};

/** The samples of one `AWS/States` metric of the machine named by `StateMachineArn`. */
export function statesMetricSamples(
  executions: readonly ExecutionRecord[],
  machineArnOf: (execution: ExecutionRecord) => string,
  metricName: string,
  dimensions: Readonly<Record<string, string>>,
): Sample[] {
  const arn = dimensions.StateMachineArn;
  const mine = executions.filter((e) => machineArnOf(e) === arn);
  if (metricName === 'ExecutionsStarted') return mine.map((e) => singleSample(e.startDate));
  if (metricName === 'ExecutionTime') {
    return mine.flatMap((e) =>
      e.stopDate === undefined ? [] : [singleSample(e.stopDate, e.stopDate - e.startDate)],
    );
  }
  const status = ENDED[metricName];
  if (!status) return [];
  return mine.flatMap((e) =>
    e.status === status && e.stopDate !== undefined ? [singleSample(e.stopDate)] : [],
  );
}
