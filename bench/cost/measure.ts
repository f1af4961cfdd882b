/**
 * What one healthy Monitor tick does, measured on the sandbox's real execution: the real ASL run
 * by aws-local-stepfunctions, every Task bound to the real handler, the real SDK clients served by
 * the world. Counted: the functions invoked (and retried), the AWS calls each made, the bytes each
 * function wrote to its log (the world's function logs: Powertools JSON lines at the deployed log
 * level, EMF documents included), the custom metrics the tick published (PutMetricData stored by the world's CloudWatch,
 * or EMF documents in the log), and the execution's history with every state's input and output,
 * from which the Monitor's execution log is priced at any logging level.
 *
 * The first tick is a warm-up (cold-start log lines, first reads); the second is the one measured.
 */
import { localFunctionArn } from '#infra/asl.ts';
import { type HistoryEvent, recordExecutionData } from '#sandbox/local-sfn.ts';
import { callerContext } from '#sandbox/world/calls.ts';
import { canaryFunctionArn, canaryVpcs, Lambdas } from '#sandbox/world/lambdas.ts';
import { HOME_REGION, World } from '#sandbox/world/world.ts';
import type { Config } from '#shared/config.ts';

/** One AWS call of the tick: who made it and what. */
export interface MeasuredCall {
  readonly functionId: string;
  readonly service: string;
  readonly region: string;
  readonly command: string;
  /** DynamoDB reads: whether strongly consistent (1 RRU per 4 KB instead of 0.5). */
  readonly consistentRead?: boolean;
  /** PutMetricData: datums in the request. */
  readonly datums?: number;
}

/** One function's share of the tick. */
export interface MeasuredFunction {
  readonly functionId: string;
  readonly invocations: number;
  /** Bytes the function wrote to stdout/stderr (its CloudWatch Logs events, platform lines excluded). */
  readonly logBytes: number;
  /** Log lines (events) written. */
  readonly logEvents: number;
}

/** The measured tick. */
export interface TickMeasurement {
  readonly status: string;
  readonly functions: readonly MeasuredFunction[];
  readonly calls: readonly MeasuredCall[];
  /** Custom metrics (name + sorted dimensions) the tick published, by either path. */
  readonly customMetrics: readonly string[];
  /** How they reached CloudWatch. */
  readonly metricPaths: { readonly putMetricData: number; readonly emf: number };
  /** The execution's events with their input/output JSON (for the log model). */
  readonly history: readonly HistoryEvent[];
  /** The log level the functions ran at (what the stack deploys). */
  readonly functionLogLevel: string;
}

/** The function id of a world ARN (canaries share the id `ping-canary`). */
function functionIdOf(arn: string, config: Config): string {
  for (const vpc of canaryVpcs(config)) if (canaryFunctionArn(vpc) === arn) return 'ping-canary';
  const prefix = localFunctionArn('', HOME_REGION).replace(/-$/, '-');
  return arn.startsWith(prefix) ? arn.slice(prefix.length) : arn;
}

/** Metric keys an EMF document declares (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html). */
export function emfMetricKeys(line: string): string[] {
  if (!line.includes('"_aws"')) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return [];
  }
  const record = doc as Record<string, unknown> & {
    _aws?: {
      CloudWatchMetrics?: { Namespace?: string; Dimensions?: string[][]; Metrics?: { Name?: string }[] }[];
    };
  };
  const keys: string[] = [];
  for (const directive of record._aws?.CloudWatchMetrics ?? []) {
    const dimensionSets = directive.Dimensions?.length ? directive.Dimensions : [[]];
    for (const metric of directive.Metrics ?? []) {
      for (const set of dimensionSets) {
        const dims = [...set]
          .sort()
          .map((name) => `${name}=${String(record[name])}`)
          .join(',');
        keys.push(`${directive.Namespace ?? ''}|${metric.Name ?? ''}|${dims}`);
      }
    }
  }
  return keys;
}

/**
 * Runs a warm-up tick and a measured healthy tick of `config` on the sandbox. `functionLogLevel`
 * is the Powertools log level the stack deploys (POWERTOOLS_LOG_LEVEL, default INFO).
 */
export async function measureHealthyTick(
  config: Config,
  functionLogLevel: string,
  options: { iam?: boolean } = {},
): Promise<TickMeasurement> {
  process.env.POWERTOOLS_LOG_LEVEL = functionLogLevel;
  process.env.POWERTOOLS_DEV = 'false';
  process.env.POWERTOOLS_TRACE_ENABLED = 'false';
  process.env.AWS_REGION ??= HOME_REGION;
  process.env.AWS_ACCESS_KEY_ID ??= 'sandbox';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'sandbox';
  recordExecutionData(true);

  const invocations = new Map<string, number>();
  const logs = new Map<string, { bytes: number; events: number }>();
  const emfKeys = new Set<string>();
  let measuring = false;

  // Count invocations by function (retries included: each is an invocation Lambda bills).
  const originalInvoke = Lambdas.prototype.invoke;
  Lambdas.prototype.invoke = function (this: Lambdas, arn, event, context, meta) {
    if (measuring) {
      const id = functionIdOf(arn, config);
      invocations.set(id, (invocations.get(id) ?? 0) + 1);
    }
    return originalInvoke.call(this, arn, event, context, meta);
  };
  // The world counts each function's lines (its log group) and echoes the non-EMF ones to stdout;
  // keep them out of this command's own output.
  const realWrite = process.stdout.write;
  process.stdout.write = function quietHandlers(this: NodeJS.WriteStream, ...args: unknown[]): boolean {
    if (callerContext.getStore()) {
      // Dropped, but a writer waiting for its callback must still get it.
      const done = args.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      if (done) queueMicrotask(done);
      return true;
    }
    return Reflect.apply(realWrite, process.stdout, args);
  } as typeof process.stdout.write;
  // The sandbox probes loopback listeners it starts itself, one per target (the policies do not
  // depend on the targets' addresses).
  const sandboxConfig = {
    ...config,
    links: config.links.map((link) => ({
      ...link,
      canary: { ...link.canary, targets: link.canary.targets.map((t) => ({ ...t, host: '127.0.0.1' })) },
    })),
  };
  const restore = () => {
    process.stdout.write = realWrite;
    Lambdas.prototype.invoke = originalInvoke;
    recordExecutionData(false);
  };
  let world: World;
  try {
    world = await World.create({
      config: sandboxConfig,
      monitor: false,
      alarms: false,
      historyMinutes: 10,
      // Without IAM only when the template cannot be deployed as one stack (the sandbox binds one).
      ...(options.iam === false && { iam: { enabled: false } }),
    });
  } catch (error) {
    restore();
    throw error;
  }

  try {
    const warmUp = world.startMonitorExecution();
    await world.runUntilDone(warmUp);
    await world.advance(60);
    const before = world.calls.all().length;
    const storedBefore = new Set(world.cloudwatch.allSamples());
    const logsBefore = world.functionLogs.events.length;
    measuring = true;
    const tick = world.startMonitorExecution();
    await world.runUntilDone(tick);
    measuring = false;
    // Every line each function wrote (its log group's events, EMF documents included), as the
    // world routes the handlers' stdout (sandbox/world/function-logs.ts).
    for (const event of world.functionLogs.events.slice(logsBefore)) {
      const entry = logs.get(event.functionId) ?? { bytes: 0, events: 0 };
      entry.bytes += Buffer.byteLength(event.message, 'utf8');
      entry.events += 1;
      logs.set(event.functionId, entry);
      for (const key of emfMetricKeys(event.message)) emfKeys.add(key);
    }

    const calls: MeasuredCall[] = world.calls
      .all()
      .slice(before)
      .filter((call) => call.caller && call.caller.functionId !== 'harness')
      .map((call) => {
        const input = call.input as { ConsistentRead?: boolean; MetricData?: unknown[] };
        return {
          functionId: call.caller?.functionId ?? 'unknown',
          service: call.service,
          region: call.region,
          command: call.command,
          ...(call.service === 'dynamodb' && { consistentRead: input?.ConsistentRead === true }),
          ...(call.command === 'PutMetricData' && { datums: input?.MetricData?.length ?? 0 }),
        };
      });
    const putKeys = new Set(
      world.cloudwatch
        .allSamples()
        .filter((sample) => !storedBefore.has(sample) && sample.namespace === config.namespace)
        .map((sample) => `${sample.namespace}|${sample.metricName}|${sample.dimensions}`),
    );
    const ids = new Set([...invocations.keys(), ...logs.keys()]);
    return {
      status: tick.status,
      functions: [...ids].sort().map((functionId) => ({
        functionId,
        invocations: invocations.get(functionId) ?? 0,
        logBytes: logs.get(functionId)?.bytes ?? 0,
        logEvents: logs.get(functionId)?.events ?? 0,
      })),
      calls,
      customMetrics: [...new Set([...putKeys, ...emfKeys])].sort(),
      metricPaths: {
        putMetricData: calls.filter((call) => call.command === 'PutMetricData').length,
        emf: emfKeys.size,
      },
      history: tick.history,
      functionLogLevel,
    };
  } finally {
    measuring = false;
    await world.dispose();
    restore();
  }
}
