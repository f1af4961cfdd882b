/**
 * Building a {@link DrillSummary} (and a history record) from a Remediation execution as Step
 * Functions describes it. Pure: no SDK, no clock, no environment; the deployed adapters convert
 * the SDK's shapes into the domain types below.
 */

import { z } from 'zod';
import { executionConsoleUrl } from '#shared/console-url.ts';
import { parseRemediationExecutionName, TRIGGERS, type Trigger } from '#shared/execution-name.ts';
import type { DrillSummary, HistoryLine, RemediationOutcome } from './types.ts';

/** Step Functions execution statuses. */
export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

/** What DescribeExecution says about an execution. */
export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  /** The execution input (JSON text). */
  readonly input?: string;
  /** The execution output (JSON text), when it succeeded. */
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** One event of an execution's history, whatever its type. */
export interface ExecutionEvent {
  readonly id: number;
  readonly previousEventId?: number;
  readonly type: string;
  readonly timestamp: Date;
  /** The state's name, on *StateEntered / *StateExited events. */
  readonly name?: string;
  readonly error?: string;
  readonly cause?: string;
  /** The event's output (JSON text), on *Exited / *Succeeded events. */
  readonly output?: string;
  /** `resourceType:resource` of a scheduled task, e.g. `lambda:invoke`. */
  readonly resource?: string;
}

/** One row of `--history`. */
export interface RemediationRecord {
  readonly executionName: string;
  readonly executionArn: string;
  readonly startedAt: Date;
  readonly link: string | null;
  readonly trigger: Trigger | null;
  readonly dryRun: boolean | null;
  readonly status: ExecutionStatus;
  readonly outcome: DrillSummary['outcome'];
  readonly timeToRecoverSeconds: number | null;
  readonly failedState: string | null;
  readonly error: string | null;
  readonly consoleUrl: string;
  /** The rung used (see {@link DrillSummary.rung}); absent when the report does not say. */
  readonly rung?: string | null;
}

const OUTCOMES = [
  'recovered',
  'failed',
  'skipped-locked',
  'skipped-cooldown',
  'exhausted',
  'recovered-by-itself',
  'dry-run-plan',
  'rejected',
] as const satisfies readonly RemediationOutcome[];

const routeChangeSchema = z.object({
  routeTableId: z.string(),
  destinationCidrBlock: z.string(),
  from: z.object({ target: z.string().nullable(), state: z.string().nullable() }).nullable(),
  to: z.object({ networkInterfaceId: z.string() }),
  action: z.enum(['replace', 'create', 'unchanged']),
});

/**
 * The Remediation machine's output (`RemediationReport`, docs/contracts.md), read leniently: only
 * `outcome` is required, so a report that grows fields (or lacks optional ones) still summarises.
 */
export const remediationReportSchema = z.object({
  outcome: z.enum(OUTCOMES),
  link: z.string().optional(),
  trigger: z.enum(TRIGGERS).optional(),
  dryRun: z.boolean().optional(),
  executionName: z.string().optional(),
  timeToRecoverSeconds: z.number().nullable().optional(),
  oldInstanceId: z.string().nullable().optional(),
  newInstanceId: z.string().nullable().optional(),
  elasticIp: z.string().nullable().optional(),
  routes: z.array(routeChangeSchema).optional(),
  plan: z.array(z.string()).optional(),
  reason: z.string().optional(),
  notification: z.object({ subject: z.string() }).nullable().optional(),
  // Strings, not an enum: a rung added later must not make the whole report unreadable.
  rung: z.string().nullable().optional(),
  rungs: z.array(z.string()).optional(),
});
export type RemediationReportView = z.infer<typeof remediationReportSchema>;

const inputSchema = z.object({
  link: z.string().optional(),
  trigger: z.enum(TRIGGERS).optional(),
  dryRun: z.boolean().optional(),
});

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The rung fields of a report, only those it carries: a report from before the converging
 * remediation has neither, and the summary then simply has none.
 */
export function rungFields(
  report: Pick<RemediationReportView, 'rung' | 'rungs'> | null | undefined,
): Pick<DrillSummary, 'rung' | 'rungs'> {
  return {
    ...(report?.rung === undefined ? {} : { rung: report.rung }),
    ...(report?.rungs === undefined ? {} : { rungs: report.rungs }),
  };
}

const rungSchema = z.object({
  report: remediationReportSchema.pick({ rung: true, rungs: true }),
});

/**
 * The rung fields of the last report a Notify state announced: a failed execution has no output,
 * but its NotifyFailure returned the report (notify's `{ messageId, subject, report }`, as the
 * lambda:invoke result's Payload).
 */
export function notifiedRungFields(events: readonly ExecutionEvent[]): Pick<DrillSummary, 'rung' | 'rungs'> {
  const states = attributeStates(events);
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i];
    if (!event || (event.type !== 'TaskSucceeded' && event.type !== 'LambdaFunctionSucceeded')) continue;
    if (!states.get(event.id)?.startsWith('Notify')) continue;
    const output = parseJson(event.output) as { Payload?: unknown } | undefined;
    const parsed = rungSchema.safeParse(output?.Payload ?? output);
    if (parsed.success) return rungFields(parsed.data.report);
  }
  return {};
}

/** Rungs that heal the gateway in place: a recovery by them keeps the instance. */
const IN_PLACE_RUNGS = new Set(['repair', 'restart-ipsec']);

/** The Step Functions console page of an execution (one implementation, shared with notify). */
export const consoleUrlFor = executionConsoleUrl;

/**
 * A task error's cause, readable on one line. Lambda failures carry a JSON cause
 * (`{"errorType","errorMessage","trace"}`): the message is what a person wants.
 */
export function causeMessage(cause: string | undefined): string | undefined {
  if (cause === undefined || cause === '') return undefined;
  const parsed = parseJson(cause);
  if (parsed && typeof parsed === 'object' && 'errorMessage' in parsed) {
    const message = (parsed as { errorMessage: unknown }).errorMessage;
    if (typeof message === 'string') return oneLine(message);
  }
  return oneLine(cause);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function errorText(error: string | undefined, cause: string | undefined): string | undefined {
  const message = causeMessage(cause);
  if (error && message) return `${error}: ${message}`;
  return error ?? message;
}

/**
 * Names the state each event belongs to: *StateEntered/*StateExited carry it, every other event
 * (TaskScheduled, TaskFailed, ...) inherits it through its `previousEventId` chain, as the console's
 * "Step" column does. `known` carries the names of earlier pages across calls.
 */
export function attributeStates(
  events: readonly ExecutionEvent[],
  known: Map<number, string> = new Map(),
): Map<number, string> {
  for (const event of events) {
    const state =
      event.name ?? (event.previousEventId === undefined ? undefined : known.get(event.previousEventId));
    if (state !== undefined) known.set(event.id, state);
  }
  return known;
}

/** Events as the console's history lists them (the state, and the error or cause on one line). */
export function toHistoryLines(
  events: readonly ExecutionEvent[],
  known: Map<number, string> = new Map(),
): HistoryLine[] {
  attributeStates(events, known);
  return events.map((event) => {
    const state = known.get(event.id);
    const detail =
      errorText(event.error, event.cause) ?? (event.type === 'TaskScheduled' ? event.resource : undefined);
    return {
      timestamp: event.timestamp,
      type: event.type,
      ...(state === undefined ? {} : { state }),
      ...(detail === undefined ? {} : { detail }),
    };
  });
}

const EXECUTION_END = new Set([
  'ExecutionFailed',
  'ExecutionTimedOut',
  'ExecutionAborted',
  'ExecutionSucceeded',
]);

function isStepFailure(type: string): boolean {
  return !type.startsWith('Execution') && (type.endsWith('Failed') || type.endsWith('TimedOut'));
}

/**
 * The state where the execution went wrong. A failure is caught and ends through a notify and a
 * release-lock path before the Fail state, so "the last state entered" would name the clean-up;
 * and a failure that a Retry overcame is no failure. So: the state of the *first* final step
 * failure (one its state did not retry afterwards) whose error the execution ended with, else of
 * the first final step failure, else (an execution that timed out or was stopped) the last state
 * entered before the end that is not a Fail state. First, not last: when a clean-up step fails
 * after the catch with the same error name (a throttled NotifyFailure after a throttled
 * RepointRoutes), the state that failed first is where the run went wrong. Events in ascending
 * order; a tail of the history does (it then names the first failure within the tail).
 */
export function failedStateOf(events: readonly ExecutionEvent[], executionError?: string): string | null {
  const states = attributeStates(events);
  const end = events.findIndex((event) => EXECUTION_END.has(event.type));
  const before = end === -1 ? events : events.slice(0, end);
  // The failure still standing for each state: a later scheduling/start/success of the state is a retry.
  const pending = new Map<string, ExecutionEvent>();
  for (const event of before) {
    const state = states.get(event.id);
    if (state === undefined) continue;
    if (isStepFailure(event.type)) pending.set(state, event);
    else if (!event.type.endsWith('StateExited')) pending.delete(state);
  }
  const finals = [...pending.values()].sort((a, b) => a.id - b.id);
  const matching = executionError ? finals.filter((event) => event.error === executionError) : [];
  const failure = matching[0] ?? finals[0];
  if (failure) return states.get(failure.id) ?? null;
  const entered = before.filter(
    (event) => event.type.endsWith('StateEntered') && event.type !== 'FailStateEntered',
  );
  return entered.at(-1)?.name ?? null;
}

/** The state the execution is in now: the last state entered (for the progress line). */
export function currentStateOf(events: readonly ExecutionEvent[]): string | null {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i];
    if (event?.type.endsWith('StateEntered')) return event.name ?? null;
  }
  return null;
}

/**
 * Notifications seen in the history: the output of a Task whose state name starts with `Notify`
 * (notify returns `{ messageId, subject }`, as the lambda:invoke result's Payload).
 */
function notificationsFrom(events: readonly ExecutionEvent[]): { kind: string; subject: string }[] {
  const states = attributeStates(events);
  const found: { kind: string; subject: string }[] = [];
  for (const event of events) {
    if (event.type !== 'TaskSucceeded' && event.type !== 'LambdaFunctionSucceeded') continue;
    const state = states.get(event.id);
    if (!state?.startsWith('Notify')) continue;
    const output = parseJson(event.output) as
      | { Payload?: { subject?: unknown }; subject?: unknown }
      | undefined;
    const subject = output?.Payload?.subject ?? output?.subject;
    if (typeof subject === 'string') found.push({ kind: state, subject });
  }
  return found;
}

function outcomeOfStatus(status: ExecutionStatus): DrillSummary['outcome'] {
  if (status === 'RUNNING') return 'running';
  if (status === 'ABORTED') return 'aborted';
  return 'failed';
}

/** Whether a drill ended as hoped: recovered, or (dry run) produced its plan. */
export function isDrillOk(summary: Pick<DrillSummary, 'outcome'>): boolean {
  return summary.outcome === 'recovered' || summary.outcome === 'dry-run-plan';
}

export interface DeployedSummary {
  readonly summary: DrillSummary;
  /** The dry run's plan (what it would have changed), empty otherwise. */
  readonly plan: readonly string[];
}

/** Link, trigger and dry-run flag of an execution, from its name and its input. */
function identityOf(description: ExecutionDescription): {
  link?: string;
  trigger?: Trigger;
  dryRun?: boolean;
} {
  const named = parseRemediationExecutionName(description.name);
  const input = inputSchema.safeParse(parseJson(description.input) ?? {});
  const given = input.success ? input.data : {};
  const link = named?.link ?? given.link;
  const trigger = named?.trigger ?? given.trigger;
  return {
    ...(link === undefined ? {} : { link }),
    ...(trigger === undefined ? {} : { trigger }),
    ...(given.dryRun === undefined ? {} : { dryRun: given.dryRun }),
  };
}

/**
 * The drill summary of a Remediation execution against a deployed stack: from the execution
 * output (the RemediationReport) when it succeeded, else from the Fail error/cause and the failed
 * state. Durations are real time; time to detect and mutating calls are not observable here.
 */
export function buildDeployedSummary(
  description: ExecutionDescription,
  events: readonly ExecutionEvent[],
): DeployedSummary {
  const given = identityOf(description);
  const parsedReport =
    description.status === 'SUCCEEDED'
      ? remediationReportSchema.safeParse(parseJson(description.output))
      : undefined;
  const report = parsedReport?.success ? parsedReport.data : undefined;

  let outcome: DrillSummary['outcome'] = report?.outcome ?? outcomeOfStatus(description.status);
  let error: string | null = null;
  let failedState: string | null = null;
  if (description.status === 'SUCCEEDED' && !report) {
    outcome = 'failed';
    error = `the execution output is not a RemediationReport (${parsedReport?.error?.issues[0]?.message ?? 'no output'}): is the stack's Remediation machine up to date?`;
  } else if (description.status !== 'SUCCEEDED' && description.status !== 'RUNNING') {
    const executionError =
      description.error ?? (description.status === 'TIMED_OUT' ? 'States.Timeout' : undefined);
    error = errorText(executionError, description.cause) ?? null;
    failedState = failedStateOf(events, executionError);
  }

  const expectations: DrillSummary['expectations'][number][] = [];
  if (given.dryRun || report?.dryRun) {
    expectations.push({ description: 'the dry run produced its plan', met: outcome === 'dry-run-plan' });
  } else {
    expectations.push({ description: 'the remediation recovered the link', met: outcome === 'recovered' });
    if (outcome === 'recovered') {
      const detail = `${report?.oldInstanceId ?? '?'} -> ${report?.newInstanceId ?? '?'}`;
      if (report?.rung && IN_PLACE_RUNGS.has(report.rung)) {
        // Healed in place: the same instance must still be the gateway.
        const kept = !report.newInstanceId || report.newInstanceId === report.oldInstanceId;
        expectations.push({
          description: `the gateway instance was kept (${report.rung})`,
          met: kept,
          detail,
        });
      } else {
        const replaced = Boolean(report?.newInstanceId) && report?.newInstanceId !== report?.oldInstanceId;
        expectations.push({ description: 'the gateway instance was replaced', met: replaced, detail });
      }
    }
  }

  const fromReport = report?.notification
    ? [{ kind: report.outcome, subject: report.notification.subject }]
    : [];
  const summary: DrillSummary = {
    outcome,
    link: report?.link ?? given.link ?? '',
    trigger: report?.trigger ?? given.trigger ?? 'drill',
    dryRun: report?.dryRun ?? given.dryRun ?? false,
    executionName: description.name,
    executionArn: description.executionArn,
    consoleUrl: consoleUrlFor(description.executionArn),
    timeToDetectSeconds: null,
    timeToRecoverSeconds: report?.timeToRecoverSeconds ?? null,
    simulatedTime: false,
    remediations: 1,
    oldInstanceId: report?.oldInstanceId ?? null,
    newInstanceId: report?.newInstanceId ?? null,
    routesChanged: report?.routes ?? [],
    notifications: fromReport.length > 0 ? fromReport : notificationsFrom(events),
    mutatingCalls: null,
    failedState,
    error,
    expectations,
    ...(report ? rungFields(report) : notifiedRungFields(events)),
  };
  return { summary, plan: report?.plan ?? [] };
}

/**
 * One `--history` row. `tail` is the end of the history (any order is fine, ascending is used),
 * needed only for executions that did not succeed.
 */
export function toRemediationRecord(
  description: ExecutionDescription,
  tail: readonly ExecutionEvent[] = [],
): RemediationRecord {
  const { summary } = buildDeployedSummary(
    description,
    [...tail].sort((a, b) => a.id - b.id),
  );
  const given = identityOf(description);
  return {
    executionName: description.name,
    executionArn: description.executionArn,
    startedAt: description.startDate,
    link: summary.link === '' ? null : summary.link,
    trigger: given.trigger ?? null,
    dryRun: given.dryRun ?? null,
    status: description.status,
    outcome: summary.outcome,
    timeToRecoverSeconds: summary.timeToRecoverSeconds,
    failedState: summary.failedState,
    error: summary.error,
    consoleUrl: summary.consoleUrl ?? consoleUrlFor(description.executionArn),
    ...(summary.rung === undefined ? {} : { rung: summary.rung }),
  };
}
