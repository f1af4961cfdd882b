import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  GetVpnTunnelReplacementStatusCommand,
  ModifyInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { FaultSchema } from '#sandbox/world/faults.ts';
import { HOME_REGION, type World } from '#sandbox/world/world.ts';
import { config, EIP, GROUP, LINK, quietWorlds, TABLES, withGateway } from './support.ts';

const quietWorld = quietWorlds();

const ec2 = (region = HOME_REGION) => new EC2Client({ region });
const asg = () => new AutoScalingClient({ region: HOME_REGION });
const ssm = () => new SSMClient({ region: HOME_REGION });

async function members(): Promise<[string, string, string][]> {
  const out = await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }));
  return (out.AutoScalingGroups?.[0]?.Instances ?? []).map((i) => [
    i.InstanceId ?? '',
    i.LifecycleState ?? '',
    i.HealthStatus ?? '',
  ]);
}

function gateway(w: World): string {
  const id = w.linkStatus(LINK).gatewayInstanceId;
  if (!id) throw new Error('no gateway');
  return id;
}

/** Seconds until the group has surely checked, replaced and launched again. */
const noticed = (w: World) => w.timing.asg.healthCheckIntervalSeconds + w.timing.asg.launchDelaySeconds + 1;

describe('Auto Scaling health checks', () => {
  it('replaces a terminated gateway within one health-check interval, before a 2-minute alarm could fire', async () => {
    // Prepare
    const w = await quietWorld();
    const old = gateway(w);
    // Act
    w.inject({ type: 'instance-killed', link: LINK });
    await w.advance(noticed(w));
    // Assess
    expect(w.replacements(LINK)).toHaveLength(1);
    expect((await members()).map(([id]) => id)).not.toContain(undefined);
    expect((await members()).find(([id]) => id === old)?.[1] ?? 'gone').not.toBe('InService');
  });

  it('stops a gateway: its interfaces and Elastic IP stay, routes stay active, traffic stops; the group replaces it', async () => {
    // Prepare: a slow health check, to look at the stopped instance before the group replaces it.
    const w = await quietWorld({ timing: { asg: { healthCheckIntervalSeconds: 600 } } });
    const old = gateway(w);
    // Act
    w.inject({ type: 'instance-killed', link: LINK, which: 'gateway', how: 'stop' });
    await w.advance(w.timing.asg.shutdownSeconds);
    const stopped = (await ec2().send(new DescribeInstancesCommand({ InstanceIds: [old] }))).Reservations?.[0]
      ?.Instances?.[0];
    const address = (await ec2().send(new DescribeAddressesCommand({ AllocationIds: [EIP] }))).Addresses?.[0];
    const routes = await ec2().send(new DescribeRouteTablesCommand({ RouteTableIds: TABLES }));
    const ownedStates = routes.RouteTables?.flatMap((t) => t.Routes ?? [])
      .filter((r) => r.NetworkInterfaceId)
      .map((r) => r.State);
    const healthyWhileStopped = w.linkStatus(LINK).healthy;
    // Assess
    expect(stopped?.State?.Name).toBe('stopped');
    expect(stopped?.NetworkInterfaces).toHaveLength(1);
    expect(stopped?.PublicIpAddress).toBeUndefined();
    expect(address?.InstanceId).toBe(old);
    expect(new Set(ownedStates)).toEqual(new Set(['active']));
    expect(healthyWhileStopped).toBe(false);
    await w.advance(noticed(w));
    expect(w.replacements(LINK)).toHaveLength(1);
  });

  it('keeps a stopped *new* instance in service during its grace period, but not a terminated one', async () => {
    // Prepare: a replacement younger than the grace period.
    const w = await quietWorld({ timing: { asg: { healthCheckGracePeriodSeconds: 600 } } });
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: gateway(w),
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    await w.advance(w.timing.asg.launchDelaySeconds + w.timing.asg.bootSeconds + 1);
    const [fresh] = w.replacements(LINK);
    // Act
    w.inject({ type: 'instance-killed', link: LINK, which: fresh ?? '', how: 'stop' });
    await w.advance(noticed(w) + w.timing.asg.shutdownSeconds);
    const duringGrace = (await members()).find(([id]) => id === fresh);
    w.inject({ type: 'instance-killed', link: LINK, which: fresh ?? '', how: 'terminate' });
    await w.advance(noticed(w));
    // Assess
    expect(duringGrace).toEqual([fresh, 'InService', 'Healthy']);
    expect(w.replacements(LINK)).toHaveLength(2);
  });

  it('kills the pending replacement when asked to, and the group launches another', async () => {
    const w = await quietWorld();
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: gateway(w),
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    await w.advance(w.timing.asg.launchDelaySeconds + 5);
    const [pending] = w.replacements(LINK);
    w.inject({ type: 'instance-killed', link: LINK, which: 'replacement' });
    await w.advance(w.timing.asg.shutdownSeconds + noticed(w));
    expect(w.ec2.instances.get(pending ?? '')?.state).toBe('terminated');
    expect(w.replacements(LINK)).toHaveLength(2);
  });
});

describe('Auto Scaling suspended processes', () => {
  it('Launch suspended: the dead gateway is terminated but nothing is launched until Launch resumes', async () => {
    // Prepare
    const w = await quietWorld();
    w.inject({ type: 'asg-processes-suspended', link: LINK, processes: ['Launch'], for: 600 });
    // Act
    w.inject({ type: 'instance-killed', link: LINK });
    await w.advance(300);
    const during = await members();
    await w.advance(300 + w.timing.asg.launchDelaySeconds);
    // Assess
    expect(during).toEqual([]);
    expect(w.replacements(LINK)).toHaveLength(1);
  });

  it('HealthCheck suspended: the group does not notice the dead gateway', async () => {
    const w = await quietWorld();
    const old = gateway(w);
    w.inject({ type: 'asg-processes-suspended', link: LINK, processes: ['HealthCheck'] });
    w.inject({ type: 'instance-killed', link: LINK });
    await w.advance(600);
    expect(await members()).toEqual([[old, 'InService', 'Healthy']]);
    expect(w.replacements(LINK)).toHaveLength(0);
  });

  it('ReplaceUnhealthy or Terminate suspended: marked Unhealthy, not replaced; replaced once resumed', async () => {
    for (const process of ['ReplaceUnhealthy', 'Terminate'] as const) {
      const w = await quietWorld();
      const old = gateway(w);
      w.inject({ type: 'asg-processes-suspended', link: LINK, processes: [process], for: 600 });
      w.inject({ type: 'instance-killed', link: LINK });
      await w.advance(300);
      expect(await members()).toEqual([[old, 'InService', 'Unhealthy']]);
      await w.advance(300 + w.timing.asg.launchDelaySeconds + 1);
      expect(w.replacements(LINK)).toHaveLength(1);
      await w.dispose();
    }
  });

  it('Terminate suspended refuses TerminateInstanceInAutoScalingGroup and the gateway keeps running', async () => {
    const w = await quietWorld();
    w.inject({ type: 'asg-processes-suspended', link: LINK, processes: ['Terminate'] });
    await expect(
      asg().send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: gateway(w),
          ShouldDecrementDesiredCapacity: false,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    expect(w.ec2.instances.get(gateway(w))?.state).toBe('running');
  });
});

describe('Auto Scaling launch hooks and activities (faults)', () => {
  it('a hook the boot completes: the replacement is Pending:Wait until its boot ends, then InService', async () => {
    const w = await quietWorld();
    w.inject({ type: 'asg-lifecycle-hook', link: LINK, heartbeatSeconds: 600 });
    w.inject({ type: 'instance-killed', link: LINK });
    await w.advance(noticed(w) + 5);
    const [fresh] = w.replacements(LINK);
    expect((await members()).find(([id]) => id === fresh)?.[1]).toBe('Pending:Wait');
    await w.advance(w.timing.asg.bootSeconds);
    expect((await members()).find(([id]) => id === fresh)?.[1]).toBe('InService');
  });

  it('a hook nobody completes, CONTINUE: InService only at the heartbeat timeout', async () => {
    const w = await quietWorld();
    w.inject({
      type: 'asg-lifecycle-hook',
      link: LINK,
      heartbeatSeconds: 600,
      defaultResult: 'CONTINUE',
      completedByBoot: false,
    });
    w.inject({ type: 'instance-killed', link: LINK });
    await w.advance(noticed(w) + 540);
    const [fresh] = w.replacements(LINK);
    expect((await members()).find(([id]) => id === fresh)?.[1]).toBe('Pending:Wait');
    await w.advance(70);
    expect((await members()).find(([id]) => id === fresh)?.[1]).toBe('InService');
  });

  it('an instance refresh in progress refuses the terminate with ResourceContention, until it ends', async () => {
    const w = await quietWorld();
    w.inject({ type: 'asg-activity-in-progress', link: LINK, kind: 'instance-refresh', for: 300 });
    // ResourceContention is an HTTP 500, which the SDK retries: one attempt shows the answer itself.
    const once = new AutoScalingClient({ region: HOME_REGION, maxAttempts: 1 });
    const terminate = () =>
      once.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: gateway(w),
          ShouldDecrementDesiredCapacity: false,
        }),
      );
    await expect(terminate()).rejects.toMatchObject({ name: 'ResourceContention' });
    await w.advance(301);
    await expect(terminate()).resolves.toMatchObject({ Activity: { StatusCode: 'InProgress' } });
  });
});

describe('EC2 faults', () => {
  it('eip-held-outside: the Elastic IP is on an instance outside the group and the link is down', async () => {
    const w = await quietWorld();
    const old = gateway(w);
    w.inject({ type: 'eip-held-outside', link: LINK });
    const address = (await ec2().send(new DescribeAddressesCommand({ AllocationIds: [EIP] }))).Addresses?.[0];
    expect(address?.InstanceId).toBeDefined();
    expect(address?.InstanceId).not.toBe(old);
    expect(w.asg.groupOf(address?.InstanceId ?? '')).toBeUndefined();
    expect(w.linkStatus(LINK).healthy).toBe(false);
  });

  it('gateway-multi-eni: the gateway and every later launch have several interfaces; ModifyInstanceAttribute is refused', async () => {
    const w = await quietWorld();
    w.inject({ type: 'gateway-multi-eni', link: LINK, interfaces: 2 });
    expect(w.linkStatus(LINK).healthy).toBe(true);
    await expect(
      ec2().send(
        new ModifyInstanceAttributeCommand({ InstanceId: gateway(w), SourceDestCheck: { Value: false } }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInstanceID' });
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: gateway(w),
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    await w.advance(w.timing.asg.launchDelaySeconds + 1);
    const [fresh] = w.replacements(LINK);
    expect(w.ec2.interfacesOf(fresh ?? '').map((e) => [e.deviceIndex, e.sourceDestCheck])).toEqual([
      [0, true],
      [1, true],
    ]);
  });

  it('routes on eth1 and the Elastic IP on eth0: the link needs both where configured', async () => {
    const w = await quietWorld({ config: withGateway({ routeDeviceIndex: 1 }) });
    expect(w.linkStatus(LINK).healthy).toBe(true);
    const [eth0, eth1] = w.ec2.interfacesOf(gateway(w));
    const address = w.ec2.addresses.get(EIP);
    if (!eth0 || !eth1 || !address) throw new Error('setup');
    address.eniId = eth1.eniId;
    w.changed();
    expect(w.linkStatus(LINK).healthy).toBe(false);
    address.eniId = eth0.eniId;
    w.changed();
    expect(w.linkStatus(LINK).healthy).toBe(true);
  });

  it('canary-subnet-reassociated: a canary subnet on a table the config does not list breaks the path', async () => {
    const w = await quietWorld();
    const subnet = config.links[0].canary.subnetIds[0];
    w.inject({ type: 'canary-subnet-reassociated', link: LINK });
    const out = await ec2().send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnet] }] }),
    );
    expect(out.RouteTables).toHaveLength(1);
    expect(TABLES).not.toContain(out.RouteTables?.[0]?.RouteTableId);
    expect(w.linkStatus(LINK).healthy).toBe(false);
  });

  it('tunnel-maintenance: pending maintenance reported; with downFor the tunnel is down, then applied', async () => {
    const w = await quietWorld();
    const vpnId = config.links[0].vpn.vpnConnectionIds[0];
    const tunnel = w.ec2.vpnConnections.get(vpnId)?.tunnels[0];
    if (!tunnel) throw new Error('setup');
    const status = () =>
      ec2('us-west-2').send(
        new GetVpnTunnelReplacementStatusCommand({
          VpnConnectionId: vpnId,
          VpnTunnelOutsideIpAddress: tunnel.outsideIp,
        }),
      );
    w.inject({ type: 'tunnel-maintenance', link: LINK, connection: 0, tunnel: 1, downFor: 180 });
    await w.advance(60);
    const during = await status();
    expect(during.MaintenanceDetails?.PendingMaintenance).toBe('Pending Tunnel Endpoint Replacement');
    expect(tunnel.status).toBe('DOWN');
    await w.advance(200);
    const after = await status();
    expect(after.MaintenanceDetails?.PendingMaintenance).toBeUndefined();
    expect(after.MaintenanceDetails?.LastMaintenanceApplied).toBeInstanceOf(Date);
    expect(tunnel.status).toBe('UP');
  });
});

describe('SSM faults', () => {
  it('ssm-unmanaged: the group instances are not listed and SendCommand answers InvalidInstanceId', async () => {
    const w = await quietWorld();
    w.inject({ type: 'ssm-unmanaged', link: LINK });
    const info = await ssm().send(new DescribeInstanceInformationCommand({}));
    expect(info.InstanceInformationList).toEqual([]);
    await expect(
      ssm().send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [gateway(w)],
          Parameters: { commands: ['systemctl restart ipsec'] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInstanceId' });
  });

  it('ipsec-dies not restartable: the restart command fails with exit code 1 and IPsec stays dead', async () => {
    const w = await quietWorld({ config: withGateway({ restartCommand: 'systemctl restart ipsec' }) });
    const id = gateway(w);
    w.inject({ type: 'ipsec-dies', link: LINK, restartable: false });
    const sent = await ssm().send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [id],
        Parameters: { commands: ['systemctl restart ipsec'] },
      }),
    );
    await w.advance(w.timing.asg.ipsecStartSeconds + 2);
    const done = await ssm().send(
      new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: id }),
    );
    expect(done).toMatchObject({ Status: 'Failed', ResponseCode: 1 });
    expect(w.ec2.instances.get(id)?.ipsec).toBe('dead');
  });

  it('a command to a stopped managed instance waits and times out on delivery', async () => {
    const w = await quietWorld();
    const id = gateway(w);
    w.inject({ type: 'asg-processes-suspended', link: LINK, processes: ['HealthCheck'] });
    w.inject({ type: 'instance-killed', link: LINK, how: 'stop' });
    await w.advance(w.timing.asg.shutdownSeconds);
    const sent = await ssm().send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [id],
        Parameters: { commands: ['true'] },
        TimeoutSeconds: 60,
      }),
    );
    await w.advance(30);
    const waiting = await ssm().send(
      new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: id }),
    );
    await w.advance(45);
    const done = await ssm().send(
      new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: id }),
    );
    expect(waiting.Status).toBe('Pending');
    expect(done).toMatchObject({ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut' });
  });
});

describe('fault validation', () => {
  it('names the field of a bad new fault', () => {
    const issues = (value: unknown) =>
      FaultSchema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ type: 'instance-killed', link: LINK, how: 'reboot' })).toEqual([
      'how: must be "terminate" or "stop"',
    ]);
    expect(issues({ type: 'asg-processes-suspended', link: LINK, processes: ['Lunch'] })[0]).toMatch(
      /^processes\.0: must be one of Launch, Terminate/,
    );
    expect(issues({ type: 'asg-lifecycle-hook', link: LINK, heartbeatSeconds: 10 })).toEqual([
      'heartbeatSeconds: must be at least 30 seconds',
    ]);
    expect(issues({ type: 'gateway-multi-eni', link: LINK, interfaces: 1 })).toEqual([
      'interfaces: must be at least 2 interfaces',
    ]);
    expect(issues({ type: 'asg-activity-in-progress', link: LINK })[0]).toMatch(/^kind: /);
  });
});
