/**
 * Thin typed SDK calls for the gateway (home Region): each takes its client and `{ signal }` and
 * returns our domain types. Read failures are GatewayStateError, write failures GatewayUpdateError,
 * throttling AwsThrottledError (the ASL retries it).
 */
import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeVpnConnectionsCommand,
  type EC2Client,
  GetVpnTunnelReplacementStatusCommand,
  type Instance,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
  type Route,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import {
  AwsThrottledError,
  AwsTransientError,
  describeError,
  GatewayStateError,
  GatewayUpdateError,
  isThrottling,
  isTransient,
  type VpnGuardError,
} from '#shared/errors.ts';
import type {
  CurrentRoute,
  CurrentRouteTable,
  ElasticIpView,
  GroupView,
  InstanceView,
  LaunchHook,
  TunnelMaintenance,
} from './types.ts';

type Options = { signal: AbortSignal };

/** Throttling and 5xx become the retryable errors the ASL retries; anything else `make`. */
function rethrowTyped(
  error: unknown,
  make: (message: string, options: { cause: unknown }) => VpnGuardError,
  context: string,
): never {
  const { name, message } = describeError(error);
  const text = `${context}: ${name}: ${message}`;
  if (isThrottling(error)) throw new AwsThrottledError(text, { cause: error });
  if (isTransient(error)) throw new AwsTransientError(text, { cause: error });
  throw make(text, { cause: error });
}
const readFailed = (context: string) => (error: unknown) =>
  rethrowTyped(error, (message, options) => new GatewayStateError(message, options), context);
const writeFailed = (context: string) => (error: unknown) =>
  rethrowTyped(error, (message, options) => new GatewayUpdateError(message, options), context);

/** The gateway's Auto Scaling group. */
export async function describeGroup(
  client: AutoScalingClient,
  name: string,
  { signal }: Options,
): Promise<GroupView> {
  const output = await client
    .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }), { abortSignal: signal })
    .catch(readFailed(`DescribeAutoScalingGroups ${name}`));
  const group = output.AutoScalingGroups?.find((candidate) => candidate.AutoScalingGroupName === name);
  if (!group) {
    throw new GatewayStateError(
      `Auto Scaling group ${name} does not exist (check gateway.autoScalingGroupName)`,
    );
  }
  return {
    autoScalingGroupName: name,
    desiredCapacity: group.DesiredCapacity ?? null,
    suspendedProcesses: (group.SuspendedProcesses ?? []).flatMap((p) =>
      p.ProcessName ? [p.ProcessName] : [],
    ),
    instances: (group.Instances ?? []).flatMap((instance) =>
      instance.InstanceId
        ? [
            {
              instanceId: instance.InstanceId,
              lifecycleState: instance.LifecycleState ?? 'unknown',
              healthStatus: instance.HealthStatus ?? 'unknown',
            },
          ]
        : [],
    ),
  };
}

function toInstance(instance: Instance): (InstanceView & { groupTag: string | null }) | null {
  if (!instance.InstanceId) return null;
  return {
    instanceId: instance.InstanceId,
    state: instance.State?.Name ?? null,
    launchTime: instance.LaunchTime ? new Date(instance.LaunchTime).toISOString() : null,
    groupTag: instance.Tags?.find((tag) => tag.Key === 'aws:autoscaling:groupName')?.Value ?? null,
    networkInterfaces: (instance.NetworkInterfaces ?? []).flatMap((eni) =>
      eni.NetworkInterfaceId
        ? [
            {
              networkInterfaceId: eni.NetworkInterfaceId,
              deviceIndex: eni.Attachment?.DeviceIndex ?? null,
              sourceDestCheck: eni.SourceDestCheck ?? null,
              privateIpAddress: eni.PrivateIpAddress ?? null,
            },
          ]
        : [],
    ),
  };
}

/**
 * The instances EC2 still knows among `instanceIds` (one not found is simply absent: a terminated
 * instance leaves EC2's listing after about an hour).
 */
export async function describeInstances(
  client: EC2Client,
  instanceIds: readonly string[],
  { signal }: Options,
): Promise<(InstanceView & { groupTag: string | null })[]> {
  if (instanceIds.length === 0) return [];
  try {
    const output = await client.send(new DescribeInstancesCommand({ InstanceIds: [...instanceIds] }), {
      abortSignal: signal,
    });
    return (output.Reservations ?? []).flatMap((r) => r.Instances ?? []).flatMap((i) => toInstance(i) ?? []);
  } catch (error) {
    if (error instanceof Error && error.name === 'InvalidInstanceID.NotFound' && instanceIds.length > 1) {
      // One of them is gone: ask one by one so the others are still seen.
      const each = await Promise.all(instanceIds.map((id) => describeInstances(client, [id], { signal })));
      return each.flat();
    }
    if (error instanceof Error && error.name === 'InvalidInstanceID.NotFound') return [];
    return readFailed(`DescribeInstances ${instanceIds.join(', ')}`)(error);
  }
}

/** One instance; null when EC2 no longer knows it. */
export async function describeInstance(
  client: EC2Client,
  instanceId: string,
  options: Options,
): Promise<InstanceView | null> {
  const [instance] = await describeInstances(client, [instanceId], options);
  return instance ?? null;
}

/** The group's launch lifecycle hooks (they hold a new instance in Pending:Wait). */
export async function describeLaunchHooks(
  client: AutoScalingClient,
  group: string,
  { signal }: Options,
): Promise<LaunchHook[]> {
  const output = await client
    .send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: group }), { abortSignal: signal })
    .catch(readFailed(`DescribeLifecycleHooks ${group}`));
  return (output.LifecycleHooks ?? [])
    .filter((hook) => hook.LifecycleTransition === 'autoscaling:EC2_INSTANCE_LAUNCHING')
    .map((hook) => ({
      name: hook.LifecycleHookName ?? '?',
      // AWS's default heartbeat timeout is 3600 s.
      heartbeatTimeoutSeconds: hook.HeartbeatTimeout ?? 3600,
    }));
}

const ACTIVE_REFRESH = new Set(['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking']);
const DONE_ACTIVITY = new Set(['Successful', 'Failed', 'Cancelled']);

/**
 * Auto Scaling describes a termination activity as "Terminating EC2 instance: i-…"
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/replace-unhealthy-instance.html shows the
 * activity history; API_DescribeScalingActivities returns it newest first).
 */
const TERMINATING = /^Terminating EC2 instance: (i-[0-9a-f]+)/;

/**
 * A running instance refresh and a running scaling activity of the group, as text (null: none),
 * and the instance the group terminated last (among its 5 newest activities), so a report can say
 * which gateway the group's own replacement took over from.
 */
export async function describeGroupActivity(
  client: AutoScalingClient,
  group: string,
  { signal }: Options,
): Promise<{ refresh: string | null; activity: string | null; lastTerminatedInstanceId: string | null }> {
  const [refreshes, activities] = await Promise.all([
    client
      .send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: group, MaxRecords: 5 }), {
        abortSignal: signal,
      })
      .catch(readFailed(`DescribeInstanceRefreshes ${group}`)),
    client
      .send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: group, MaxRecords: 5 }), {
        abortSignal: signal,
      })
      .catch(readFailed(`DescribeScalingActivities ${group}`)),
  ]);
  const refresh = (refreshes.InstanceRefreshes ?? []).find((r) => ACTIVE_REFRESH.has(r.Status ?? ''));
  const activity = (activities.Activities ?? []).find(
    (a) => a.StatusCode && !DONE_ACTIVITY.has(a.StatusCode),
  );
  const terminated = (activities.Activities ?? [])
    .map((a) => TERMINATING.exec(a.Description ?? '')?.[1])
    .find((id) => id !== undefined);
  return {
    lastTerminatedInstanceId: terminated ?? null,
    refresh: refresh ? `instance refresh ${refresh.InstanceRefreshId ?? '?'} ${refresh.Status}` : null,
    activity: activity
      ? `scaling activity ${activity.ActivityId ?? '?'} (${activity.Description ?? '?'}) ${activity.StatusCode}`
      : null,
  };
}

/** The link's Elastic IP. */
export async function describeElasticIp(
  client: EC2Client,
  allocationId: string,
  { signal }: Options,
): Promise<ElasticIpView> {
  const output = await client
    .send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }), { abortSignal: signal })
    .catch(readFailed(`DescribeAddresses ${allocationId} (check gateway.elasticIpAllocationId)`));
  const address = output.Addresses?.find((candidate) => candidate.AllocationId === allocationId);
  if (!address)
    throw new GatewayStateError(
      `Elastic IP ${allocationId} does not exist (check gateway.elasticIpAllocationId)`,
    );
  return {
    allocationId,
    publicIp: address.PublicIp ?? null,
    associationId: address.AssociationId ?? null,
    instanceId: address.InstanceId ?? null,
    networkInterfaceId: address.NetworkInterfaceId ?? null,
  };
}

function toRoute(route: Route): CurrentRoute | null {
  if (!route.DestinationCidrBlock) return null;
  const target =
    route.NetworkInterfaceId ??
    route.InstanceId ??
    route.GatewayId ??
    route.NatGatewayId ??
    route.TransitGatewayId ??
    route.VpcPeeringConnectionId ??
    route.LocalGatewayId ??
    route.CarrierGatewayId ??
    route.EgressOnlyInternetGatewayId ??
    route.CoreNetworkArn ??
    null;
  return {
    destinationCidrBlock: route.DestinationCidrBlock,
    target,
    networkInterfaceId: route.NetworkInterfaceId ?? null,
    state: route.State ?? null,
    origin: route.Origin ?? null,
  };
}

function toTable(table: RouteTable): CurrentRouteTable[] {
  if (!table.RouteTableId) return [];
  return [
    {
      routeTableId: table.RouteTableId,
      routes: (table.Routes ?? []).flatMap((r) => toRoute(r) ?? []),
      subnetIds: (table.Associations ?? []).flatMap((a) => (a.SubnetId ? [a.SubnetId] : [])),
      main: (table.Associations ?? []).some((a) => a.Main === true),
    },
  ];
}

/**
 * The effective route table of each canary subnet: its explicit association, else its VPC's main
 * table (https://docs.aws.amazon.com/vpc/latest/userguide/RouteTables.html#subnet-route-tables).
 */
export async function describeSubnetRouteTables(
  client: EC2Client,
  vpcId: string,
  subnetIds: readonly string[],
  { signal }: Options,
): Promise<{ subnetId: string; routeTableId: string | null; association: 'explicit' | 'main' | 'none' }[]> {
  const [explicit, main] = await Promise.all([
    client
      .send(
        new DescribeRouteTablesCommand({
          Filters: [{ Name: 'association.subnet-id', Values: [...subnetIds] }],
        }),
        { abortSignal: signal },
      )
      .catch(readFailed(`DescribeRouteTables association.subnet-id ${subnetIds.join(', ')}`)),
    client
      .send(
        new DescribeRouteTablesCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'association.main', Values: ['true'] },
          ],
        }),
        { abortSignal: signal },
      )
      .catch(readFailed(`DescribeRouteTables main table of ${vpcId}`)),
  ]);
  const tables = (explicit.RouteTables ?? []).flatMap(toTable);
  const mainTable = (main.RouteTables ?? []).flatMap(toTable)[0]?.routeTableId ?? null;
  return subnetIds.map((subnetId) => {
    const table = tables.find((t) => t.subnetIds?.includes(subnetId));
    if (table) return { subnetId, routeTableId: table.routeTableId, association: 'explicit' as const };
    return {
      subnetId,
      routeTableId: mainTable,
      association: mainTable ? ('main' as const) : ('none' as const),
    };
  });
}

/**
 * AWS's pending endpoint maintenance on every tunnel of the connections (in the VPN's Region):
 * DescribeVpnConnections for the tunnels' outside IPs, then GetVpnTunnelReplacementStatus per tunnel.
 */
export async function describeTunnelMaintenance(
  client: EC2Client,
  vpnConnectionIds: readonly string[],
  { signal }: Options,
): Promise<TunnelMaintenance[]> {
  const output = await client
    .send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: [...vpnConnectionIds] }), {
      abortSignal: signal,
    })
    .catch(readFailed(`DescribeVpnConnections ${vpnConnectionIds.join(', ')}`));
  const tunnels = (output.VpnConnections ?? []).flatMap((c) =>
    (c.VgwTelemetry ?? []).flatMap((t) =>
      c.VpnConnectionId && t.OutsideIpAddress
        ? [{ id: c.VpnConnectionId, ip: t.OutsideIpAddress, status: t.Status ?? null }]
        : [],
    ),
  );
  return Promise.all(
    tunnels.map(async ({ id, ip, status: tunnelStatus }) => {
      const status = await client
        .send(
          new GetVpnTunnelReplacementStatusCommand({ VpnConnectionId: id, VpnTunnelOutsideIpAddress: ip }),
          { abortSignal: signal },
        )
        .catch(readFailed(`GetVpnTunnelReplacementStatus ${id} ${ip}`));
      const details = status.MaintenanceDetails;
      const when = (value: Date | undefined) => (value ? new Date(value).toISOString() : null);
      return {
        vpnConnectionId: id,
        outsideIp: ip,
        status: tunnelStatus,
        pendingMaintenance: details?.PendingMaintenance ?? null,
        autoAppliedAfter: when(details?.MaintenanceAutoAppliedAfter),
        lastApplied: when(details?.LastMaintenanceApplied),
      };
    }),
  );
}

/** Which of the instances SSM manages (PingStatus Online). */
export async function describeSsmManaged(
  client: SSMClient,
  instanceIds: readonly string[],
  { signal }: Options,
): Promise<Set<string>> {
  if (instanceIds.length === 0) return new Set();
  const output = await client
    .send(
      new DescribeInstanceInformationCommand({
        Filters: [{ Key: 'InstanceIds', Values: [...instanceIds] }],
      }),
      { abortSignal: signal },
    )
    .catch(readFailed(`DescribeInstanceInformation ${instanceIds.join(', ')}`));
  return new Set(
    (output.InstanceInformationList ?? []).flatMap((info) =>
      info.InstanceId && info.PingStatus === 'Online' ? [info.InstanceId] : [],
    ),
  );
}

/**
 * The configured route tables. A configured table that does not exist fails the call (AWS names it
 * in the error): better to stop at DescribeGateway than after the instance is gone.
 */
export async function describeRouteTables(
  client: EC2Client,
  routeTableIds: readonly string[],
  { signal }: Options,
): Promise<CurrentRouteTable[]> {
  const output = await client
    .send(new DescribeRouteTablesCommand({ RouteTableIds: [...routeTableIds] }), { abortSignal: signal })
    .catch(readFailed(`DescribeRouteTables ${routeTableIds.join(', ')} (check gateway.routeTableIds)`));
  const tables = (output.RouteTables ?? []).flatMap(toTable);
  const missing = routeTableIds.filter((id) => !tables.some((table) => table.routeTableId === id));
  if (missing.length > 0) {
    throw new GatewayStateError(
      `route table(s) ${missing.join(', ')} not found (check gateway.routeTableIds)`,
    );
  }
  return tables;
}

/**
 * Asks the group to terminate the instance and launch a replacement (desired capacity unchanged).
 * `gone` when Auto Scaling no longer knows the instance (a race with its own replacement).
 */
export async function terminateInGroup(
  client: AutoScalingClient,
  instanceId: string,
  { signal }: Options,
): Promise<{ gone: false; activityId: string | null; status: string | null } | { gone: true }> {
  try {
    const output = await client.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: instanceId,
        ShouldDecrementDesiredCapacity: false,
      }),
      { abortSignal: signal },
    );
    return {
      gone: false,
      activityId: output.Activity?.ActivityId ?? null,
      status: output.Activity?.StatusCode ?? null,
    };
  } catch (error) {
    if (
      error instanceof Error &&
      error.name === 'ValidationError' &&
      /not found|no managed instance/i.test(error.message)
    ) {
      return { gone: true };
    }
    if (error instanceof Error && error.name === 'ScalingActivityInProgress') {
      // A refresh or another activity is running: AWS refuses for now, not for good.
      throw new AwsTransientError(
        `TerminateInstanceInAutoScalingGroup ${instanceId}: ${error.name}: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    return writeFailed(`TerminateInstanceInAutoScalingGroup ${instanceId}`)(error);
  }
}

/**
 * Source/destination check off on one interface: the gateway forwards traffic that is neither from
 * nor to itself. Per interface, because ModifyInstanceAttribute refuses a multi-ENI instance.
 */
export async function disableSourceDestCheck(
  client: EC2Client,
  networkInterfaceId: string,
  { signal, dryRun = false }: Options & { dryRun?: boolean },
): Promise<void> {
  await client
    .send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: networkInterfaceId,
        SourceDestCheck: { Value: false },
        ...(dryRun ? { DryRun: true } : {}),
      }),
      { abortSignal: signal },
    )
    .catch(writeFailed(`ModifyNetworkInterfaceAttribute ${networkInterfaceId} SourceDestCheck=false`));
}

/** Runs the restart command on the instance through SSM (AWS-RunShellScript); the command id. */
export async function sendRestartCommand(
  client: SSMClient,
  instanceId: string,
  command: string,
  { signal }: Options,
): Promise<string | null> {
  const output = await client
    .send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [instanceId],
        Parameters: { commands: [command] },
        Comment: 'VPN Guard: restart IPsec',
        TimeoutSeconds: 60,
      }),
      { abortSignal: signal },
    )
    .catch(writeFailed(`SendCommand AWS-RunShellScript ${instanceId}`));
  return output.Command?.CommandId ?? null;
}

/** Puts the Elastic IP on the ENI, taking it from wherever it is (the old instance included). */
export async function associateElasticIp(
  client: EC2Client,
  allocationId: string,
  networkInterfaceId: string,
  { signal, dryRun = false }: Options & { dryRun?: boolean },
): Promise<string | null> {
  const output = await client
    .send(
      new AssociateAddressCommand({
        AllocationId: allocationId,
        NetworkInterfaceId: networkInterfaceId,
        AllowReassociation: true,
        ...(dryRun ? { DryRun: true } : {}),
      }),
      {
        abortSignal: signal,
      },
    )
    .catch(writeFailed(`AssociateAddress ${allocationId} -> ${networkInterfaceId}`));
  return output.AssociationId ?? null;
}

/** Points an existing route at the ENI. Errors are returned to the caller, which tries every route. */
export async function replaceRoute(
  client: EC2Client,
  route: { routeTableId: string; destinationCidrBlock: string; networkInterfaceId: string },
  { signal, dryRun = false }: Options & { dryRun?: boolean },
): Promise<void> {
  await client.send(
    new ReplaceRouteCommand({
      RouteTableId: route.routeTableId,
      DestinationCidrBlock: route.destinationCidrBlock,
      NetworkInterfaceId: route.networkInterfaceId,
      ...(dryRun ? { DryRun: true } : {}),
    }),
    { abortSignal: signal },
  );
}

/** Creates the missing route to the ENI. Errors are returned to the caller, which tries every route. */
export async function createRoute(
  client: EC2Client,
  route: { routeTableId: string; destinationCidrBlock: string; networkInterfaceId: string },
  { signal, dryRun = false }: Options & { dryRun?: boolean },
): Promise<void> {
  await client.send(
    new CreateRouteCommand({
      RouteTableId: route.routeTableId,
      DestinationCidrBlock: route.destinationCidrBlock,
      NetworkInterfaceId: route.networkInterfaceId,
      ...(dryRun ? { DryRun: true } : {}),
    }),
    { abortSignal: signal },
  );
}
