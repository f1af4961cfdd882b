/**
 * Step Functions in the home Region: the Monitor (EXPRESS) and Remediation (STANDARD) machines,
 * StartExecution with AWS's naming rules (a STANDARD name is unique: ExecutionAlreadyExists, unless
 * the same name and the same input arrive while that execution still runs, which returns the
 * running one as AWS does), StopExecution (the execution ends ABORTED; stopping one that already
 * ended changes nothing), GetExecutionHistory of a STANDARD execution (its events, newest first with
 * `reverseOrder`), and the record of every execution the world ran.
 * (API: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html)
 */
import type {
  GetExecutionHistoryCommandInput,
  GetExecutionHistoryCommandOutput,
  HistoryEvent as SfnHistoryEvent,
  StartExecutionCommandInput,
  StartExecutionCommandOutput,
  StopExecutionCommandInput,
  StopExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import type { HistoryEvent } from '../local-sfn.ts';
import { awsError } from './aws-errors.ts';

type Output<T> = Omit<T, '$metadata'>;

export type MachineId = 'monitor' | 'remediation';
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface MachineRecord {
  readonly id: MachineId;
  readonly arn: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  /** The ASL after substitution, top-level TimeoutSeconds removed (the world enforces it in simulated time). */
  readonly definition: string;
  readonly timeoutSeconds: number | undefined;
}

/** One execution, live while it runs. */
export interface ExecutionRecord {
  readonly machine: MachineId;
  readonly name: string;
  readonly arn: string;
  readonly input: string;
  readonly startDate: number;
  /** Who started it: `scheduler`, `start-remediation`, `harness`, ... */
  readonly startedBy: string;
  status: ExecutionStatus;
  stopDate?: number;
  output?: unknown;
  error?: string;
  cause?: string;
  history: readonly HistoryEvent[];
  path: readonly string[];
  /** The state whose task ran last (live progress). */
  currentState?: string;
  /** Resolves when the execution has ended (never rejects). */
  done: Promise<void>;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Ends a running execution ABORTED (bound by the world's executions). */
export type Stopper = (record: ExecutionRecord, error: string | undefined, cause: string | undefined) => void;

export class SfnModel {
  readonly machines = new Map<string, MachineRecord>();
  readonly executions: ExecutionRecord[] = [];
  private stopper: Stopper | undefined;

  constructor(
    /** Starts running a new execution record (the world binds it to the clock and the handlers). */
    private readonly launch: (
      machine: MachineRecord,
      name: string,
      input: string,
      startedBy: string,
    ) => ExecutionRecord,
  ) {}

  /** Binds StopExecution to the running executions. */
  bindStopper(stopper: Stopper): void {
    this.stopper = stopper;
  }

  private execution(arn: string | undefined): ExecutionRecord {
    const record = this.executions.find((e) => e.arn === arn);
    if (!record) throw awsError('sfn', 'ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return record;
  }

  /** StopExecution: a running execution ends ABORTED; one that already ended is left as it is. */
  stopExecution(input: StopExecutionCommandInput, now: number): Output<StopExecutionCommandOutput> {
    const record = this.execution(input.executionArn);
    if (input.error !== undefined && input.error.length > 256) {
      throw awsError(
        'sfn',
        'ValidationException',
        'error: Member must have length less than or equal to 256',
      );
    }
    if (record.status === 'RUNNING') {
      if (!this.stopper) throw new Error('StopExecution: the world bound no stopper');
      this.stopper(record, input.error, input.cause);
    }
    return { stopDate: new Date(record.stopDate ?? now) };
  }

  /**
   * GetExecutionHistory of a STANDARD execution: its events, ids from 1, `reverseOrder` newest first,
   * `maxResults` (default 100, at most 1000) with a `nextToken`. An EXPRESS execution has no history
   * here, as in AWS. The world records an execution's history when it ends, so a running one's
   * history is empty.
   */
  getExecutionHistory(input: GetExecutionHistoryCommandInput): Output<GetExecutionHistoryCommandOutput> {
    const record = this.execution(input.executionArn);
    const machine = this.machines.get(
      record.arn.replace(':execution:', ':stateMachine:').split(':').slice(0, 7).join(':'),
    );
    if (machine?.type === 'EXPRESS') {
      throw awsError('sfn', 'InvalidArn', `Invalid Arn: 'Resource type not valid in this context: express'`);
    }
    const max = input.maxResults ?? 100;
    if (!Number.isInteger(max) || max < 0 || max > 1000) {
      throw awsError('sfn', 'ValidationException', 'maxResults: Member must be between 0 and 1000');
    }
    const all: SfnHistoryEvent[] = record.history.map((event, index) => toSfnEvent(event, index + 1));
    if (input.reverseOrder) all.reverse();
    const offset = input.nextToken ? Number(input.nextToken) : 0;
    if (!Number.isInteger(offset) || offset < 0) {
      throw awsError('sfn', 'InvalidToken', `Invalid Token: '${input.nextToken}'`);
    }
    const size = max === 0 ? 100 : max;
    const events = all.slice(offset, offset + size);
    const next = offset + size < all.length ? String(offset + size) : undefined;
    return { events, ...(next ? { nextToken: next } : {}) };
  }

  addMachine(machine: MachineRecord): void {
    this.machines.set(machine.arn, machine);
  }

  machine(id: MachineId): MachineRecord {
    const found = [...this.machines.values()].find((m) => m.id === id);
    if (!found) throw new Error(`no ${id} state machine in this world`);
    return found;
  }

  /** StartExecution, as the API answers it. */
  startExecution(input: StartExecutionCommandInput, startedBy: string): Output<StartExecutionCommandOutput> {
    const machine = this.machines.get(input.stateMachineArn ?? '');
    if (!machine) {
      throw awsError(
        'sfn',
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${input.stateMachineArn}'`,
      );
    }
    const name = input.name ?? crypto.randomUUID();
    if (!NAME.test(name)) throw awsError('sfn', 'InvalidName', `Invalid Name: '${name}'`);
    const text = input.input ?? '{}';
    try {
      JSON.parse(text);
    } catch {
      throw awsError(
        'sfn',
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${text.slice(0, 100)}'`,
      );
    }
    if (Buffer.byteLength(text, 'utf8') > 262_144) {
      throw awsError('sfn', 'InvalidExecutionInput', 'Execution input exceeds the maximum size of 256 KB');
    }
    const existing = this.executions.find((e) => e.machine === machine.id && e.name === name);
    if (existing && machine.type === 'STANDARD') {
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn: existing.arn, startDate: new Date(existing.startDate) };
      }
      throw awsError('sfn', 'ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
    }
    const record = this.launch(machine, name, text, startedBy);
    this.executions.push(record);
    return { executionArn: record.arn, startDate: new Date(record.startDate) };
  }

  /** Executions of one machine, in start order. */
  of(machine: MachineId): ExecutionRecord[] {
    return this.executions.filter((e) => e.machine === machine);
  }
}

/** The local runner's event in the API's shape (a state's entry and exit carry its name). */
function toSfnEvent(event: HistoryEvent, id: number): SfnHistoryEvent {
  const base = { id, previousEventId: id - 1, timestamp: new Date(event.timestamp) };
  const type = event.stateType ? `${event.stateType}${event.type}` : event.type;
  if (event.type === 'StateEntered' && event.state) {
    return {
      ...base,
      type: type as SfnHistoryEvent['type'],
      stateEnteredEventDetails: { name: event.state },
    };
  }
  if (event.type === 'StateExited' && event.state) {
    return { ...base, type: type as SfnHistoryEvent['type'], stateExitedEventDetails: { name: event.state } };
  }
  return { ...base, type: type as SfnHistoryEvent['type'] };
}
