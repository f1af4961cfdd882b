/**
 * The monthly bill of a deployment, pure: the synthesized templates (what is deployed), the config
 * (the schedule) and one measured healthy tick (what each tick does) in; priced lines by service
 * out. Every quantity is either read from the template, counted on the measured tick, or a
 * modelled figure listed in {@link DURATION_MODEL} with its reason. Prices: ./prices.ts.
 */
import type { CfnResource, CfnTemplate } from '#sandbox/iam/template.ts';
import type { HistoryEvent } from '#sandbox/local-sfn.ts';
import type { MeasuredCall, TickMeasurement } from './measure.ts';
import { HOURS_PER_MONTH, MINUTES_PER_MONTH, PRICES, type PriceName } from './prices.ts';

/** One priced line of the bill. */
export interface CostLine {
  readonly service: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly monthlyUsd: number;
}

/** The bill. */
export interface Bill {
  /** Total a month, CloudWatch dashboards counted within an account's three free ones. */
  readonly monthlyUsd: number;
  /** Total a month with every dashboard of the stack billed (an account past its three free ones). */
  readonly monthlyUsdWithDashboards: number;
  readonly lines: readonly CostLine[];
  /** Per service, dashboards within the free three. */
  readonly breakdown: Readonly<Record<string, number>>;
  /** What the tick looks like, for the report. */
  readonly tick: TickFigures;
}

/** The tick's figures the bill is made of. */
export interface TickFigures {
  readonly ticksPerMonth: number;
  readonly monitorType: string;
  readonly monitorLogLevel: string;
  readonly monitorIncludeExecutionData: boolean;
  readonly monitorLogBytes: number;
  readonly functionLogBytes: number;
  readonly billedDurationMs: number;
  readonly billedMemoryMb: number;
  readonly stateTransitions: number;
  readonly customMetrics: number;
  readonly putMetricDataRequests: number;
  readonly lambdaInvocations: number;
}

/**
 * Modelled warm run times (ms). Lambda bills each invocation's run time; the sandbox runs the
 * handlers in-process, so their local wall time says nothing about Lambda's. The model: a fixed
 * handler overhead plus the AWS calls the invocation made (counted on the tick), at typical
 * same-Region and cross-Region round trips, plus the canary's TCP handshake across the VPN.
 */
export const DURATION_MODEL = {
  handlerMs: 15,
  sameRegionCallMs: 15,
  crossRegionCallMs: 80,
  canaryHandshakeMs: 70,
  /** Step Functions' own time per state entered (Express duration is wall time). */
  stateOverheadMs: 10,
} as const;

/** CloudWatch Logs counts 26 bytes for each event besides its message (PutLogEvents batch size). */
export const LOG_EVENT_OVERHEAD_BYTES = 26;

const usd = (name: PriceName, quantity: number) => PRICES[name].usd * quantity;
const round = (value: number) => Math.round(value * 10_000) / 10_000;

/** Ticks a month for a Scheduler expression: rate(N minute[s]); a cron is counted as once a minute. */
export function ticksPerMonth(schedule: string): number {
  const match = /^rate\((\d+) minutes?\)$/.exec(schedule);
  return match ? MINUTES_PER_MONTH / Number(match[1]) : MINUTES_PER_MONTH;
}

/** Every resource of every template, with its logical id. */
function resources(templates: readonly CfnTemplate[]): [string, CfnResource][] {
  return templates.flatMap((template) => Object.entries(template.Resources));
}

const ofType = (templates: readonly CfnTemplate[], type: string) =>
  resources(templates).filter(([, resource]) => resource.Type === type);

/** A CloudWatch alarm's billed metrics: one, or each MetricStat of a metric-math alarm. */
export function alarmMetricCount(resource: CfnResource): number {
  const metrics = resource.Properties?.Metrics as { MetricStat?: unknown }[] | undefined;
  if (!metrics) return 1;
  return metrics.filter((query) => query.MetricStat !== undefined).length;
}

/** Whether an alarm is high resolution (a period under 60 s). */
function highResolution(resource: CfnResource): boolean {
  const props = resource.Properties ?? {};
  const periods = [
    props.Period as number | undefined,
    ...((props.Metrics as { MetricStat?: { Period?: number } }[] | undefined) ?? []).map(
      (query) => query.MetricStat?.Period,
    ),
  ].filter((period): period is number => typeof period === 'number');
  return periods.some((period) => period < 60);
}

/** The template's Lambda function for a world function id (matched by the stack's description). */
function lambdaOf(templates: readonly CfnTemplate[], functionId: string): CfnResource | undefined {
  const word = functionId === 'ping-canary' ? 'canary' : functionId;
  return ofType(templates, 'AWS::Lambda::Function')
    .map(([, resource]) => resource)
    .find((resource) => String(resource.Properties?.Description ?? '').startsWith(`VPN Guard ${word}:`));
}

/** The Monitor state machine: the one the Scheduler starts (else the EXPRESS one). */
function monitorMachine(templates: readonly CfnTemplate[]): CfnResource | undefined {
  const machines = ofType(templates, 'AWS::StepFunctions::StateMachine');
  const express = machines.find(([, r]) => r.Properties?.StateMachineType === 'EXPRESS');
  return (express ?? machines.find(([id]) => id.startsWith('Monitor')))?.[1];
}

/** The log level the template gives a function's Powertools logger (default INFO). */
export function functionLogLevel(templates: readonly CfnTemplate[], functionId = 'check-tunnel'): string {
  const fn = lambdaOf(templates, functionId);
  const env = (fn?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
  const logging = fn?.Properties?.LoggingConfig as { ApplicationLogLevel?: string } | undefined;
  return String(env?.POWERTOOLS_LOG_LEVEL ?? logging?.ApplicationLogLevel ?? 'INFO').toUpperCase();
}

// The Monitor's execution log ----------------------------------------------------------------

/** The console (and log) event types one local event stands for, with what each carries. */
function loggedEvents(event: HistoryEvent): { type: string; input?: string; output?: string }[] {
  const type = event.stateType ?? 'Task';
  switch (event.type) {
    case 'ExecutionStarted':
      return [{ type: 'ExecutionStarted', ...(event.input !== undefined && { input: event.input }) }];
    case 'ExecutionSucceeded':
      return [{ type: 'ExecutionSucceeded', ...(event.output !== undefined && { output: event.output }) }];
    case 'ExecutionFailed':
      return [{ type: 'ExecutionFailed' }];
    case 'ExecutionAborted':
      return [{ type: 'ExecutionAborted' }];
    case 'ExecutionTimeout':
      return [{ type: 'ExecutionTimedOut' }];
    case 'StateEntered': {
      const entered = {
        type: `${type}StateEntered`,
        ...(event.input !== undefined && { input: event.input }),
      };
      // A Lambda Task logs its scheduling (with the parameters: about its input) and its start.
      if (type === 'Task') {
        return [
          entered,
          { type: 'TaskScheduled', ...(event.input !== undefined && { input: event.input }) },
          { type: 'TaskStarted' },
        ];
      }
      if (type === 'Map' || type === 'Parallel') return [entered, { type: `${type}StateStarted` }];
      return [entered];
    }
    case 'StateExited': {
      const exited = {
        type: `${type}StateExited`,
        ...(event.output !== undefined && { output: event.output }),
      };
      if (type === 'Task') {
        return [
          { type: 'TaskSucceeded', ...(event.output !== undefined && { output: event.output }) },
          exited,
        ];
      }
      if (type === 'Map' || type === 'Parallel') return [{ type: `${type}StateSucceeded` }, exited];
      return [exited];
    }
    case 'StateFailed':
      return [{ type: type === 'Task' ? 'TaskFailed' : `${type}StateFailed` }];
    case 'StateRetried':
      return [{ type: 'TaskFailed' }, { type: 'TaskScheduled' }, { type: 'TaskStarted' }];
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
    case 'ParallelBranchStarted':
    case 'ParallelBranchSucceeded':
    case 'ParallelBranchFailed':
      return [{ type: event.type.replace('ParallelBranch', 'ParallelBranch') }];
    default:
      return [];
  }
}

/** Which events a Step Functions logging level writes (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html). */
export function loggedAtLevel(level: string, type: string): boolean {
  switch (level) {
    case 'ALL':
      return true;
    case 'ERROR':
      return /(Failed|TimedOut|Aborted)$/.test(type);
    case 'FATAL':
      return /^Execution(Failed|TimedOut|Aborted)$/.test(type);
    default:
      return false;
  }
}

/**
 * The bytes one execution writes to its log group at `level`: each event as the JSON record Step
 * Functions writes (id, type, details, previous_event_id, event_timestamp, execution_arn), its
 * input/output escaped inside `details` only with `includeExecutionData`.
 */
export function executionLogBytes(
  history: readonly HistoryEvent[],
  level: string,
  includeExecutionData: boolean,
): { bytes: number; events: number } {
  const executionArn =
    'arn:aws:states:us-east-1:123456789012:express:MonitorStateMachine4955146F-AbCdEfGhIjKl:0f2c6a9e-3b8d-4c1e-9a7f-5d2b8e6c4a10:7e9d1c3b-5a2f-4e8d-b6c4-1a3f5e7d9b20';
  let bytes = 0;
  let events = 0;
  let id = 0;
  for (const event of history) {
    for (const logged of loggedEvents(event)) {
      id += 1;
      if (!loggedAtLevel(level, logged.type)) continue;
      const details: Record<string, unknown> = {};
      if (includeExecutionData && logged.input !== undefined) {
        details.input = logged.input;
        details.inputDetails = { truncated: false };
      }
      if (includeExecutionData && logged.output !== undefined) {
        details.output = logged.output;
        details.outputDetails = { truncated: false };
      }
      if (
        logged.type === 'TaskScheduled' ||
        logged.type === 'TaskStarted' ||
        logged.type === 'TaskSucceeded'
      ) {
        details.resourceType = 'lambda';
        details.resource = 'invoke';
      }
      const record = {
        id: String(id),
        type: logged.type,
        details,
        previous_event_id: String(id - 1),
        event_timestamp: String(event.timestamp),
        execution_arn: executionArn,
        redrive_count: '0',
      };
      bytes += Buffer.byteLength(JSON.stringify(record), 'utf8') + LOG_EVENT_OVERHEAD_BYTES;
      events += 1;
    }
  }
  return { bytes, events };
}

/** START, END and REPORT (and XRAY with active tracing) of one invocation, as Lambda writes them. */
export function platformLogBytes(memoryMb: number, tracing: boolean): number {
  const id = '4a1ae6b7-4a2f-4c33-9e4b-7b9c6f7e6d2b';
  const lines = [
    `START RequestId: ${id} Version: $LATEST`,
    `END RequestId: ${id}`,
    `REPORT RequestId: ${id}\tDuration: 123.45 ms\tBilled Duration: 124 ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: 92 MB\t`,
    ...(tracing
      ? ['XRAY TraceId: 1-5e1b4151-5ac6c58f5b5daa6532e4f2d6\tSegmentId: 6f0bd8b2f4a5c1d3\tSampled: true\t']
      : []),
  ];
  return lines.reduce((sum, line) => sum + Buffer.byteLength(line) + LOG_EVENT_OVERHEAD_BYTES, 0);
}

// Durations -----------------------------------------------------------------------------------

/** An invocation's modelled run time: overhead, its calls, and the canary's handshake. */
function invocationMs(
  functionId: string,
  calls: readonly MeasuredCall[],
  homeRegion: string,
  invocations: number,
): number {
  const callMs = calls.reduce(
    (sum, call) =>
      sum + (call.region === homeRegion ? DURATION_MODEL.sameRegionCallMs : DURATION_MODEL.crossRegionCallMs),
    0,
  );
  const handshake = functionId === 'ping-canary' ? DURATION_MODEL.canaryHandshakeMs : 0;
  return DURATION_MODEL.handlerMs + handshake + callMs / invocations;
}

/** Options of {@link priceDeployment}. */
export interface PriceOptions {
  readonly schedule: string;
  /** The home Region of the stack (calls elsewhere are cross-Region). */
  readonly homeRegion?: string;
  /** Price the Monitor as if it were a STANDARD machine (per state transition). */
  readonly monitorAsStandard?: boolean;
}

/** Prices the deployment. */
export function priceDeployment(
  templates: readonly CfnTemplate[],
  tick: TickMeasurement,
  options: PriceOptions,
): Bill {
  const homeRegion = options.homeRegion ?? 'us-east-1';
  const ticks = ticksPerMonth(options.schedule);
  const lines: CostLine[] = [];
  const add = (service: string, item: string, quantity: number, unit: string, monthlyUsd: number) =>
    lines.push({ service, item, quantity: round(quantity), unit, monthlyUsd: round(monthlyUsd) });

  // CloudWatch: metrics, alarms, dashboards, API requests.
  const metrics = tick.customMetrics.length;
  add(
    'CloudWatch',
    'custom metrics published each tick',
    metrics,
    'metrics',
    usd('customMetricMonth', metrics),
  );
  const puts = tick.calls.filter((call) => call.command === 'PutMetricData').length;
  add(
    'CloudWatch',
    'PutMetricData requests',
    puts * ticks,
    'requests',
    usd('putMetricDataPer1000', (puts * ticks) / 1000),
  );
  let standardMetrics = 0;
  let highResMetrics = 0;
  let mathAlarms = 0;
  for (const [, alarm] of ofType(templates, 'AWS::CloudWatch::Alarm')) {
    const count = alarmMetricCount(alarm);
    if (alarm.Properties?.Metrics) mathAlarms += 1;
    if (highResolution(alarm)) highResMetrics += count;
    else standardMetrics += count;
  }
  const alarms = ofType(templates, 'AWS::CloudWatch::Alarm').length;
  add(
    'CloudWatch',
    `metric alarms (${alarms}, ${mathAlarms} metric math): alarmed metrics`,
    standardMetrics,
    'alarm metrics',
    usd('standardAlarmMetricMonth', standardMetrics),
  );
  if (highResMetrics > 0) {
    add(
      'CloudWatch',
      'high-resolution alarmed metrics',
      highResMetrics,
      'alarm metrics',
      usd('highResolutionAlarmMetricMonth', highResMetrics),
    );
  }
  const composites = ofType(templates, 'AWS::CloudWatch::CompositeAlarm').length;
  add('CloudWatch', 'composite alarms', composites, 'alarms', usd('compositeAlarmMonth', composites));
  const dashboards = ofType(templates, 'AWS::CloudWatch::Dashboard').length;
  add('CloudWatch', "dashboards (within the account's 3 free)", dashboards, 'dashboards', 0);

  // Logs: the Monitor's execution log and every function's log (application lines + platform lines).
  const machine = monitorMachine(templates);
  const logging = (machine?.Properties?.LoggingConfiguration ?? {}) as {
    Level?: string;
    IncludeExecutionData?: boolean;
  };
  const level = logging.Level ?? 'OFF';
  const includeData = logging.IncludeExecutionData === true;
  const monitorLog = executionLogBytes(tick.history, level, includeData);
  let functionLogBytes = 0;
  let invocations = 0;
  let lambdaGbSeconds = 0;
  let tracedInvocations = 0;
  const durations = new Map<string, number>();
  for (const fn of tick.functions) {
    const resource = lambdaOf(templates, fn.functionId);
    const memoryMb = Number(resource?.Properties?.MemorySize ?? 128);
    const tracing = (resource?.Properties?.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active';
    const arm = ((resource?.Properties?.Architectures as string[] | undefined) ?? []).includes('arm64');
    const calls = tick.calls.filter((call) => call.functionId === fn.functionId);
    // This function's calls over all its invocations of the tick, spread evenly over them.
    const perInvocationMs =
      fn.invocations === 0 ? 0 : invocationMs(fn.functionId, calls, homeRegion, fn.invocations);
    const billedMs = Math.ceil(Math.max(perInvocationMs, 1));
    durations.set(fn.functionId, billedMs);
    invocations += fn.invocations;
    if (tracing) tracedInvocations += fn.invocations;
    const gbSeconds = ((fn.invocations * billedMs) / 1000) * (memoryMb / 1024);
    lambdaGbSeconds += arm
      ? gbSeconds
      : gbSeconds * (PRICES.lambdaX86GbSecond.usd / PRICES.lambdaArmGbSecond.usd);
    functionLogBytes +=
      fn.logBytes +
      fn.logEvents * LOG_EVENT_OVERHEAD_BYTES +
      fn.invocations * platformLogBytes(memoryMb, tracing);
  }
  const monitorGb = (monitorLog.bytes * ticks) / 1024 ** 3;
  const functionGb = (functionLogBytes * ticks) / 1024 ** 3;
  add(
    'CloudWatch Logs',
    `Monitor execution log (${level}${includeData ? ', with execution data' : ''}): ${monitorLog.bytes} bytes a tick`,
    monitorGb,
    'GB',
    usd('logsIngestPerGb', monitorGb),
  );
  add(
    'CloudWatch Logs',
    `function logs (Powertools ${tick.functionLogLevel} lines${tick.metricPaths.emf ? ', EMF' : ''}, START/END/REPORT): ${functionLogBytes} bytes a tick`,
    functionGb,
    'GB',
    usd('logsIngestPerGb', functionGb),
  );
  const retentions = ofType(templates, 'AWS::Logs::LogGroup').map(([, r]) =>
    Number(r.Properties?.RetentionInDays ?? 30),
  );
  const retentionMonths = Math.min(1, Math.max(...retentions, 1) / 30);
  add(
    'CloudWatch Logs',
    'log storage (upper bound: uncompressed, kept for the retention)',
    (monitorGb + functionGb) * retentionMonths,
    'GB-month',
    usd('logsStoragePerGbMonth', (monitorGb + functionGb) * retentionMonths),
  );

  // Step Functions: the Monitor, EXPRESS (requests + GB-seconds) or STANDARD (transitions).
  const transitions = tick.history.filter(
    (e) => e.type === 'StateEntered' || e.type === 'StateRetried',
  ).length;
  const collect = Math.max(durations.get('check-tunnel') ?? 0, durations.get('ping-canary') ?? 0);
  const sequential = [...durations.entries()]
    .filter(([id]) => id !== 'check-tunnel' && id !== 'ping-canary')
    .reduce((sum, [, ms]) => sum + ms, 0);
  const wallMs = collect + sequential + transitions * DURATION_MODEL.stateOverheadMs;
  const billedDurationMs = Math.ceil(wallMs / 100) * 100;
  const definitionBytes = Buffer.byteLength(
    JSON.stringify(machine?.Properties?.DefinitionString ?? ''),
    'utf8',
  );
  const largestPayload = Math.max(
    0,
    ...tick.history.flatMap((e) => [e.input?.length ?? 0, e.output?.length ?? 0]),
  );
  const concurrentSteps = Math.max(
    1,
    tick.history.filter((e) => e.type === 'ParallelBranchStarted' || e.type === 'MapIterationStarted').length,
  );
  // "Workflow memory utilized = 50 MB + definition size + execution data size x Parallel or Map steps", in 64 MB chunks.
  const memoryMb = 50 + (definitionBytes + largestPayload * concurrentSteps) / 1024 ** 2;
  const billedMemoryMb = Math.ceil(memoryMb / 64) * 64;
  const monitorType = options.monitorAsStandard
    ? 'STANDARD'
    : String(machine?.Properties?.StateMachineType ?? 'EXPRESS');
  if (monitorType === 'EXPRESS') {
    add(
      'Step Functions',
      'Monitor executions (Express requests)',
      ticks,
      'requests',
      usd('expressRequestPerMillion', ticks / 1e6),
    );
    const gbSeconds = ticks * (billedDurationMs / 1000) * (billedMemoryMb / 1024);
    add(
      'Step Functions',
      `Monitor duration (${billedDurationMs} ms billed x ${billedMemoryMb} MB)`,
      gbSeconds,
      'GB-s',
      usd('expressGbSecond', gbSeconds),
    );
  } else {
    add(
      'Step Functions',
      `Monitor state transitions (STANDARD, ${transitions} a tick)`,
      ticks * transitions,
      'transitions',
      usd('standardTransitionPer1000', (ticks * transitions) / 1000),
    );
  }

  // Lambda.
  add(
    'Lambda',
    `requests (${invocations} a tick)`,
    invocations * ticks,
    'requests',
    usd('lambdaRequestPerMillion', (invocations * ticks) / 1e6),
  );
  add(
    'Lambda',
    `duration (${[...durations].map(([id, ms]) => `${id} ${ms} ms`).join(', ')})`,
    lambdaGbSeconds * ticks,
    'GB-s',
    usd('lambdaArmGbSecond', lambdaGbSeconds * ticks),
  );

  // X-Ray: a traced Monitor makes one trace a tick (its Lambda segments join it); else each traced invocation.
  const machineTraced =
    (machine?.Properties?.TracingConfiguration as { Enabled?: boolean } | undefined)?.Enabled === true;
  const traces = (machineTraced ? 1 : tracedInvocations) * ticks;
  add(
    'X-Ray',
    machineTraced ? 'traces (one a tick)' : 'traces (one per traced invocation)',
    traces,
    'traces',
    usd('xrayTracePerMillion', traces / 1e6),
  );

  // EventBridge Scheduler.
  const schedules = ofType(templates, 'AWS::Scheduler::Schedule').length;
  add(
    'EventBridge Scheduler',
    'invocations',
    schedules * ticks,
    'invocations',
    usd('schedulerInvocationPerMillion', (schedules * ticks) / 1e6),
  );

  // DynamoDB (on-demand): the tick's reads and writes; items are under 4 KB / 1 KB.
  const dynamo = tick.calls.filter((call) => call.service === 'dynamodb');
  const reads = dynamo
    .filter((call) => /^(GetItem|Query|Scan|BatchGetItem)$/.test(call.command))
    .reduce((sum, call) => sum + (call.consistentRead ? 1 : 0.5), 0);
  const writes = dynamo.filter((call) => /^(PutItem|UpdateItem|DeleteItem)$/.test(call.command)).length;
  add(
    'DynamoDB',
    `read request units (${reads} a tick)`,
    reads * ticks,
    'RRU',
    usd('dynamoReadPerMillion', (reads * ticks) / 1e6),
  );
  add(
    'DynamoDB',
    `write request units (${writes} a tick)`,
    writes * ticks,
    'WRU',
    usd('dynamoWritePerMillion', (writes * ticks) / 1e6),
  );

  // SNS: nothing is published on a healthy tick (alarms and incidents publish a few messages each).
  const publishes = tick.calls.filter((call) => call.service === 'sns' && call.command === 'Publish').length;
  add(
    'SNS',
    'publishes on a healthy tick',
    publishes * ticks,
    'publishes',
    usd('snsPublishPerMillion', (publishes * ticks) / 1e6),
  );

  // KMS keys.
  const keys = ofType(templates, 'AWS::KMS::Key').length;
  add('KMS', 'customer managed keys', keys, 'keys', usd('kmsKeyMonth', keys));

  const breakdown: Record<string, number> = {};
  for (const line of lines) breakdown[line.service] = round((breakdown[line.service] ?? 0) + line.monthlyUsd);
  const monthlyUsd = round(lines.reduce((sum, line) => sum + line.monthlyUsd, 0));
  return {
    monthlyUsd,
    monthlyUsdWithDashboards: round(monthlyUsd + usd('dashboardMonth', dashboards)),
    lines,
    breakdown,
    tick: {
      ticksPerMonth: ticks,
      monitorType,
      monitorLogLevel: level,
      monitorIncludeExecutionData: includeData,
      monitorLogBytes: monitorLog.bytes,
      functionLogBytes,
      billedDurationMs,
      billedMemoryMb,
      stateTransitions: transitions,
      customMetrics: metrics,
      putMetricDataRequests: puts,
      lambdaInvocations: invocations,
    },
  };
}

/** Hours in the billed month (re-exported for the report). */
export { HOURS_PER_MONTH };
