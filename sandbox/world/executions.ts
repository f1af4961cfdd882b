/**
 * Step Functions executions in the world: each runs the real ASL (local-sfn.ts) as a clock
 * activity with every task bound to the world's functions, its top-level TimeoutSeconds enforced in
 * simulated time (the execution ends TIMED_OUT), StopExecution ending it ABORTED; and the harness's
 * own StartExecution (or StopExecution) of a Remediation (a person or a drill).
 *
 * When a Remediation execution ends FAILED, TIMED_OUT or ABORTED, Step Functions emits
 * "Step Functions Execution Status Change" (source `aws.states`; detail `executionArn`,
 * `stateMachineArn`, `name`, `status`, `startDate`, `stopDate`, `input`, `output`, `error`, `cause`:
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html) and the stack's
 * remediation-watch rule delivers it to notify as a Lambda asynchronous invocation
 * (async-delivery.ts: Lambda's retries, then notify's on-failure destination).
 */
import { localFunctionArn } from '#infra/asl.ts';
import { remediationExecutionName, type Trigger } from '#shared/execution-name.ts';
import { LocalExecutionAbortedError, type LocalLambda, runLocalExecution } from '../local-sfn.ts';
import type { RuleDelivery } from './async-delivery.ts';
import { WorldError } from './aws-errors.ts';
import { type CallerContext, callerContext } from './calls.ts';
import type { WorldContext } from './context.ts';
import type { Lambdas } from './lambdas.ts';
import { ACCOUNT, HOME_REGION } from './settings.ts';
import type { ExecutionRecord, MachineRecord } from './sfn.ts';

/** The statuses the stack's remediation-watch rule matches. */
const WATCHED = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** A Remediation started by hand (see `World.startRemediation`). */
export interface RemediationRequest {
  link?: string;
  trigger?: Trigger;
  dryRun?: boolean;
  reason?: string;
  /** A raw execution input, sent as is (bad-input drills). */
  input?: unknown;
  /** The execution name (default: the contract's `<link>-<trigger>-<UTC>`). */
  name?: string;
}

export class Executions {
  private readonly running = new Map<ExecutionRecord, AbortController>();
  /** StopExecution's error and cause, per stopped execution. */
  private readonly stops = new Map<ExecutionRecord, { error?: string; cause?: string }>();
  private disposing = false;

  constructor(
    private readonly world: WorldContext,
    private readonly lambdas: Lambdas,
    private readonly delivery: RuleDelivery,
  ) {
    world.sfn.bindStopper((record, error, cause) => this.stop(record, error, cause));
  }

  /** StopExecution of a running execution: it ends ABORTED with the given error and cause. */
  private stop(record: ExecutionRecord, error: string | undefined, cause: string | undefined): void {
    const controller = this.running.get(record);
    if (!controller) return;
    this.stops.set(record, {
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
    controller.abort(new Error(`StopExecution${error ? `: ${error}` : ''}`));
  }

  /** Starts running a new execution of `machine` (the SfnModel's launch hook); returns its live record. */
  launch(machine: MachineRecord, name: string, input: string, startedBy: string): ExecutionRecord {
    const { clock } = this.world;
    const arn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const controller = new AbortController();
    const record: ExecutionRecord = {
      machine: machine.id,
      name,
      arn,
      input,
      startDate: clock.now(),
      startedBy,
      status: 'RUNNING',
      history: [],
      path: [],
      done: Promise.resolve(),
    };
    this.running.set(record, controller);
    if (machine.id === 'remediation')
      this.world.emit('execution', `remediation ${name} started by ${startedBy}`);
    let timedOut = false;
    const timer =
      machine.timeoutSeconds === undefined
        ? undefined
        : this.world.after(machine.timeoutSeconds, `${name} times out`, () => {
            timedOut = true;
            controller.abort(new Error('States.Timeout'));
          });
    record.done = clock
      .spawn(`${machine.id} ${name}`, async (activity) => {
        try {
          const result = await runLocalExecution({
            definition: machine.definition,
            functions: this.functionsFor(record),
            input: JSON.parse(input),
            executionName: name,
            stateMachineArn: machine.arn,
            now: () => new Date(clock.now()),
            sleep: (seconds) => activity.sleep(seconds, controller.signal),
            signal: controller.signal,
          });
          record.status = result.status;
          record.history = result.history;
          record.path = result.path;
          if (result.status === 'SUCCEEDED') record.output = result.output;
          else {
            record.error = result.error;
            record.cause = result.cause;
          }
        } catch (error) {
          if (error instanceof LocalExecutionAbortedError) {
            record.status = timedOut ? 'TIMED_OUT' : 'ABORTED';
            record.history = error.history;
            record.path = error.path;
            if (timedOut) {
              record.error = 'States.Timeout';
              record.cause = `the execution ran past its TimeoutSeconds (${machine.timeoutSeconds} s)`;
            } else {
              const stopped = this.stops.get(record);
              if (stopped?.error !== undefined) record.error = stopped.error;
              if (stopped?.cause !== undefined) record.cause = stopped.cause;
            }
          } else {
            record.status = 'FAILED';
            record.error = 'Sandbox.RunnerError';
            record.cause = error instanceof Error ? error.message : String(error);
            this.world.fail(error);
          }
        } finally {
          timer?.cancel();
          record.stopDate = clock.now();
          this.running.delete(record);
          this.reportEnd(machine, record);
        }
      })
      .catch((error) => this.world.fail(error));
    return record;
  }

  /** The `execution` event of an ended execution: every Remediation's, a Monitor's only if it did not succeed. */
  private reportEnd(machine: MachineRecord, record: ExecutionRecord): void {
    if (machine.id === 'remediation' && WATCHED.has(record.status) && !this.disposing) {
      this.deliverStatusChange(machine, record);
    }
    if (machine.id === 'remediation') {
      const outcome = (record.output as { outcome?: string } | undefined)?.outcome;
      this.world.emit(
        'execution',
        `remediation ${record.name} ${record.status}${outcome ? ` (${outcome})` : record.error ? ` (${record.error})` : ''}`,
      );
    } else if (record.status !== 'SUCCEEDED') {
      this.world.emit('execution', `monitor ${record.name} ${record.status}: ${record.error ?? ''}`);
    }
  }

  /**
   * The remediation-watch rule: the status change event to notify, an asynchronous invocation
   * (async-delivery.ts: Lambda's retries, then the function's on-failure destination).
   */
  private deliverStatusChange(machine: MachineRecord, record: ExecutionRecord): void {
    const link = (() => {
      try {
        const value = JSON.parse(record.input) as { link?: unknown };
        return typeof value.link === 'string' ? value.link : undefined;
      } catch {
        return undefined;
      }
    })();
    this.delivery.deliver(
      localFunctionArn('notify', HOME_REGION, ACCOUNT),
      statusChangeEvent(machine, record),
      {
        what: `the status change "${record.name} ${record.status}"`,
        ...(link ? { link } : {}),
        executionName: record.name,
      },
    );
  }

  /** Every function, bound to this execution (the caller of its AWS calls, its live state). */
  private functionsFor(record: ExecutionRecord): Record<string, LocalLambda> {
    const functions: Record<string, LocalLambda> = {};
    for (const arn of this.lambdas.arns()) {
      functions[arn] = (event, context, invocation) => {
        if (invocation?.state) {
          record.currentState = invocation.state;
          if (record.machine === 'remediation')
            this.world.emit('state', `${record.name}: ${invocation.state}`);
        }
        return this.lambdas.invoke(arn, event, context, {
          executionName: record.name,
          machine: record.machine,
          via: 'sfn',
          ...(invocation?.state ? { state: invocation.state } : {}),
        });
      };
    }
    return functions;
  }

  /** Starts a Remediation execution as a person or a drill would (StartExecution through the SDK model). */
  startRemediation(request: RemediationRequest): ExecutionRecord {
    const { calls, clock, sfn } = this.world;
    const trigger = request.trigger ?? 'drill';
    const input =
      request.input !== undefined
        ? request.input
        : {
            link: request.link,
            trigger,
            dryRun: request.dryRun ?? false,
            ...(request.reason ? { reason: request.reason } : {}),
          };
    const name =
      request.name ??
      remediationExecutionName(
        (request.link ?? 'unknown').replace(/[^a-z0-9-]/g, '') || 'unknown',
        trigger,
        new Date(clock.now()),
      );
    const caller: CallerContext = {
      functionId: 'harness',
      invocationId: this.lambdas.nextInvocationId(),
      via: 'harness',
    };
    const output = callerContext.run(caller, () => {
      const params = { stateMachineArn: sfn.machine('remediation').arn, name, input: JSON.stringify(input) };
      const call = calls.record({
        at: clock.now(),
        service: 'sfn',
        region: HOME_REGION,
        command: 'StartExecution',
        input: { ...params },
        mutating: true,
      });
      try {
        return sfn.startExecution(params, 'harness');
      } catch (error) {
        call.error = { name: (error as Error).name, message: (error as Error).message };
        throw error;
      }
    });
    const record = sfn.executions.find((e) => e.arn === output.executionArn);
    if (!record)
      throw new WorldError(`StartExecution returned ${output.executionArn}, which the world does not know`);
    this.world.emit(
      'trigger',
      `${trigger}${request.dryRun ? ' (dry run)' : ''} started ${record.name}`,
      request.link,
    );
    return record;
  }

  /** Aborts every running execution (they end ABORTED) as the world is disposed: no events follow. */
  abortAll(reason: string): void {
    this.disposing = true;
    for (const controller of this.running.values()) controller.abort(new Error(reason));
  }
}

/** The "Step Functions Execution Status Change" event of an ended execution, as EventBridge carries it. */
export function statusChangeEvent(machine: MachineRecord, record: ExecutionRecord): unknown {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT,
    time: new Date(record.stopDate ?? record.startDate).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: HOME_REGION,
    resources: [record.arn],
    detail: {
      executionArn: record.arn,
      stateMachineArn: machine.arn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      stopDate: record.stopDate ?? null,
      input: record.input,
      output: null,
      inputDetails: { included: true },
      outputDetails: null,
      error: record.error ?? null,
      cause: record.cause ?? null,
    },
  };
}
