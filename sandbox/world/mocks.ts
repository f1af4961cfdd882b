/**
 * The seam between the product's real SDK v3 clients and the world: aws-sdk-client-mock stubs
 * every client's `send`. Each modelled command is bound with `.on(Command).callsFake(...)` and
 * reaches the world with the client's own Region (`await getClient().config.region()`); any other
 * command throws {@link UnmodelledCommandError}, never silently succeeds. Every call goes through
 * the client's own retry middleware first (sdk-retry.ts): one transient error costs what it costs
 * on AWS, each attempt reaching the world (and its record) on its own.
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
  RecordLifecycleActionHeartbeatCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeVpnConnectionsCommand,
  DisassociateAddressCommand,
  EC2Client,
  GetVpnTunnelReplacementStatusCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import {
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import type { Service } from './aws-errors.ts';
import { installRetryHooks, type RetryingClient, seededRandom, sendWithClientRetries } from './sdk-retry.ts';

/** What the world does with one call: the output, or a thrown AWS error. */
export type Dispatch = (
  service: Service,
  command: string,
  region: string,
  input: unknown,
) => Promise<unknown>;

// biome-ignore lint/suspicious/noExplicitAny: command classes of different shapes share one table
type CommandClass = new (input: any) => any;

const MODELLED: Record<
  Service,
  { client: new (config: object) => unknown; commands: [string, CommandClass][] }
> = {
  ec2: {
    client: EC2Client,
    commands: [
      ['DescribeVpnConnections', DescribeVpnConnectionsCommand],
      ['GetVpnTunnelReplacementStatus', GetVpnTunnelReplacementStatusCommand],
      ['DescribeInstances', DescribeInstancesCommand],
      ['DescribeNetworkInterfaces', DescribeNetworkInterfacesCommand],
      ['DescribeAddresses', DescribeAddressesCommand],
      ['DescribeRouteTables', DescribeRouteTablesCommand],
      ['ModifyInstanceAttribute', ModifyInstanceAttributeCommand],
      ['ModifyNetworkInterfaceAttribute', ModifyNetworkInterfaceAttributeCommand],
      ['AssociateAddress', AssociateAddressCommand],
      ['DisassociateAddress', DisassociateAddressCommand],
      ['ReplaceRoute', ReplaceRouteCommand],
      ['CreateRoute', CreateRouteCommand],
    ],
  },
  autoscaling: {
    client: AutoScalingClient,
    commands: [
      ['DescribeAutoScalingGroups', DescribeAutoScalingGroupsCommand],
      ['DescribeLifecycleHooks', DescribeLifecycleHooksCommand],
      ['DescribeInstanceRefreshes', DescribeInstanceRefreshesCommand],
      ['DescribeScalingActivities', DescribeScalingActivitiesCommand],
      ['TerminateInstanceInAutoScalingGroup', TerminateInstanceInAutoScalingGroupCommand],
      ['CompleteLifecycleAction', CompleteLifecycleActionCommand],
      ['RecordLifecycleActionHeartbeat', RecordLifecycleActionHeartbeatCommand],
    ],
  },
  cloudwatch: {
    client: CloudWatchClient,
    commands: [
      ['PutMetricData', PutMetricDataCommand],
      ['DescribeAlarms', DescribeAlarmsCommand],
    ],
  },
  dynamodb: {
    client: DynamoDBClient,
    commands: [
      ['GetItem', GetItemCommand],
      ['BatchGetItem', BatchGetItemCommand],
      ['PutItem', PutItemCommand],
      ['UpdateItem', UpdateItemCommand],
      ['DeleteItem', DeleteItemCommand],
    ],
  },
  sns: { client: SNSClient, commands: [['Publish', PublishCommand]] },
  sfn: {
    client: SFNClient,
    commands: [
      ['StartExecution', StartExecutionCommand],
      ['StopExecution', StopExecutionCommand],
      ['GetExecutionHistory', GetExecutionHistoryCommand],
    ],
  },
  ssm: {
    client: SSMClient,
    commands: [
      ['DescribeInstanceInformation', DescribeInstanceInformationCommand],
      ['SendCommand', SendCommandCommand],
      ['GetCommandInvocation', GetCommandInvocationCommand],
    ],
  },
};

/** Every command the world serves, by service (for docs and tests). */
export const MODELLED_COMMANDS: Readonly<Record<Service, readonly string[]>> = Object.fromEntries(
  Object.entries(MODELLED).map(([service, { commands }]) => [service, commands.map(([name]) => name)]),
) as Record<Service, string[]>;

/** How the seam waits: the SDK's retry backoff in simulated time. */
export interface SeamOptions {
  /** Waits `ms` of simulated time (the world's clock). */
  readonly wait: (ms: number) => Promise<void>;
  /** Seed of the retry jitter (default 1): the same seed, the same backoffs. */
  readonly seed?: number;
}

/** Stubs every client class; returns the function that restores the real `send`. */
export function installClientMocks(dispatch: Dispatch, seam: SeamOptions): () => void {
  // biome-ignore lint/suspicious/noExplicitAny: one stub per client class of different types
  const stubs: AwsStub<any, any, any>[] = [];
  const restoreHooks = installRetryHooks();
  const retry = { wait: seam.wait, random: seededRandom(seam.seed ?? 1) };
  /** One call as the SDK makes it: the client's retry middleware around each attempt. */
  const send = (
    client: RetryingClient & { config: { region: () => Promise<string> } },
    service: Service,
    name: string,
    input: unknown,
    abortSignal: AbortSignal | undefined,
  ): Promise<unknown> =>
    sendWithClientRetries(
      client,
      input,
      async () => dispatch(service, name, await client.config.region(), input),
      retry,
      abortSignal,
    );
  for (const [service, { client, commands }] of Object.entries(MODELLED) as [
    Service,
    (typeof MODELLED)[Service],
  ][]) {
    // biome-ignore lint/suspicious/noExplicitAny: mockClient accepts any client class
    const stub = mockClient(client as any);
    // Unmodelled commands: the stub's default behaviour, which sees the command itself (and, as
    // `this`, the client); the world records the call and fails it loudly.
    stub.send.callsFake(async function (
      this: unknown,
      command: { constructor: { name: string }; input?: unknown },
    ) {
      const name = command.constructor.name.replace(/Command$/, '');
      const region = await (this as { config?: { region?: () => Promise<string> } }).config
        ?.region?.()
        .catch(() => 'unknown');
      return dispatch(service, name, region ?? 'unknown', command.input) as Promise<never>;
    });
    // The options of the call being faked (`send(command, { abortSignal })`): the fake runs
    // synchronously inside `send`, so the stub's last call is this one.
    const signalOf = (): AbortSignal | undefined =>
      ((stub.send.lastCall?.args as unknown[] | undefined)?.[1] as { abortSignal?: AbortSignal } | undefined)
        ?.abortSignal;
    for (const [name, commandClass] of commands) {
      stub.on(commandClass).callsFake((input: unknown, getClient: () => unknown) => {
        const abortSignal = signalOf();
        return send(getClient() as Parameters<typeof send>[0], service, name, input, abortSignal);
      });
    }
    stubs.push(stub);
  }
  return () => {
    for (const stub of stubs) stub.restore();
    restoreHooks();
  };
}
