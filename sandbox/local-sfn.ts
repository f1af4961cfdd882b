/**
 * Runs a real ASL definition in-process with aws-local-stepfunctions, every `lambda:invoke` Task
 * bound to the real handler by its `FunctionName`. Wait states and Retry intervals do not sleep:
 * they call `onSimulatedDelay` so the caller's simulated clock moves instead.
 */
import type { Context } from 'aws-lambda';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';

type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type RunOverrides = RunOptions['overrides'];
type JsonValue = Parameters<StateMachine['run']>[0];
type EventLog = NonNullable<
  Awaited<ReturnType<ReturnType<StateMachine['run']>['eventLogs']['next']>>['value']
>;

/** A Lambda handler as our functions export it. */
export type LocalLambda = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalRunOptions {
  /** The ASL after substitution. */
  readonly definition: string;
  /** Handlers by function ARN (the substituted `FunctionName` values). */
  readonly functions: Readonly<Record<string, LocalLambda>>;
  readonly input: unknown;
  readonly executionName: string;
  readonly stateMachineArn: string;
  /** Called instead of sleeping: a Wait state's Seconds, or a retry's backoff interval. */
  readonly onSimulatedDelay?: (seconds: number, reason: { state: string; kind: 'wait' | 'retry' }) => void;
  /** The clock used for the context object's StartTime. */
  readonly now?: () => Date;
}

export interface HistoryEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly parent?: string;
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
  Retry?: { ErrorEquals: string[]; IntervalSeconds?: number; BackoffRate?: number; MaxDelaySeconds?: number }[];
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

type Retrier = NonNullable<AslState['Retry']>[number];

/** The first retrier of a state that matches an error name, as Step Functions picks it. */
function matchingRetrier(state: AslState, errorName: string): Retrier | undefined {
  return state.Retry?.find((retrier) =>
    retrier.ErrorEquals.some((name) => name === errorName || name === 'States.ALL' || name === 'States.TaskFailed'),
  );
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

  // Consecutive failures of a Task and the last error's name: a re-invocation after a failure is a
  // retry, so the simulated clock moves by the matching retrier's backoff instead of sleeping.
  const failuresByState = new Map<string, { count: number; error: string }>();
  const taskResourceLocalHandlers: Record<string, (input: { FunctionName?: string; Payload?: unknown }) => Promise<unknown>> =
    {};
  for (const [name, state] of states) {
    if (state.Type !== 'Task') continue;
    taskResourceLocalHandlers[name] = async (input) => {
      const arn = input?.FunctionName;
      const fn = arn ? options.functions[arn] : undefined;
      if (!fn || !arn) {
        throw new Error(`local runner: state ${name} invokes ${String(arn)}, which has no local handler`);
      }
      const failed = failuresByState.get(name);
      const retrier = failed ? matchingRetrier(state, failed.error) : undefined;
      if (failed && retrier && options.onSimulatedDelay) {
        const base = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** (failed.count - 1);
        options.onSimulatedDelay(Math.min(base, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY), {
          state: name,
          kind: 'retry',
        });
      }
      try {
        // A real invocation serialises the payload: the handler never shares objects with the runner.
        const payload = await fn(structuredClone(input.Payload ?? {}), localLambdaContext(arn));
        failuresByState.delete(name);
        return { Payload: payload === undefined ? null : JSON.parse(JSON.stringify(payload)) };
      } catch (error) {
        const errorName = error instanceof Error ? error.name : 'Error';
        failuresByState.set(name, { count: (failed?.count ?? 0) + 1, error: errorName });
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
      options.onSimulatedDelay?.(seconds, { state: stateName, kind: 'wait' });
      return 0;
    },
  });
  const retryIntervalOverrides = Object.fromEntries(states.filter(([, s]) => s.Retry).map(([n]) => [n, 0]));

  const stateMachine = new StateMachine(JSON.parse(options.definition), {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const execution = stateMachine.run(options.input as JsonValue, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides } as unknown as RunOverrides,
    context: {
      Execution: {
        Id: executionArn,
        Name: options.executionName,
        Input: options.input as JsonValue,
        StartTime: now().toISOString(),
        RoleArn: 'arn:aws:iam::111111111111:role/local',
      },
      StateMachine: { Id: options.stateMachineArn, Name: options.stateMachineArn.split(':').at(-1) },
    },
  });

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
  }
}

function toHistoryEvent(event: EventLog): HistoryEvent {
  const base = { type: event.type, timestamp: event.timestamp };
  if ('state' in event && event.state) {
    const parent = 'parentState' in event && event.parentState ? event.parentState.name : undefined;
    const failure =
      'Error' in event ? { error: String(event.Error), cause: String((event as { Cause?: unknown }).Cause ?? '') } : {};
    return { ...base, state: event.state.name, ...(parent ? { parent } : {}), ...failure };
  }
  if ('Error' in event) {
    return { ...base, error: String(event.Error), cause: String((event as { Cause?: unknown }).Cause ?? '') };
  }
  return base;
}
