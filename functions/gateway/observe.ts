/**
 * observe: one snapshot of everything the decision needs, read in parallel. The reads the decision
 * can do without (AWS maintenance, SSM) are recorded as unknown when they fail rather than failing
 * the poll: an unreadable optional fact never blocks a decision the rest settles.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { LinkConfig } from '#shared/config.ts';
import { describeError } from '#shared/errors.ts';
import {
  describeElasticIp,
  describeGroup,
  describeGroupActivity,
  describeInstances,
  describeLaunchHooks,
  describeRouteTables,
  describeSsmManaged,
  describeSubnetRouteTables,
  describeTunnelMaintenance,
} from './adapters.ts';
import { describeInstance } from './decide.ts';
import { currentInstance, describeInstances as describeMembers } from './replacement.ts';
import { blackholes, configuredRoutes } from './routes.ts';
import type { MaintenanceView, Observation, ObservedInstance } from './types.ts';

/** The clients observe uses: EC2 in the home Region and in the VPN's Region, Auto Scaling, SSM. */
export interface ObserveDeps {
  readonly ec2: EC2Client;
  readonly vpnEc2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly ssm: SSMClient;
  readonly signal: AbortSignal;
}

/** One observation of the link's gateway. */
export async function observeGateway(deps: ObserveDeps, link: LinkConfig, now: Date): Promise<Observation> {
  const options = { signal: deps.signal };
  const { gateway } = link;
  const groupName = gateway.autoScalingGroupName;
  const [group, hooks, activity, elasticIp, tables, subnets, maintenance] = await Promise.all([
    describeGroup(deps.autoScaling, groupName, options),
    describeLaunchHooks(deps.autoScaling, groupName, options),
    describeGroupActivity(deps.autoScaling, groupName, options),
    describeElasticIp(deps.ec2, gateway.elasticIpAllocationId, options),
    describeRouteTables(deps.ec2, gateway.routeTableIds, options),
    describeSubnetRouteTables(deps.ec2, link.canary.vpcId, link.canary.subnetIds, options),
    describeTunnelMaintenance(deps.vpnEc2, link.vpn.vpnConnectionIds, options).then(
      (tunnels): MaintenanceView => {
        const pending = tunnels.filter((t) => t.pendingMaintenance && !/^none$/i.test(t.pendingMaintenance));
        return {
          state: pending.length > 0 ? 'pending' : 'none',
          tunnels,
          detail:
            pending.length > 0
              ? `AWS maintenance pending on ${pending.map((t) => `${t.vpnConnectionId} ${t.outsideIp}`).join(', ')}`
              : 'no AWS tunnel maintenance pending',
        };
      },
      (error: unknown): MaintenanceView => {
        const { name, message } = describeError(error);
        return {
          state: 'unknown',
          tunnels: [],
          detail: `tunnel maintenance unreadable (${name}: ${message})`,
        };
      },
    ),
  ]);
  const memberIds = group.instances.map((i) => i.instanceId);
  const ids = [...new Set([...memberIds, ...(elasticIp.instanceId ? [elasticIp.instanceId] : [])])];
  const [described, managed] = await Promise.all([
    describeInstances(deps.ec2, ids, options),
    gateway.restartCommand
      ? describeSsmManaged(deps.ssm, memberIds, options).catch(() => null)
      : Promise.resolve(null),
  ]);
  const byId = new Map(described.map((i) => [i.instanceId, i]));
  const instances: ObservedInstance[] = ids.map((instanceId) => {
    const member = group.instances.find((i) => i.instanceId === instanceId);
    const ec2 = byId.get(instanceId);
    return {
      instanceId,
      // Tagged by the group: still its own while it leaves the listing (Terminating, Detaching).
      inGroup: member !== undefined || ec2?.groupTag === groupName,
      lifecycleState: member?.lifecycleState ?? null,
      healthStatus: member?.healthStatus ?? null,
      state: ec2?.state ?? null,
      launchTime: ec2?.launchTime ?? null,
      networkInterfaces: ec2?.networkInterfaces ?? [],
      ssmManaged: managed ? managed.has(instanceId) : null,
    };
  });
  const routes = configuredRoutes(tables, gateway);
  const canarySubnets = subnets.map((s) => ({
    ...s,
    configured: s.routeTableId !== null && gateway.routeTableIds.includes(s.routeTableId),
  }));
  let instanceId: string | null = null;
  try {
    instanceId = currentInstance(group);
  } catch {
    instanceId = null;
  }
  const lost = blackholes(routes).length;
  const eip = elasticIp.instanceId
    ? `on ${elasticIp.instanceId}/${elasticIp.networkInterfaceId ?? '?'}`
    : 'not associated';
  return {
    takenAt: now.toISOString(),
    autoScalingGroupName: groupName,
    desiredCapacity: group.desiredCapacity,
    suspendedProcesses: group.suspendedProcesses,
    launchHooks: hooks,
    refreshInProgress: activity.refresh,
    activityInProgress: activity.activity,
    lastTerminatedInstanceId: activity.lastTerminatedInstanceId,
    instances,
    instanceId,
    elasticIp,
    routes,
    canarySubnets,
    maintenance,
    notes: [
      `Observed: group ${groupName}: ${describeMembers(group.instances)}${
        group.suspendedProcesses.length > 0 ? `; suspended ${group.suspendedProcesses.join(', ')}` : ''
      }; instances ${instances.map(describeInstance).join(', ') || 'none'}; Elastic IP ${elasticIp.publicIp ?? elasticIp.allocationId} ${eip}`,
      `Observed: routes ${routes
        .map(
          (r) =>
            `${r.routeTableId} ${r.destinationCidrBlock} -> ${r.target ?? 'missing'}${r.state ? ` (${r.state})` : ''}`,
        )
        .join('; ')}${lost > 0 ? `; ${lost} blackholed` : ''}; ${maintenance.detail}`,
    ],
  };
}
