/**
 * Runs a real ASL definition in-process with aws-local-stepfunctions, every `lambda:invoke` Task
 * bound to the real handler by its `FunctionName`. Wait states and Retry intervals never sleep in
 * real time: without `sleep` they pass at once; with it they wait for the caller's simulated clock
 * (the sandbox world runs many executions on one clock).
 */
import type { Context } from 'aws-lambda';
import { ExecutionAbortedError, ExecutionError, StateMachine } from 'aws-local-stepfunctions';

type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type RunOverrides = RunOptions['overrides'];
type JsonValue = Parameters<StateMachine['run']>[0];
type EventLog = NonNullable<
  Awaited<ReturnType<ReturnType<StateMachine['run']>['eventLogs']['next']>>['value']
>;

/** A Lambda handler as our functions export it (the runner also says which state invokes it). */
export type LocalLambda = (
  event: unknown,
  context: Context,
  invocation?: { readonly state: string },
) => Promise<unknown>;

export interface LocalRunOptions {
  /** The ASL after substitution. */
  readonly definition: string;
  /** Handlers by function ARN (the substituted `FunctionName` values). */
  readonly functions: Readonly<Record<string, LocalLambda>>;
  readonly input: unknown;
  readonly executionName: string;
  readonly stateMachineArn: string;
  /** The clock used for the context object's StartTime. */
  readonly now?: () => Date;
  /**
   * When given, Wait states and retry intervals *wait* for this promise instead of passing at once:
   * the caller's simulated clock decides when the execution moves on, so several executions can
   * share one clock.
   */
  readonly sleep?: (seconds: number, reason: { state: string; kind: 'wait' | 'retry' }) => Promise<void>;
  /** Aborts the execution (the run then rejects with the library's ExecutionAbortedError). */
  readonly signal?: AbortSignal;
}

export interface HistoryEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly parent?: string;
  /** The state's type (Task, Wait, Choice, ...). */
  readonly stateType?: string;
  /** Extra detail, e.g. a retry's backoff interval. */
  readonly detail?: string;
  /** The state's (or execution's) input as JSON text, only while {@link recordExecutionData} is on. */
  readonly input?: string;
  /** The state's (or execution's) output as JSON text, only while {@link recordExecutionData} is on. */
  readonly output?: string;
  /**
   * UTF-8 bytes of the state's input and (on exit) output as JSON: what Step Functions holds to its
   * 256 KiB payload quota (https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html).
   */
  readonly inputBytes?: number;
  readonly outputBytes?: number;
}

let keepExecutionData = false;

/**
 * Keeps each event's input and output (JSON text) in the history, as Step Functions logs them with
 * `includeExecutionData` (the cost model measures log bytes with it; off by default, so long
 * scenarios keep no payloads).
 */
export function recordExecutionData(on: boolean): void {
  keepExecutionData = on;
}

/** The event's input/output as JSON text, when execution data is recorded. */
function executionData(event: EventLog): { input?: string; output?: string } {
  if (!keepExecutionData) return {};
  const data: { input?: string; output?: string } = {};
  const source = (event as { state?: { input?: unknown; output?: unknown } }).state ?? event;
  const { input, output } = source as { input?: unknown; output?: unknown };
  if (input !== undefined && event.type !== 'StateExited') data.input = JSON.stringify(input);
  if (output !== undefined && event.type !== 'StateEntered') data.output = JSON.stringify(output);
  if (event.type === 'ExecutionStarted') data.input = JSON.stringify((event as { input?: unknown }).input);
  if (event.type === 'ExecutionSucceeded')
    data.output = JSON.stringify((event as { output?: unknown }).output);
  return data;
}

export interface LocalRunResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly executionArn: string;
  /** Events in order, as the console's execution history lists them. */
  readonly history: readonly HistoryEvent[];
  /** Names of the states entered, in order (Parallel/Map branches included). */
  readonly path: readonly string[];
}

interface AslState {
  Type: string;
  Seconds?: number;
  Retry?: {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    MaxAttempts?: number;
  }[];
  Parameters?: { FunctionName?: string };
  Branches?: AslMachine[];
  ItemProcessor?: AslMachine;
  Iterator?: AslMachine;
}
interface AslMachine {
  States: Record<string, AslState>;
}

/** Every state of a definition, nested branches and Map processors included. */
export function allStates(machine: AslMachine): [string, AslState][] {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...(state.Branches ?? []).flatMap(allStates),
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
    ...(state.Iterator ? allStates(state.Iterator) : []),
  ]);
}

/** A Lambda context good enough for middy and Powertools. */
export function localLambdaContext(functionArn: string, remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  const functionName = functionArn.split(':').at(-1) ?? functionArn;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: '256',
    awsRequestId: `local-${Math.random().toString(16).slice(2, 10)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Runs one execution to completion. */
export async function runLocalExecution(options: LocalRunOptions): Promise<LocalRunResult> {
  const machine = JSON.parse(options.definition) as AslMachine;
  const states = allStates(machine);
  const now = options.now ?? (() => new Date());
  const executionArn = `${options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${options.executionName}`;

  /** Retrier attempt counts per state entry, mirroring the library's bookkeeping. */
  const retries = new Map<string, { attempts: number[]; pendingSeconds?: number }>();
  const taskResourceLocalHandlers: Record<
    string,
    (input: { FunctionName?: string; Payload?: unknown }) => Promise<unknown>
  > = {};
  for (const [name, state] of states) {
    if (state.Type !== 'Task') continue;
    taskResourceLocalHandlers[name] = async (input) => {
      const arn = input?.FunctionName;
      const fn = arn ? options.functions[arn] : undefined;
      if (!fn || !arn) {
        throw new Error(`local runner: state ${name} invokes ${String(arn)}, which has no local handler`);
      }
      // Concurrent Map iterations run the same state with different inputs.
      const entryKey = `${name}\u0000${JSON.stringify(input.Payload ?? null)}`;
      const entry = retries.get(entryKey);
      const pending = entry?.pendingSeconds;
      if (entry && pending !== undefined && options.sleep) {
        entry.pendingSeconds = undefined;
        await options.sleep(pending, { state: name, kind: 'retry' });
      }
      try {
        // A real invocation serialises the payload: the handler never shares objects with the runner.
        const payload = await fn(structuredClone(input.Payload ?? {}), localLambdaContext(arn), {
          state: name,
        });
        retries.delete(entryKey);
        return { Payload: payload === undefined ? null : JSON.parse(JSON.stringify(payload)) };
      } catch (error) {
        const entry = retries.get(entryKey) ?? { attempts: (state.Retry ?? []).map(() => 0) };
        const delay = nextRetryDelay(state, entry.attempts, error);
        if (delay === undefined) retries.delete(entryKey);
        else retries.set(entryKey, { attempts: entry.attempts, pendingSeconds: delay });
        throw error;
      }
    };
  }

  const waitSeconds = new Map(states.filter(([, s]) => s.Type === 'Wait').map(([n, s]) => [n, s.Seconds]));
  const waitTimeOverrides = new Proxy({} as Record<string, number>, {
    get(_target, stateName) {
      if (typeof stateName !== 'string' || !waitSeconds.has(stateName)) return undefined;
      const seconds = waitSeconds.get(stateName);
      if (seconds === undefined) return undefined;
      if (!options.sleep) return 0;
      // The library sleeps with the global setTimeout; this token makes that one call wait for the
      // caller's clock instead (see installSimulatedTimeoutHook).
      return new SimulatedDelay(options.sleep(seconds, { state: stateName, kind: 'wait' }));
    },
  });
  const retryIntervalOverrides = Object.fromEntries(states.filter(([, s]) => s.Retry).map(([n]) => [n, 0]));

  const stateMachine = new StateMachine(JSON.parse(options.definition), {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const releaseHook = options.sleep ? installSimulatedTimeoutHook() : undefined;
  const execution = stateMachine.run(options.input as JsonValue, {
    overrides: {
      taskResourceLocalHandlers,
      waitTimeOverrides,
      retryIntervalOverrides,
    } as unknown as RunOverrides,
    context: {
      Execution: {
        Id: executionArn,
        Name: options.executionName,
        Input: options.input as JsonValue,
        StartTime: now().toISOString(),
        RoleArn: 'arn:aws:iam::111111111111:role/local',
      },
      StateMachine: { Id: options.stateMachineArn, Name: options.stateMachineArn.split(':').at(-1) },
      // The context object's State (input-output-contextobject.html): the library sets none, so
      // `$$.State.EnteredTime` reads the simulated clock when it is evaluated, which for the Pass
      // and Parameters blocks that use it is the time the state was entered.
      State: {
        get EnteredTime() {
          return now().toISOString();
        },
      },
    } as unknown as NonNullable<Parameters<StateMachine['run']>[1]>['context'],
  });

  const onAbort = () => execution.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) execution.abort();

  const history: HistoryEvent[] = [];
  const path: string[] = [];
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      history.push(toHistoryEvent(event));
      if (event.type === 'StateEntered') path.push(event.state.name);
    }
  })();

  try {
    const output = await execution.result;
    await collect;
    return { status: 'SUCCEEDED', output, executionArn, history, path };
  } catch (error) {
    await collect.catch(() => undefined);
    if (error instanceof ExecutionAbortedError) {
      throw new LocalExecutionAbortedError(executionArn, history, path);
    }
    if (error instanceof ExecutionError) {
      const inner = error.cause as { name?: string; message?: string } | undefined;
      return {
        status: 'FAILED',
        error: inner?.name ?? 'States.Runtime',
        cause: inner?.message ?? String(error),
        executionArn,
        history,
        path,
      };
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    releaseHook?.();
  }
}

/** The execution was aborted (`signal`); carries the history up to the abort. */
export class LocalExecutionAbortedError extends Error {
  override readonly name = 'LocalExecutionAbortedError';
  constructor(
    readonly executionArn: string,
    readonly history: readonly HistoryEvent[],
    readonly path: readonly string[],
  ) {
    super(`execution ${executionArn} was aborted`);
  }
}

/**
 * The retry interval (seconds) the library will wait before retrying `error` in `state`, or
 * undefined when it will not retry; mirrors aws-local-stepfunctions' StateExecutor.shouldRetry
 * (first matching retrier decides; FULL jitter is not simulated: the full interval is used).
 */
function nextRetryDelay(state: AslState, attempts: number[], error: unknown): number | undefined {
  const name = error instanceof Error ? error.name : 'Error';
  const retriers = state.Retry ?? [];
  for (let i = 0; i < retriers.length; i++) {
    const retrier = retriers[i];
    if (!retrier) continue;
    // States.TaskFailed matches every error of a Task but States.Timeout
    // (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). The
    // library only knows its own timeout class: the ASLs use no States.TaskFailed today.
    const matches = retrier.ErrorEquals.some(
      (wanted) =>
        wanted === name ||
        wanted === 'States.ALL' ||
        (wanted === 'States.TaskFailed' && name !== 'States.Timeout'),
    );
    if (!matches) continue;
    const done = attempts[i] ?? 0;
    if (done >= (retrier.MaxAttempts ?? 3)) return undefined;
    attempts[i] = done + 1;
    const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** done;
    return Math.max(0, Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY));
  }
  return undefined;
}

/** A Wait state's delay, handed to the library in place of milliseconds. */
class SimulatedDelay {
  constructor(readonly done: Promise<void>) {}
  [Symbol.toPrimitive](): number {
    return 1;
  }
}

/** A timeout handle standing for a {@link SimulatedDelay} wait. */
class SimulatedTimeout {
  cancelled = false;
}

let hookUsers = 0;
let restoreTimeouts: (() => void) | undefined;

/**
 * While executions with a simulated `sleep` run, the global setTimeout recognises a
 * {@link SimulatedDelay} passed as the delay and waits for its promise instead of real time; every
 * other call goes to the real setTimeout untouched. Returns the release function (reference-counted).
 */
function installSimulatedTimeoutHook(): () => void {
  if (hookUsers === 0) {
    const realSetTimeout = globalThis.setTimeout;
    const realClearTimeout = globalThis.clearTimeout;
    const hooked = ((callback: (...args: unknown[]) => void, delay?: unknown, ...args: unknown[]) => {
      if (delay instanceof SimulatedDelay) {
        const handle = new SimulatedTimeout();
        const fire = () => {
          if (!handle.cancelled) callback(...args);
        };
        delay.done.then(fire, fire);
        return handle;
      }
      return realSetTimeout(callback, delay as number, ...args);
    }) as unknown as typeof setTimeout;
    const hookedClear = ((handle: unknown) => {
      if (handle instanceof SimulatedTimeout) {
        handle.cancelled = true;
        return;
      }
      realClearTimeout(handle as Parameters<typeof clearTimeout>[0]);
    }) as typeof clearTimeout;
    globalThis.setTimeout = hooked;
    globalThis.clearTimeout = hookedClear;
    restoreTimeouts = () => {
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
    };
  }
  hookUsers += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    hookUsers -= 1;
    if (hookUsers === 0) {
      restoreTimeouts?.();
      restoreTimeouts = undefined;
    }
  };
}

function toHistoryEvent(event: EventLog): HistoryEvent {
  const base = { type: event.type, timestamp: event.timestamp, ...executionData(event) };
  if ('state' in event && event.state) {
    const parent = 'parentState' in event && event.parentState ? event.parentState.name : undefined;
    const failure =
      'Error' in event
        ? { error: String(event.Error), cause: String((event as { Cause?: unknown }).Cause ?? '') }
        : {};
    const stateType = (event.state as { type?: string }).type;
    const { input, output } = event.state as { input?: unknown; output?: unknown };
    const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
    return {
      ...base,
      state: event.state.name,
      ...(stateType ? { stateType } : {}),
      ...(input !== undefined && { inputBytes: bytes(input) }),
      ...(output !== undefined && { outputBytes: bytes(output) }),
      ...(parent ? { parent } : {}),
      ...failure,
      ...retryDetail(event),
    };
  }
  if ('Error' in event) {
    return { ...base, error: String(event.Error), cause: String((event as { Cause?: unknown }).Cause ?? '') };
  }
  return base;
}

/** "retry 2 after 10 s": the backoff the library applies (without jitter) before retry `attempt`. */
function retryDetail(event: EventLog): { detail?: string } {
  const retry = (event as { retry?: { retrier?: NonNullable<AslState['Retry']>[number]; attempt?: number } })
    .retry;
  if (event.type !== 'StateRetried' || !retry?.retrier || retry.attempt === undefined) return {};
  const { retrier, attempt } = retry;
  const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** Math.max(0, attempt - 1);
  const seconds = Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
  return { detail: `retry ${attempt} after ${seconds} s` };
}
