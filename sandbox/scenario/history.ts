/**
 * An execution's local history (aws-local-stepfunctions events) in the Step Functions console's
 * vocabulary: `TaskStateEntered`, `TaskFailed`, `WaitStateExited`, `ExecutionSucceeded`, ... so the
 * CLI's history rendering and failed-state logic (cli/render.ts, cli/summary.ts) apply unchanged.
 */
import type { ExecutionEvent } from '../../cli/summary.ts';
import type { HistoryLine } from '../../cli/types.ts';
import { allStates, type HistoryEvent } from '../local-sfn.ts';

const EXECUTION_TYPES: Record<string, string> = {
  ExecutionStarted: 'ExecutionStarted',
  ExecutionSucceeded: 'ExecutionSucceeded',
  ExecutionFailed: 'ExecutionFailed',
  ExecutionAborted: 'ExecutionAborted',
  ExecutionTimeout: 'ExecutionTimedOut',
};

/** Console event type of one local event; undefined for the ones the console does not list. */
function consoleType(event: HistoryEvent): string | undefined {
  const execution = EXECUTION_TYPES[event.type];
  if (execution) return execution;
  const type = event.stateType ?? 'Task';
  switch (event.type) {
    case 'StateEntered':
      return `${type}StateEntered`;
    case 'StateExited':
      return `${type}StateExited`;
    case 'StateFailed':
      // A Fail state "fails" by design; the console lists only its entry and ExecutionFailed.
      if (type === 'Fail') return undefined;
      return type === 'Task' ? 'TaskFailed' : `${type}StateFailed`;
    case 'StateRetried':
      return 'TaskRetryScheduled';
    default:
      return undefined;
  }
}

/** The events as the console's ExecutionEvent (ids in order), for cli/summary.ts. */
export function toExecutionEvents(history: readonly HistoryEvent[]): ExecutionEvent[] {
  const events: ExecutionEvent[] = [];
  for (const event of history) {
    const type = consoleType(event);
    if (!type) continue;
    events.push({
      id: events.length + 1,
      type,
      timestamp: new Date(event.timestamp),
      ...(event.state ? { name: event.state } : {}),
      ...(event.error ? { error: event.error } : {}),
      ...(event.cause ? { cause: event.cause } : {}),
    });
  }
  return events;
}

/** The history as lines for cli/render.ts's renderHistoryLine (Wait durations and retries said). */
export function toHistoryLines(history: readonly HistoryEvent[], definition?: string): HistoryLine[] {
  const waits = new Map<string, number>();
  if (definition) {
    for (const [name, state] of allStates(JSON.parse(definition))) {
      if (state.Type === 'Wait' && state.Seconds !== undefined) waits.set(name, state.Seconds);
    }
  }
  const lines: HistoryLine[] = [];
  for (const event of history) {
    if (event.type === 'StateCaught') {
      const last = lines.at(-1);
      if (last)
        lines[lines.length - 1] = { ...last, detail: `${last.detail ? `${last.detail} ` : ''}(caught)` };
      continue;
    }
    const type = consoleType(event);
    if (!type) continue;
    let detail: string | undefined;
    if (event.error) detail = `${event.error}: ${oneLine(event.cause ?? '')}`;
    else if (event.detail) detail = `${event.detail} (simulated)`;
    else if (type === 'WaitStateEntered' && event.state && waits.has(event.state)) {
      detail = `waits ${waits.get(event.state)} s (simulated)`;
    }
    lines.push({
      timestamp: new Date(event.timestamp),
      type,
      ...(event.state ? { state: event.state } : {}),
      ...(detail ? { detail } : {}),
    });
  }
  return lines;
}

function oneLine(text: string): string {
  let message = text;
  try {
    const parsed = JSON.parse(text) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // a plain-text cause
  }
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
