/**
 * The embedded metric format as CloudWatch Logs reads it: a log event whose message is one JSON
 * object with an `_aws` member carrying `CloudWatchMetrics` is an EMF document, and CloudWatch
 * extracts from it one metric per (metric definition × dimension set), with the values of the root
 * members the directives name, at the document's `_aws.Timestamp`.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 *
 * What the specification requires, and what happens otherwise:
 * - the message is a valid JSON object with no data before or after it; anything else is a plain
 *   log event (no metric);
 * - `_aws.CloudWatchMetrics` is an array of MetricDirective objects, `_aws.Timestamp` a number of
 *   milliseconds since the epoch;
 * - a directive has `Namespace` (a string), `Dimensions` (an array of DimensionSets: arrays of at
 *   most 30 member names, each a string member of the root) and `Metrics` (at most 100
 *   MetricDefinitions: `Name`, optional `Unit`, optional `StorageResolution` 1 or 60), each `Name`
 *   a root member holding a number or an array of at most 100 numbers;
 * - the root's total size is at most 1 MB (a CloudWatch Logs event's limit).
 * A document breaking these is not extracted: CloudWatch publishes no metric from it (and counts it
 * in the `AWS/Logs` EMFValidationErrors metric), which the sandbox records as a rejection.
 * Timestamps follow the window CloudWatch accepts for any datapoint (MetricDatum.Timestamp: at most
 * two weeks in the past, two hours in the future:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html).
 */

/** The units a MetricDefinition may name (CloudWatch's StandardUnit). */
const UNITS: ReadonlySet<string> = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

const MAX_EVENT_BYTES = 1_048_576;
const MAX_DIMENSIONS_PER_SET = 30;
const MAX_METRICS_PER_DIRECTIVE = 100;
const MAX_VALUES_PER_METRIC = 100;
const TWO_WEEKS_MS = 14 * 86_400_000;
const TWO_HOURS_MS = 2 * 3_600_000;

/** One metric CloudWatch extracts from a document: its identity, its values and their timestamp. */
export interface ExtractedMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Epoch ms: the document's `_aws.Timestamp`. */
  readonly timestamp: number;
  readonly values: readonly number[];
  readonly unit?: string;
}

/** How CloudWatch Logs reads one log event. */
export type EmfReading =
  | { readonly kind: 'log' }
  | { readonly kind: 'emf'; readonly metrics: readonly ExtractedMetric[] }
  | { readonly kind: 'rejected'; readonly reason: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Reads one log event's message at `receivedAt` (epoch ms) as CloudWatch Logs would. */
export function readEmf(message: string, receivedAt: number): EmfReading {
  let root: unknown;
  try {
    root = JSON.parse(message);
  } catch {
    return { kind: 'log' };
  }
  if (!isRecord(root) || !isRecord(root._aws) || !('CloudWatchMetrics' in root._aws)) return { kind: 'log' };
  const reject = (reason: string): EmfReading => ({ kind: 'rejected', reason });
  if (Buffer.byteLength(message, 'utf8') > MAX_EVENT_BYTES) return reject('the event is larger than 1 MB');
  const { CloudWatchMetrics: directives, Timestamp: timestamp } = root._aws;
  if (!Array.isArray(directives)) return reject('_aws.CloudWatchMetrics is not an array');
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp))
    return reject('_aws.Timestamp is not a number of milliseconds since the epoch');
  if (timestamp < receivedAt - TWO_WEEKS_MS || timestamp > receivedAt + TWO_HOURS_MS)
    return reject('_aws.Timestamp is more than two weeks in the past or two hours in the future');

  const metrics: ExtractedMetric[] = [];
  for (const [index, directive] of directives.entries()) {
    const where = `_aws.CloudWatchMetrics[${index}]`;
    if (!isRecord(directive)) return reject(`${where} is not an object`);
    const { Namespace: namespace, Dimensions: dimensionSets, Metrics: definitions } = directive;
    if (typeof namespace !== 'string' || namespace.length === 0)
      return reject(`${where}.Namespace is not a non-empty string`);
    if (namespace.startsWith('AWS/')) return reject(`${where}.Namespace may not start with AWS/`);
    if (!Array.isArray(dimensionSets)) return reject(`${where}.Dimensions is not an array`);
    if (!Array.isArray(definitions)) return reject(`${where}.Metrics is not an array`);
    if (definitions.length > MAX_METRICS_PER_DIRECTIVE)
      return reject(`${where}.Metrics has more than ${MAX_METRICS_PER_DIRECTIVE} definitions`);

    const sets: Record<string, string>[] = [];
    for (const [setIndex, set] of dimensionSets.entries()) {
      if (!Array.isArray(set)) return reject(`${where}.Dimensions[${setIndex}] is not an array`);
      if (set.length > MAX_DIMENSIONS_PER_SET)
        return reject(`${where}.Dimensions[${setIndex}] has more than ${MAX_DIMENSIONS_PER_SET} dimensions`);
      const dimensions: Record<string, string> = {};
      for (const key of set) {
        if (typeof key !== 'string') return reject(`${where}.Dimensions[${setIndex}] names a non-string`);
        const value = root[key];
        if (typeof value !== 'string') return reject(`dimension ${key} is not a string member of the root`);
        dimensions[key] = value;
      }
      sets.push(dimensions);
    }
    // An empty DimensionSet array: the metrics are extracted without dimensions.
    if (sets.length === 0) sets.push({});

    for (const [metricIndex, definition] of definitions.entries()) {
      const at = `${where}.Metrics[${metricIndex}]`;
      if (!isRecord(definition) || typeof definition.Name !== 'string' || definition.Name.length === 0)
        return reject(`${at}.Name is not a non-empty string`);
      if (
        definition.Unit !== undefined &&
        (typeof definition.Unit !== 'string' || !UNITS.has(definition.Unit))
      )
        return reject(`${at}.Unit ${JSON.stringify(definition.Unit)} is not a CloudWatch unit`);
      if (
        definition.StorageResolution !== undefined &&
        definition.StorageResolution !== 1 &&
        definition.StorageResolution !== 60
      )
        return reject(`${at}.StorageResolution is neither 1 nor 60`);
      const raw = root[definition.Name];
      const values = Array.isArray(raw) ? raw : [raw];
      if (values.length === 0 || values.length > MAX_VALUES_PER_METRIC)
        return reject(
          `metric ${definition.Name} has ${values.length} values (1 to ${MAX_VALUES_PER_METRIC})`,
        );
      if (!values.every((value) => typeof value === 'number' && Number.isFinite(value)))
        return reject(`metric ${definition.Name} is not a number or an array of numbers`);
      for (const dimensions of sets) {
        metrics.push({
          namespace,
          metricName: definition.Name,
          dimensions,
          timestamp,
          values: values as number[],
          ...(typeof definition.Unit === 'string' && { unit: definition.Unit }),
        });
      }
    }
  }
  return { kind: 'emf', metrics };
}
