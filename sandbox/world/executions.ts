/**
 * Step Functions executions in the world: each runs the real ASL (local-sfn.ts) as a clock
 * activity with every task bound to the world's functions, its top-level TimeoutSeconds enforced in
 * simulated time; and the harness's own StartExecution of a Remediation (a person or a drill).
 */
import { remediationExecutionName, type Trigger } from '#shared/execution-name.ts';
import { LocalExecutionAbortedError, type LocalLambda, runLocalExecution } from '../local-sfn.ts';
import { WorldError } from './aws-errors.ts';
import { type CallerContext, callerContext } from './calls.ts';
import type { WorldContext } from './context.ts';
import type { Lambdas } from './lambdas.ts';
import { HOME_REGION } from './settings.ts';
import type { ExecutionRecord, MachineRecord } from './sfn.ts';

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

  constructor(
    private readonly world: WorldContext,
    private readonly lambdas: Lambdas,
  ) {}

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

  /** Aborts every running execution (they end ABORTED). */
  abortAll(reason: string): void {
    for (const controller of this.running.values()) controller.abort(new Error(reason));
  }
}
