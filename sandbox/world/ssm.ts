/**
 * Systems Manager in the home Region, as much as the restart-IPsec rung uses: which instances are
 * managed (DescribeInstanceInformation), Run Command with `AWS-RunShellScript` (SendCommand), and
 * each invocation's progress (GetCommandInvocation).
 *
 * - Every gateway instance runs the SSM Agent with an instance profile that allows it (the
 *   `ssm-unmanaged` fault takes one out): it is listed `Online` while running, `ConnectionLost`
 *   while stopping or stopped, and not at all while pending (the agent has not registered yet) or
 *   once terminated (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_InstanceInformation.html, PingStatus).
 * - SendCommand accepts an instance that is managed and pending, running, stopping or stopped; any
 *   other (unmanaged, shutting-down, terminated, unknown) fails the whole call with
 *   `InvalidInstanceId` ("The instance isn't in a valid state. Valid states are: Running, Pending,
 *   Stopped, and Stopping. Invalid states are: Shutting-down and Terminated"; "SSM Agent isn't
 *   registered with the SSM endpoint", https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html, Errors).
 * - An invocation is `Pending` until the agent picks it up (`deliverySeconds`, 1 s), then
 *   `InProgress`, then `Success` or `Failed` (https://docs.aws.amazon.com/systems-manager/latest/userguide/monitor-commands.html).
 *   An instance that is not running when the command is due is not reached: the invocation stays
 *   Pending until the delivery timeout (`TimeoutSeconds`, default 3600) and ends `TimedOut` /
 *   `DeliveryTimedOut`; one that is terminated first ends `Failed` / `Undeliverable`.
 * - The script: when one of its lines is the link's `gateway.restartCommand`, Libreswan restarts. It
 *   is back `ipsecStartSeconds` later and the invocation succeeds, unless it died for good (the
 *   `ipsec-dies` fault with `restartable: false`): then it stays dead and the invocation fails with
 *   exit code 1. Any other script succeeds with no effect on the model.
 *
 * GetCommandInvocation right after SendCommand may answer InvocationDoesNotExist in AWS (the API
 * reference says to retry); the sandbox makes the invocation visible at once.
 */
import type {
  DescribeInstanceInformationCommandInput,
  DescribeInstanceInformationCommandOutput,
  GetCommandInvocationCommandInput,
  GetCommandInvocationCommandOutput,
  InstanceInformation,
  SendCommandCommandInput,
  SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import type { TimerHandle } from '../clock.ts';
import { awsError, UnmodelledCommandError } from './aws-errors.ts';
import type { Ec2Model, InstanceRecord } from './ec2.ts';

type Output<T> = Omit<T, '$metadata'>;

type InvocationStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut';

interface InvocationRecord {
  readonly instanceId: string;
  status: InvocationStatus;
  statusDetails: string;
  responseCode: number;
  startedAt?: number;
  endedAt?: number;
  stdout: string;
  stderr: string;
  timer?: TimerHandle;
}

interface CommandRecord {
  readonly commandId: string;
  readonly requestedAt: number;
  readonly comment: string;
  readonly commands: readonly string[];
  readonly timeoutSeconds: number;
  readonly invocations: Map<string, InvocationRecord>;
}

export interface SsmScheduler {
  after(seconds: number, label: string, fire: () => void): TimerHandle;
  changed(): void;
  now(): number;
}

/** The agent picks a command up this long after SendCommand. */
const DELIVERY_SECONDS = 1;
const DOCUMENT = 'AWS-RunShellScript';

export class SsmModel {
  /** Instances without a working SSM Agent (the `ssm-unmanaged` fault). */
  readonly unmanaged = new Set<string>();
  /** Auto Scaling groups whose instances never run the agent (`ssm-unmanaged` with scope group). */
  readonly unmanagedGroups = new Set<string>();
  readonly commands = new Map<string, CommandRecord>();

  constructor(
    private readonly ec2: Ec2Model,
    private readonly scheduler: SsmScheduler,
    private readonly ipsecStartSeconds: number,
    readonly account: string,
    /** The restart commands configured for an instance's link (none when it serves no link). */
    private readonly restartCommandsOf: (instance: InstanceRecord) => readonly string[],
  ) {}

  /** The instance's PingStatus, or undefined when SSM does not list it. */
  pingStatus(instance: InstanceRecord): 'Online' | 'ConnectionLost' | undefined {
    if (!this.managed(instance)) return undefined;
    switch (instance.state) {
      case 'running':
        return 'Online';
      case 'stopping':
      case 'stopped':
        return 'ConnectionLost';
      default:
        return undefined;
    }
  }

  /** Whether the instance runs a registered SSM Agent. */
  managed(instance: InstanceRecord): boolean {
    const group = instance.tags['aws:autoscaling:groupName'];
    return !this.unmanaged.has(instance.instanceId) && !(group && this.unmanagedGroups.has(group));
  }

  describeInstanceInformation(
    region: string,
    input: DescribeInstanceInformationCommandInput,
  ): Output<DescribeInstanceInformationCommandOutput> {
    if (input.MaxResults !== undefined && (input.MaxResults < 5 || input.MaxResults > 50)) {
      throw awsError(
        'ssm',
        'ValidationException',
        `1 validation error detected: Value '${input.MaxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 5 and 50`,
      );
    }
    let instances = [...this.ec2.instances.values()].filter(
      (i) => i.region === region && this.pingStatus(i) !== undefined,
    );
    const filters: { key: string; values: readonly string[] }[] = [
      ...(input.InstanceInformationFilterList ?? []).map((f) => ({
        key: f.key ?? '',
        values: f.valueSet ?? [],
      })),
      ...(input.Filters ?? []).map((f) => ({ key: f.Key ?? '', values: f.Values ?? [] })),
    ];
    for (const { key, values } of filters) {
      if (values.length === 0) {
        throw awsError('ssm', 'InvalidInstanceInformationFilterValue', `The filter ${key} has no values`);
      }
      switch (key) {
        case 'InstanceIds':
          instances = instances.filter((i) => values.includes(i.instanceId));
          break;
        case 'PingStatus':
          instances = instances.filter((i) => values.includes(this.pingStatus(i) ?? ''));
          break;
        default:
          throw new UnmodelledCommandError(
            `the sandbox's DescribeInstanceInformation does not model the filter ${key}`,
          );
      }
    }
    return {
      InstanceInformationList: instances.map(
        (i): InstanceInformation => ({
          InstanceId: i.instanceId,
          PingStatus: this.pingStatus(i),
          LastPingDateTime: new Date(this.scheduler.now()),
          AgentVersion: '3.3.1142.0',
          IsLatestVersion: true,
          PlatformType: 'Linux',
          PlatformName: 'Debian GNU/Linux',
          PlatformVersion: '12',
          ResourceType: 'EC2Instance',
          IPAddress: i.privateIp,
          ComputerName: `ip-${i.privateIp.replaceAll('.', '-')}.ec2.internal`,
          AssociationStatus: 'Success',
        }),
      ),
    };
  }

  sendCommand(region: string, input: SendCommandCommandInput): Output<SendCommandCommandOutput> {
    if (input.DocumentName !== DOCUMENT) {
      throw new UnmodelledCommandError(
        `the sandbox's SendCommand models the ${DOCUMENT} document only, not ${input.DocumentName}`,
      );
    }
    if (input.Targets !== undefined) {
      throw new UnmodelledCommandError("the sandbox's SendCommand models InstanceIds, not Targets");
    }
    const instanceIds = input.InstanceIds ?? [];
    if (instanceIds.length === 0) {
      throw awsError('ssm', 'InvalidParameters', 'InstanceIds or Targets must be specified.');
    }
    const commands = input.Parameters?.commands ?? [];
    if (commands.length === 0 || commands.every((c) => c.trim() === '')) {
      throw awsError('ssm', 'InvalidParameters', 'Parameter "commands" is required.');
    }
    const timeoutSeconds = input.TimeoutSeconds ?? 3600;
    if (timeoutSeconds < 30 || timeoutSeconds > 2_592_000) {
      throw awsError('ssm', 'InvalidParameters', 'TimeoutSeconds must be between 30 and 2592000 seconds.');
    }
    const invalid = instanceIds.filter((id) => {
      const instance = this.ec2.instances.get(id);
      return (
        !instance ||
        instance.region !== region ||
        !this.managed(instance) ||
        !['pending', 'running', 'stopping', 'stopped'].includes(instance.state)
      );
    });
    if (invalid.length > 0) {
      // The message AWS returns for this error.
      throw awsError(
        'ssm',
        'InvalidInstanceId',
        `Instances [[${invalid.join(', ')}]] not in a valid state for account ${this.account}`,
      );
    }
    const now = this.scheduler.now();
    const command: CommandRecord = {
      commandId: crypto.randomUUID(),
      requestedAt: now,
      comment: input.Comment ?? '',
      commands: [...commands],
      timeoutSeconds,
      invocations: new Map(),
    };
    this.commands.set(command.commandId, command);
    for (const instanceId of instanceIds) {
      const invocation: InvocationRecord = {
        instanceId,
        status: 'Pending',
        statusDetails: 'Pending',
        responseCode: -1,
        stdout: '',
        stderr: '',
      };
      command.invocations.set(instanceId, invocation);
      invocation.timer = this.scheduler.after(
        DELIVERY_SECONDS,
        `SSM delivers ${command.commandId} to ${instanceId}`,
        () => this.deliver(command, invocation),
      );
    }
    return {
      Command: {
        CommandId: command.commandId,
        DocumentName: DOCUMENT,
        DocumentVersion: '$DEFAULT',
        Comment: command.comment,
        ExpiresAfter: new Date(now + (timeoutSeconds + 3600) * 1000),
        Parameters: { commands: [...commands] },
        InstanceIds: [...instanceIds],
        Targets: [],
        RequestedDateTime: new Date(now),
        Status: 'Pending',
        StatusDetails: 'Pending',
        MaxConcurrency: '50',
        MaxErrors: '0',
        TargetCount: instanceIds.length,
        CompletedCount: 0,
        ErrorCount: 0,
        DeliveryTimedOutCount: 0,
        TimeoutSeconds: timeoutSeconds,
        CloudWatchOutputConfig: { CloudWatchOutputEnabled: false },
      },
    };
  }

  /** The agent picks the command up: it runs now, or waits for the instance to come back. */
  private deliver(command: CommandRecord, invocation: InvocationRecord): void {
    const instance = this.ec2.instances.get(invocation.instanceId);
    if (!instance || instance.state === 'terminated' || instance.state === 'shutting-down') {
      this.finish(invocation, 'Failed', 'Undeliverable', -1, '', '');
      return;
    }
    if (instance.state !== 'running' || !this.managed(instance)) {
      const deadline = command.requestedAt + command.timeoutSeconds * 1000;
      if (this.scheduler.now() >= deadline) {
        this.finish(invocation, 'TimedOut', 'DeliveryTimedOut', -1, '', '');
        return;
      }
      invocation.timer = this.scheduler.after(
        10,
        `SSM retries ${command.commandId} on ${instance.instanceId}`,
        () => this.deliver(command, invocation),
      );
      return;
    }
    invocation.status = 'InProgress';
    invocation.statusDetails = 'InProgress';
    invocation.startedAt = this.scheduler.now();
    const lines = command.commands.flatMap((c) => c.split('\n')).map((line) => line.trim());
    const restart = this.restartCommandsOf(instance).some(
      (wanted) => lines.includes(wanted.trim()) || command.commands.join('\n').trim() === wanted.trim(),
    );
    if (!restart) {
      invocation.timer = this.scheduler.after(
        1,
        `script ${command.commandId} ends on ${instance.instanceId}`,
        () => this.finish(invocation, 'Success', 'Success', 0, '', ''),
      );
      return;
    }
    const before = instance.ipsec;
    const comesBack = before !== 'dead' || instance.ipsecRestartable;
    if (comesBack && before !== 'never') {
      instance.ipsec = 'starting';
      this.scheduler.changed();
    }
    invocation.timer = this.scheduler.after(
      this.ipsecStartSeconds,
      `IPsec restart on ${instance.instanceId} ends`,
      () => {
        if (instance.state !== 'running') {
          this.finish(invocation, 'Failed', 'Failed', -1, '', 'the instance stopped while the command ran');
          return;
        }
        if (!comesBack) {
          this.finish(
            invocation,
            'Failed',
            'Failed',
            1,
            '',
            'Job for ipsec.service failed because the control process exited with error code.\nfailed to run commands: exit status 1',
          );
          return;
        }
        if (instance.ipsec === 'starting') instance.ipsec = 'up';
        this.scheduler.changed();
        this.finish(invocation, 'Success', 'Success', 0, '', '');
      },
    );
  }

  private finish(
    invocation: InvocationRecord,
    status: InvocationStatus,
    details: string,
    code: number,
    stdout: string,
    stderr: string,
  ): void {
    invocation.status = status;
    invocation.statusDetails = details;
    invocation.responseCode = code;
    invocation.stdout = stdout;
    invocation.stderr = stderr;
    invocation.endedAt = this.scheduler.now();
    delete invocation.timer;
  }

  getCommandInvocation(
    _region: string,
    input: GetCommandInvocationCommandInput,
  ): Output<GetCommandInvocationCommandOutput> {
    if (input.PluginName !== undefined && input.PluginName !== 'aws:runShellScript') {
      throw awsError('ssm', 'InvalidPluginName', 'The plugin name is not valid.');
    }
    const command = this.commands.get(input.CommandId ?? '');
    const invocation = command?.invocations.get(input.InstanceId ?? '');
    if (!command || !invocation) {
      throw awsError(
        'ssm',
        'InvocationDoesNotExist',
        "The command ID and instance ID you specified didn't match any invocations. Verify the command ID and the instance ID and try again.",
      );
    }
    const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
    const elapsed =
      invocation.startedAt === undefined
        ? ''
        : `PT${(((invocation.endedAt ?? this.scheduler.now()) - invocation.startedAt) / 1000).toFixed(3)}S`;
    return {
      CommandId: command.commandId,
      InstanceId: invocation.instanceId,
      Comment: command.comment,
      DocumentName: DOCUMENT,
      DocumentVersion: '$DEFAULT',
      PluginName: 'aws:runShellScript',
      ResponseCode: invocation.responseCode,
      ExecutionStartDateTime: iso(invocation.startedAt),
      ExecutionElapsedTime: elapsed,
      ExecutionEndDateTime: iso(invocation.endedAt),
      Status: invocation.status,
      StatusDetails: invocation.statusDetails,
      StandardOutputContent: invocation.stdout,
      StandardOutputUrl: '',
      StandardErrorContent: invocation.stderr,
      StandardErrorUrl: '',
      CloudWatchOutputConfig: { CloudWatchOutputEnabled: false },
    };
  }
}
