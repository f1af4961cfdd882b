/**
 * Every AWS call the world served, and who made it. The caller is known through an
 * AsyncLocalStorage context set around each Lambda invocation (and around the harness's own calls),
 * so tests can count, say, the mutating calls of one remediation execution.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Service } from './aws-errors.ts';

/** Who is calling: a Lambda invocation (inside an execution or an EventBridge delivery), or the harness. */
export interface CallerContext {
  /** The function id (`gateway`, `ping-canary`, ...), or `harness` for the drill/test itself. */
  readonly functionId: string;
  /** The invoked function's ARN (the world's), which tells apart functions sharing an id (canaries). */
  readonly functionArn?: string;
  readonly invocationId: number;
  /** The Step Functions execution name the invocation belongs to, if any. */
  readonly executionName?: string;
  readonly machine?: 'monitor' | 'remediation';
  /** The state that invoked the function. */
  readonly state?: string;
  /** How it was invoked (`instance`: a managed gateway's boot program, with its instance role). */
  readonly via: 'sfn' | 'eventbridge' | 'harness' | 'instance';
  /** The link of a managed gateway instance (`via: 'instance'`). */
  readonly link?: string;
}

export const callerContext = new AsyncLocalStorage<CallerContext>();

export interface CallRecord {
  readonly seq: number;
  /** Simulated epoch ms. */
  readonly at: number;
  readonly service: Service;
  readonly region: string;
  /** Command name without the `Command` suffix, e.g. `AssociateAddress`. */
  readonly command: string;
  readonly input: unknown;
  /** A mutating command that changed (or would have changed) something: false for a dry run. */
  readonly mutating: boolean;
  /** The call asked for a dry run (`DryRun: true`, EC2). */
  readonly dryRun?: boolean;
  readonly caller: CallerContext | null;
  error?: { readonly name: string; readonly message: string };
}

/** Commands that change something (every modelled one that is not a read). */
export const MUTATING_COMMANDS: ReadonlySet<string> = new Set([
  'AssociateAddress',
  'DisassociateAddress',
  'ModifyInstanceAttribute',
  'ModifyNetworkInterfaceAttribute',
  'ReplaceRoute',
  'CreateRoute',
  'TerminateInstanceInAutoScalingGroup',
  'CompleteLifecycleAction',
  'PutParameter',
  'RecordLifecycleActionHeartbeat',
  'SendCommand',
  'PutMetricData',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Publish',
  'StartExecution',
  'StopExecution',
]);

/** Services whose mutations change the gateway itself (what a dry run must never touch). */
export const GATEWAY_SERVICES: ReadonlySet<Service> = new Set(['ec2', 'autoscaling', 'ssm']);

export class CallLog {
  private readonly records: CallRecord[] = [];

  record(entry: Omit<CallRecord, 'seq' | 'caller'>): CallRecord {
    const record: CallRecord = {
      ...entry,
      seq: this.records.length,
      caller: callerContext.getStore() ?? null,
    };
    this.records.push(record);
    return record;
  }

  /** All calls, in order. */
  all(): readonly CallRecord[] {
    return this.records;
  }

  /** Calls matching every given criterion. */
  filter(criteria: {
    service?: Service | readonly Service[];
    command?: string | readonly string[];
    mutating?: boolean;
    failed?: boolean;
    /** The AWS error name of failed calls. */
    error?: string;
    machine?: 'monitor' | 'remediation';
    executionName?: string;
    functionId?: string;
    /** Include the harness's own calls (a drill's StartExecution); default false. */
    includeHarness?: boolean;
  }): CallRecord[] {
    const services = criteria.service === undefined ? undefined : [criteria.service].flat();
    const commands = criteria.command === undefined ? undefined : [criteria.command].flat();
    return this.records.filter(
      (call) =>
        (criteria.includeHarness === true || call.caller?.via !== 'harness') &&
        (services === undefined || services.includes(call.service)) &&
        (commands === undefined || commands.includes(call.command)) &&
        (criteria.mutating === undefined || call.mutating === criteria.mutating) &&
        (criteria.failed === undefined || (call.error !== undefined) === criteria.failed) &&
        (criteria.error === undefined || call.error?.name === criteria.error) &&
        (criteria.machine === undefined || call.caller?.machine === criteria.machine) &&
        (criteria.executionName === undefined || call.caller?.executionName === criteria.executionName) &&
        (criteria.functionId === undefined || call.caller?.functionId === criteria.functionId),
    );
  }
}
