/**
 * Thin typed SDK calls for the gateway (home Region): each takes its client and `{ signal }` and
 * returns our domain types. Read failures are GatewayStateError, write failures GatewayUpdateError,
 * throttling AwsThrottledError (the ASL retries it).
 */
import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  DescribeRouteTablesCommand,
  type EC2Client,
  ModifyInstanceAttributeCommand,
  ReplaceRouteCommand,
  type Route,
} from '@aws-sdk/client-ec2';
import { GatewayStateError, GatewayUpdateError, rethrowAs } from '#shared/errors.ts';
import type { CurrentRoute, CurrentRouteTable, ElasticIpView, GroupView, InstanceView } from './types.ts';

type Options = { signal: AbortSignal };

const readFailed = (context: string) => (error: unknown) =>
  rethrowAs(error, (message, options) => new GatewayStateError(message, options), context);
const writeFailed = (context: string) => (error: unknown) =>
  rethrowAs(error, (message, options) => new GatewayUpdateError(message, options), context);

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

/** One instance; null when EC2 no longer knows it. */
export async function describeInstance(
  client: EC2Client,
  instanceId: string,
  { signal }: Options,
): Promise<InstanceView | null> {
  let output: DescribeInstancesCommandOutput;
  try {
    output = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), {
      abortSignal: signal,
    });
  } catch (error) {
    if (error instanceof Error && error.name === 'InvalidInstanceID.NotFound') return null;
    return readFailed(`DescribeInstances ${instanceId}`)(error);
  }
  const instance = output.Reservations?.flatMap((reservation) => reservation.Instances ?? []).find(
    (candidate) => candidate.InstanceId === instanceId,
  );
  if (!instance) return null;
  const primary = instance.NetworkInterfaces?.find((eni) => eni.Attachment?.DeviceIndex === 0);
  return {
    instanceId,
    state: instance.State?.Name ?? null,
    networkInterfaceId: primary?.NetworkInterfaceId ?? null,
    privateIpAddress: primary?.PrivateIpAddress ?? instance.PrivateIpAddress ?? null,
    sourceDestCheck: instance.SourceDestCheck ?? primary?.SourceDestCheck ?? null,
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
  const tables = (output.RouteTables ?? []).flatMap((table) =>
    table.RouteTableId
      ? [{ routeTableId: table.RouteTableId, routes: (table.Routes ?? []).flatMap((r) => toRoute(r) ?? []) }]
      : [],
  );
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
    return writeFailed(`TerminateInstanceInAutoScalingGroup ${instanceId}`)(error);
  }
}

/** Source/destination check off: the gateway forwards traffic that is neither from nor to itself. */
export async function disableSourceDestCheck(
  client: EC2Client,
  instanceId: string,
  { signal }: Options,
): Promise<void> {
  await client
    .send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, SourceDestCheck: { Value: false } }), {
      abortSignal: signal,
    })
    .catch(writeFailed(`ModifyInstanceAttribute ${instanceId} SourceDestCheck=false`));
}

/** Puts the Elastic IP on the ENI, taking it from wherever it is (the old instance included). */
export async function associateElasticIp(
  client: EC2Client,
  allocationId: string,
  networkInterfaceId: string,
  { signal }: Options,
): Promise<string | null> {
  const output = await client
    .send(
      new AssociateAddressCommand({
        AllocationId: allocationId,
        NetworkInterfaceId: networkInterfaceId,
        AllowReassociation: true,
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
  { signal }: Options,
): Promise<void> {
  await client.send(
    new ReplaceRouteCommand({
      RouteTableId: route.routeTableId,
      DestinationCidrBlock: route.destinationCidrBlock,
      NetworkInterfaceId: route.networkInterfaceId,
    }),
    { abortSignal: signal },
  );
}

/** Creates the missing route to the ENI. Errors are returned to the caller, which tries every route. */
export async function createRoute(
  client: EC2Client,
  route: { routeTableId: string; destinationCidrBlock: string; networkInterfaceId: string },
  { signal }: Options,
): Promise<void> {
  await client.send(
    new CreateRouteCommand({
      RouteTableId: route.routeTableId,
      DestinationCidrBlock: route.destinationCidrBlock,
      NetworkInterfaceId: route.networkInterfaceId,
    }),
    { abortSignal: signal },
  );
}
