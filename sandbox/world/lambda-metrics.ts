/**
 * The `AWS/Lambda` metrics Lambda publishes for every function at no charge, derived from the
 * world's invocation records (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html):
 *
 * - `Invocations`: every time the function code ran, a function error included; a throttled
 *   invoke or one Lambda failed before the code ran (a service error) is not an invocation.
 * - `Errors`: the invocations that ended in a function error: an exception the code threw, or
 *   one the runtime reports (a timeout). `Invocations − Errors` is the successes.
 * - `Duration`: how long the code ran, ms, one value per invocation (a timed-out one: the
 *   function's timeout).
 * - `Throttles`: invoke requests refused for concurrency (`TooManyRequestsException`); not
 *   counted in Invocations or Errors.
 *
 * Dimension `FunctionName` (the aggregated `Resource` and unaggregated views are not modelled).
 * Each sample is timestamped when the invoke started, as Lambda's are. Read-only over the records
 * lambdas.ts keeps: nothing in the invocation path changes.
 */
import { type Sample, singleSample } from './alarm-eval.ts';

/** How one invoke request ended, as Lambda counts it. */
export type InvocationEnd = 'success' | 'function-error' | 'throttled' | 'service-error';

/** One invoke request of a function, as the world saw it. */
export interface InvocationRecord {
  readonly functionName: string;
  /** Simulated epoch ms at which the invoke arrived. */
  readonly startedAt: number;
  /**
   * How long the code ran, ms: the simulated time the invocation spanned (SDK backoff, a hang until
   * the timeout) plus the real time its code took (the sandbox's clock stands still while a handler
   * computes or probes loopback hosts).
   */
  readonly durationMs: number;
  readonly end: InvocationEnd;
}

/** The samples of one `AWS/Lambda` metric of the function named by `FunctionName`. */
export function lambdaMetricSamples(
  invocations: readonly InvocationRecord[],
  metricName: string,
  dimensions: Readonly<Record<string, string>>,
): Sample[] {
  const mine = invocations.filter((record) => record.functionName === dimensions.FunctionName);
  const ran = mine.filter((record) => record.end === 'success' || record.end === 'function-error');
  switch (metricName) {
    case 'Invocations':
      return ran.map((record) => singleSample(record.startedAt));
    case 'Errors':
      // Published for every invocation, 0 when it succeeded, so Sum is the errors and a period
      // with invocations has an Errors datapoint even when none failed.
      return ran.map((record) => singleSample(record.startedAt, record.end === 'function-error' ? 1 : 0));
    case 'Duration':
      return ran.map((record) => singleSample(record.startedAt, record.durationMs));
    case 'Throttles':
      return mine
        .filter((record) => record.end === 'throttled')
        .map((record) => singleSample(record.startedAt));
    default:
      return [];
  }
}

/** The function name in an ARN (`arn:aws:lambda:<region>:<account>:function:<name>`). */
export function functionNameOf(arn: string): string {
  return arn.split(':')[6] ?? arn;
}
