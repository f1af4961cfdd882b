/**
 * Step Functions in the home Region: the Monitor (EXPRESS) and Remediation (STANDARD) machines,
 * StartExecution with AWS's naming rules (a STANDARD name is unique: ExecutionAlreadyExists, unless
 * the same name and the same input arrive while that execution still runs, which returns the
 * running one as AWS does), and the record of every execution the world ran.
 */
import type { StartExecutionCommandInput, StartExecutionCommandOutput } from '@aws-sdk/client-sfn';
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

export class SfnModel {
  readonly machines = new Map<string, MachineRecord>();
  readonly executions: ExecutionRecord[] = [];

  constructor(
    /** Starts running a new execution record (the world binds it to the clock and the handlers). */
    private readonly launch: (
      machine: MachineRecord,
      name: string,
      input: string,
      startedBy: string,
    ) => ExecutionRecord,
  ) {}

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
