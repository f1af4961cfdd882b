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
import {
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DisassociateAddressCommand,
  EC2Client,
  GetVpnTunnelReplacementStatusCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  InvalidInstanceId,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { MUTATING_COMMANDS } from '#sandbox/world/calls.ts';
import { MODELLED_COMMANDS } from '#sandbox/world/mocks.ts';
import { HOME_REGION, type World } from '#sandbox/world/world.ts';
import { config, EIP, GROUP, LINK, quietWorlds, TABLES, VPN_REGION, withGateway } from './support.ts';

const quietWorld = quietWorlds();

const ec2 = (region = HOME_REGION) => new EC2Client({ region });
const asg = () => new AutoScalingClient({ region: HOME_REGION });
const ssm = () => new SSMClient({ region: HOME_REGION });

function gateway(w: World): string {
  const id = w.linkStatus(LINK).gatewayInstanceId;
  if (!id) throw new Error('no gateway');
  return id;
}

const DRY_RUN = { name: 'DryRunOperation', message: 'Request would have succeeded, but DryRun flag is set.' };

describe('the world API surface of the brief', () => {
  it('models every command of the contract, and marks the writes mutating', () => {
    // Prepare: the contract's lists (BRIEF, "World API surface").
    const contract = {
      ec2: [
        'DescribeInstances',
        'DescribeNetworkInterfaces',
        'ModifyNetworkInterfaceAttribute',
        'ModifyInstanceAttribute',
        'DescribeAddresses',
        'AssociateAddress',
        'DisassociateAddress',
        'DescribeRouteTables',
        'ReplaceRoute',
        'CreateRoute',
        'DescribeVpnConnections',
        'GetVpnTunnelReplacementStatus',
      ],
      autoscaling: [
        'DescribeAutoScalingGroups',
        'DescribeLifecycleHooks',
        'DescribeInstanceRefreshes',
        'DescribeScalingActivities',
        'TerminateInstanceInAutoScalingGroup',
        'CompleteLifecycleAction',
        'RecordLifecycleActionHeartbeat',
      ],
      ssm: ['DescribeInstanceInformation', 'SendCommand', 'GetCommandInvocation'],
    } as const;
    const writes = [
      'ModifyNetworkInterfaceAttribute',
      'ModifyInstanceAttribute',
      'AssociateAddress',
      'DisassociateAddress',
      'ReplaceRoute',
      'CreateRoute',
      'TerminateInstanceInAutoScalingGroup',
      'CompleteLifecycleAction',
      'RecordLifecycleActionHeartbeat',
      'SendCommand',
    ];
    // Act + Assess
    for (const [service, commands] of Object.entries(contract) as [
      keyof typeof contract,
      readonly string[],
    ][]) {
      expect(MODELLED_COMMANDS[service]).toEqual(expect.arrayContaining([...commands]));
      for (const command of commands) expect(MUTATING_COMMANDS.has(command)).toBe(writes.includes(command));
    }
  });
});

describe('EC2: network interfaces and source/dest check', () => {
  it('lists an instance with several interfaces by device index, each with its own source/dest check', async () => {
    // Prepare: the Elastic IP on eth0, the routes on eth1.
    const w = await quietWorld({ config: withGateway({ routeDeviceIndex: 1 }) });
    // Act
    const out = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [gateway(w)] }));
    const enis = await ec2().send(
      new DescribeNetworkInterfacesCommand({
        Filters: [{ Name: 'attachment.instance-id', Values: [gateway(w)] }],
      }),
    );
    // Assess
    const instance = out.Reservations?.[0]?.Instances?.[0];
    const interfaces = instance?.NetworkInterfaces ?? [];
    expect(interfaces.map((i) => i.Attachment?.DeviceIndex)).toEqual([0, 1]);
    expect(interfaces[0]?.Association?.PublicIp).toBeDefined();
    expect(interfaces[1]?.Association).toBeUndefined();
    expect(enis.NetworkInterfaces?.map((e) => e.Attachment?.DeviceIndex).sort()).toEqual([0, 1]);
    expect(enis.NetworkInterfaces?.every((e) => e.Attachment?.InstanceId === gateway(w))).toBe(true);
    const routes = await ec2().send(new DescribeRouteTablesCommand({ RouteTableIds: TABLES }));
    const targets = new Set(
      routes.RouteTables?.flatMap((t) => t.Routes ?? []).flatMap((r) => r.NetworkInterfaceId ?? []),
    );
    expect([...targets]).toEqual([interfaces[1]?.NetworkInterfaceId]);
    expect(instance?.LaunchTime?.getTime()).toBeLessThan(w.clock.now());
  });

  it('refuses ModifyInstanceAttribute SourceDestCheck on a multi-interface instance with AWS message, changing nothing', async () => {
    // Prepare
    const w = await quietWorld({ config: withGateway({ routeDeviceIndex: 1 }) });
    const id = gateway(w);
    const before = w.ec2.interfacesOf(id).map((e) => e.sourceDestCheck);
    // Act
    const call = ec2().send(
      new ModifyInstanceAttributeCommand({ InstanceId: id, SourceDestCheck: { Value: true } }),
    );
    // Assess
    await expect(call).rejects.toMatchObject({
      name: 'InvalidInstanceID',
      message: `There are multiple interfaces attached to instance '${id}'. Please specify an interface ID for the operation instead.`,
    });
    expect(w.ec2.interfacesOf(id).map((e) => e.sourceDestCheck)).toEqual(before);
  });

  it('sets source/dest check per interface with ModifyNetworkInterfaceAttribute, and the link follows the forwarding one', async () => {
    // Prepare
    const w = await quietWorld({ config: withGateway({ routeDeviceIndex: 1 }) });
    const [eth0, eth1] = w.ec2.interfacesOf(gateway(w));
    if (!eth0 || !eth1) throw new Error('two interfaces expected');
    // Act: the check back on on eth0 (the Elastic IP's) does not matter, on eth1 it does.
    await ec2().send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: eth0.eniId,
        SourceDestCheck: { Value: true },
      }),
    );
    w.changed();
    const afterEth0 = w.linkStatus(LINK).healthy;
    await ec2().send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: eth1.eniId,
        SourceDestCheck: { Value: true },
      }),
    );
    w.changed();
    // Assess
    expect(afterEth0).toBe(true);
    expect(w.linkStatus(LINK).healthy).toBe(false);
    const out = await ec2().send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eth1.eniId] }));
    expect(out.NetworkInterfaces?.[0]?.SourceDestCheck).toBe(true);
  });

  it('answers InvalidNetworkInterfaceID.NotFound for an unknown interface', async () => {
    await quietWorld();
    await expect(
      ec2().send(
        new ModifyNetworkInterfaceAttributeCommand({
          NetworkInterfaceId: 'eni-0123456789abcdef0',
          SourceDestCheck: { Value: false },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidNetworkInterfaceID.NotFound' });
    await expect(
      ec2().send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-0123456789abcdef0'] })),
    ).rejects.toMatchObject({ name: 'InvalidNetworkInterfaceID.NotFound' });
  });

  it('refuses AssociateAddress and CreateRoute by InstanceId on a multi-interface instance', async () => {
    const w = await quietWorld({ config: withGateway({ routeDeviceIndex: 1 }) });
    await expect(
      ec2().send(
        new AssociateAddressCommand({ AllocationId: EIP, InstanceId: gateway(w), AllowReassociation: true }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInstanceID' });
    await expect(
      ec2().send(
        new CreateRouteCommand({
          RouteTableId: TABLES[0],
          DestinationCidrBlock: '10.99.0.0/16',
          InstanceId: gateway(w),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInstanceID' });
  });
});

describe('EC2: Elastic IPs, route tables, tunnel maintenance', () => {
  it('disassociates an Elastic IP by association id, and refuses an unknown association', async () => {
    // Prepare
    const w = await quietWorld();
    const before = await ec2().send(new DescribeAddressesCommand({ AllocationIds: [EIP] }));
    const associationId = before.Addresses?.[0]?.AssociationId;
    // Act
    await ec2().send(new DisassociateAddressCommand({ AssociationId: associationId }));
    // Assess
    const after = await ec2().send(new DescribeAddressesCommand({ AllocationIds: [EIP] }));
    expect(after.Addresses?.[0]?.AssociationId).toBeUndefined();
    expect(after.Addresses?.[0]?.InstanceId).toBeUndefined();
    expect(w.linkStatus(LINK).gatewayInstanceId).toBeNull();
    await expect(
      ec2().send(new DisassociateAddressCommand({ AssociationId: associationId })),
    ).rejects.toMatchObject({
      name: 'InvalidAssociationID.NotFound',
      message: `The association ID '${associationId}' does not exist`,
    });
  });

  it('reports route table associations: canary subnets explicitly, the VPC main table apart', async () => {
    // Prepare
    await quietWorld();
    const subnet = config.links[0].canary.subnetIds[0];
    const vpc = config.links[0].canary.vpcId;
    // Act
    const bySubnet = await ec2().send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnet] }] }),
    );
    const main = await ec2().send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpc] },
          { Name: 'association.main', Values: ['true'] },
        ],
      }),
    );
    // Assess
    expect(bySubnet.RouteTables?.map((t) => t.RouteTableId)).toEqual([TABLES[0]]);
    expect(bySubnet.RouteTables?.[0]?.Associations).toContainEqual(
      expect.objectContaining({ SubnetId: subnet, Main: false, AssociationState: { State: 'associated' } }),
    );
    expect(main.RouteTables).toHaveLength(1);
    expect(TABLES).not.toContain(main.RouteTables?.[0]?.RouteTableId);
    expect(main.RouteTables?.[0]?.Associations?.[0]?.Main).toBe(true);
  });

  it('answers GetVpnTunnelReplacementStatus in the VPN Region with the pending maintenance', async () => {
    // Prepare
    const w = await quietWorld();
    const vpnId = config.links[0].vpn.vpnConnectionIds[0];
    const tunnel = w.ec2.vpnConnections.get(vpnId)?.tunnels[0];
    if (!tunnel) throw new Error('no tunnel');
    const clear = await ec2(VPN_REGION).send(
      new GetVpnTunnelReplacementStatusCommand({
        VpnConnectionId: vpnId,
        VpnTunnelOutsideIpAddress: tunnel.outsideIp,
      }),
    );
    tunnel.maintenance = {
      pending: 'Pending Tunnel Endpoint Replacement',
      autoAppliedAfter: w.clock.now() + 86_400_000,
    };
    // Act
    const pending = await ec2(VPN_REGION).send(
      new GetVpnTunnelReplacementStatusCommand({
        VpnConnectionId: vpnId,
        VpnTunnelOutsideIpAddress: tunnel.outsideIp,
      }),
    );
    // Assess
    expect(clear.MaintenanceDetails).toEqual({});
    expect(pending).toMatchObject({
      VpnConnectionId: vpnId,
      VpnTunnelOutsideIpAddress: tunnel.outsideIp,
      MaintenanceDetails: {
        PendingMaintenance: 'Pending Tunnel Endpoint Replacement',
        MaintenanceAutoAppliedAfter: new Date(w.clock.now() + 86_400_000),
      },
    });
    await expect(
      ec2(HOME_REGION).send(
        new GetVpnTunnelReplacementStatusCommand({
          VpnConnectionId: vpnId,
          VpnTunnelOutsideIpAddress: tunnel.outsideIp,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidVpnConnectionID.NotFound' });
  });
});

describe('EC2: DryRun', () => {
  it('answers DryRunOperation on every modelled write and changes nothing', async () => {
    // Prepare
    const w = await quietWorld();
    const id = gateway(w);
    const eni = w.ec2.interfacesOf(id)[0]?.eniId;
    const association = (await ec2().send(new DescribeAddressesCommand({ AllocationIds: [EIP] })))
      .Addresses?.[0]?.AssociationId;
    const snapshot = () =>
      JSON.stringify({
        enis: [...w.ec2.enis.values()],
        addresses: [...w.ec2.addresses.values()],
        tables: [...w.ec2.routeTables.values()],
      });
    const before = snapshot();
    const cidr = config.links[0].gateway.remoteCidrs[0];
    // Act + Assess
    const writes = [
      new ModifyInstanceAttributeCommand({ InstanceId: id, SourceDestCheck: { Value: true }, DryRun: true }),
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: eni,
        SourceDestCheck: { Value: true },
        DryRun: true,
      }),
      new AssociateAddressCommand({
        AllocationId: EIP,
        NetworkInterfaceId: eni,
        AllowReassociation: true,
        DryRun: true,
      }),
      new DisassociateAddressCommand({ AssociationId: association, DryRun: true }),
      new ReplaceRouteCommand({
        RouteTableId: TABLES[0],
        DestinationCidrBlock: cidr,
        NetworkInterfaceId: eni,
        DryRun: true,
      }),
      new CreateRouteCommand({
        RouteTableId: TABLES[0],
        DestinationCidrBlock: '10.98.0.0/16',
        NetworkInterfaceId: eni,
        DryRun: true,
      }),
    ];
    for (const command of writes) {
      // biome-ignore lint/suspicious/noExplicitAny: commands of different shapes
      await expect(ec2().send(command as any)).rejects.toMatchObject(DRY_RUN);
    }
    expect(snapshot()).toBe(before);
    const recorded = w.calls.filter({ service: 'ec2', includeHarness: true }).slice(-writes.length);
    expect(recorded.every((c) => c.dryRun === true && c.mutating === false)).toBe(true);
  });

  it('validates the input before answering a dry run', async () => {
    await quietWorld();
    await expect(
      ec2().send(
        new ModifyNetworkInterfaceAttributeCommand({
          NetworkInterfaceId: 'eni-0123456789abcdef0',
          SourceDestCheck: { Value: false },
          DryRun: true,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidNetworkInterfaceID.NotFound' });
  });

  it('answers DryRunOperation on a read too', async () => {
    await quietWorld();
    await expect(ec2().send(new DescribeInstancesCommand({ DryRun: true }))).rejects.toMatchObject(DRY_RUN);
  });
});

describe('Auto Scaling: hooks, activities, refreshes, suspended processes', () => {
  it('shows suspended processes in DescribeAutoScalingGroups', async () => {
    const w = await quietWorld();
    w.asg.suspendProcesses(GROUP, ['Launch', 'ReplaceUnhealthy'], 'User suspended at 2026-11-26T12:00:00Z');
    const out = await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }));
    expect(out.AutoScalingGroups?.[0]?.SuspendedProcesses).toEqual([
      { ProcessName: 'Launch', SuspensionReason: 'User suspended at 2026-11-26T12:00:00Z' },
      { ProcessName: 'ReplaceUnhealthy', SuspensionReason: 'User suspended at 2026-11-26T12:00:00Z' },
    ]);
  });

  it('holds a new instance in Pending:Wait until CompleteLifecycleAction, a heartbeat extending the wait', async () => {
    // Prepare
    const w = await quietWorld();
    w.asg.putLifecycleHook(GROUP, {
      name: 'configure-gateway',
      transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      heartbeatSeconds: 300,
      defaultResult: 'ABANDON',
      completedByBoot: false,
    });
    const old = gateway(w);
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: old,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    await w.advance(w.timing.asg.launchDelaySeconds + w.timing.asg.bootSeconds + 1);
    const [fresh] = w.replacements(LINK);
    const state = async () =>
      (
        await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }))
      ).AutoScalingGroups?.[0]?.Instances?.find((i) => i.InstanceId === fresh)?.LifecycleState;
    const hooks = await asg().send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: GROUP }));
    // Act
    const waiting = await state();
    await w.advance(200);
    await asg().send(
      new RecordLifecycleActionHeartbeatCommand({
        AutoScalingGroupName: GROUP,
        LifecycleHookName: 'configure-gateway',
        InstanceId: fresh,
      }),
    );
    await w.advance(200);
    const afterHeartbeat = await state();
    await asg().send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: GROUP,
        LifecycleHookName: 'configure-gateway',
        InstanceId: fresh,
        LifecycleActionResult: 'CONTINUE',
      }),
    );
    // Assess
    expect(hooks.LifecycleHooks).toEqual([
      {
        LifecycleHookName: 'configure-gateway',
        AutoScalingGroupName: GROUP,
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
        HeartbeatTimeout: 300,
        GlobalTimeout: 30_000,
        DefaultResult: 'ABANDON',
      },
    ]);
    expect(waiting).toBe('Pending:Wait');
    expect(afterHeartbeat).toBe('Pending:Wait');
    expect(await state()).toBe('InService');
    await expect(
      asg().send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: GROUP,
          LifecycleHookName: 'configure-gateway',
          InstanceId: fresh,
          LifecycleActionResult: 'CONTINUE',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: `No active Lifecycle Action found with instance ID ${fresh}`,
    });
  });

  it('applies the hook default result at the heartbeat timeout: ABANDON terminates and launches again', async () => {
    const w = await quietWorld();
    w.asg.putLifecycleHook(GROUP, {
      name: 'configure-gateway',
      transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      heartbeatSeconds: 120,
      defaultResult: 'ABANDON',
      completedByBoot: false,
    });
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: gateway(w),
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    await w.advance(w.timing.asg.launchDelaySeconds + 121);
    const [first] = w.replacements(LINK);
    await w.advance(w.timing.asg.launchDelaySeconds + 5);
    expect(w.ec2.instances.get(first ?? '')?.state).toMatch(/shutting-down|terminated/);
    expect(w.replacements(LINK)).toHaveLength(2);
  });

  it('records scaling activities, newest first, and refuses a terminate while a refresh or activity runs', async () => {
    // Prepare
    const w = await quietWorld();
    const endRefresh = w.asg.beginBlockingActivity(GROUP, 'instance-refresh');
    // Act
    const refreshes = await asg().send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: GROUP }));
    const refused = asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: gateway(w),
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    // Assess
    expect(refreshes.InstanceRefreshes?.[0]).toMatchObject({
      AutoScalingGroupName: GROUP,
      Status: 'InProgress',
    });
    await expect(refused).rejects.toMatchObject({
      name: 'ResourceContention',
      message:
        'You already have a pending update to an Amazon EC2 Auto Scaling resource (for example, an Auto Scaling group, instance, or load balancer).',
    });
    endRefresh();
    const endActivity = w.asg.beginBlockingActivity(GROUP, 'scaling-activity');
    await expect(
      asg().send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: gateway(w),
          ShouldDecrementDesiredCapacity: false,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ScalingActivityInProgress',
      message: "The operation can't be performed because there are scaling activities in progress.",
    });
    endActivity();
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: gateway(w),
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    await w.advance(w.timing.asg.launchDelaySeconds + 1);
    const activities = await asg().send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: GROUP }),
    );
    expect(activities.Activities?.map((a) => [a.Description?.split(':')[0], a.StatusCode])).toEqual([
      ['Launching a new EC2 instance', 'InProgress'],
      ['Terminating EC2 instance', 'InProgress'],
      ['Updating load balancers/target groups', 'Successful'],
    ]);
  });

  it('refuses TerminateInstanceInAutoScalingGroup of an InService instance while Terminate is suspended', async () => {
    const w = await quietWorld();
    w.asg.suspendProcesses(GROUP, ['Terminate'], 'User suspended');
    await expect(
      asg().send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: gateway(w),
          ShouldDecrementDesiredCapacity: false,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('Terminate process is suspended'),
    });
    expect(w.ec2.instances.get(gateway(w))?.state).toBe('running');
  });

  it('answers DescribeLifecycleHooks for an unknown group with ValidationError', async () => {
    await quietWorld();
    await expect(
      asg().send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'nope' })),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });
});

describe('SSM: managed instances and Run Command', () => {
  it('lists the running gateway as Online and runs AWS-RunShellScript on it', async () => {
    // Prepare
    const w = await quietWorld();
    const id = gateway(w);
    // Act
    const info = await ssm().send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }),
    );
    const sent = await ssm().send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [id],
        Parameters: { commands: ['uptime'] },
      }),
    );
    const commandId = sent.Command?.CommandId;
    const first = await ssm().send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: id }));
    await w.advance(5);
    const done = await ssm().send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: id }));
    // Assess
    expect(info.InstanceInformationList?.map((i) => [i.InstanceId, i.PingStatus])).toEqual([[id, 'Online']]);
    expect(sent.Command).toMatchObject({
      Status: 'Pending',
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [id],
    });
    expect(first.Status).toBe('Pending');
    expect(done).toMatchObject({ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0 });
    expect(
      w.calls.filter({ service: 'ssm', command: 'SendCommand', includeHarness: true })[0]?.mutating,
    ).toBe(true);
  });

  it('restarts a dead Libreswan with the link restart command, after ipsecStartSeconds', async () => {
    // Prepare
    const w = await quietWorld({ config: withGateway({ restartCommand: 'systemctl restart ipsec' }) });
    const id = gateway(w);
    w.inject({ type: 'ipsec-dies', link: LINK });
    // Act
    const sent = await ssm().send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [id],
        Parameters: { commands: ['systemctl restart ipsec'] },
      }),
    );
    await w.advance(2);
    const running = await ssm().send(
      new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: id }),
    );
    await w.advance(w.timing.asg.ipsecStartSeconds);
    const done = await ssm().send(
      new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: id }),
    );
    // Assess
    expect(running.Status).toBe('InProgress');
    expect(done.Status).toBe('Success');
    expect(w.ec2.instances.get(id)?.ipsec).toBe('up');
  });

  it('answers InvalidInstanceId (the modelled exception) for an unmanaged or terminated instance, and InvocationDoesNotExist', async () => {
    const w = await quietWorld();
    const id = gateway(w);
    w.ssm.unmanaged.add(id);
    const call = ssm().send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [id],
        Parameters: { commands: ['true'] },
      }),
    );
    await expect(call).rejects.toBeInstanceOf(InvalidInstanceId);
    await expect(call).rejects.toMatchObject({
      name: 'InvalidInstanceId',
      message: `Instances [[${id}]] not in a valid state for account ${w.ec2.account}`,
    });
    const info = await ssm().send(new DescribeInstanceInformationCommand({}));
    expect(info.InstanceInformationList).toEqual([]);
    await expect(
      ssm().send(new GetCommandInvocationCommand({ CommandId: crypto.randomUUID(), InstanceId: id })),
    ).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
  });
});
