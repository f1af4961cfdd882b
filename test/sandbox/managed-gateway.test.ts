/**
 * The managed gateway in the world: a new instance runs the real boot program against the simulated
 * AWS, with its calls authorized against the instance role the stack synthesizes, and boots with the
 * pre-shared keys the VPN connection has at its launch.
 */
import { DescribeVpnConnectionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { type CallerContext, callerContext } from '#sandbox/world/calls.ts';
import type { World } from '#sandbox/world/world.ts';
import { GatewayConfigRecordSchema } from '#shared/gateway-config-record.ts';
import { config, GROUP, LINK, quietWorlds, VPN_REGION } from './support.ts';

const managedGateway = {
  subnetIds: ['subnet-0c1d2e3f4a5b60718'],
  vpcCidr: '10.0.0.0/16',
  tunnelOutsideIpAddresses: ['198.51.100.1', '198.51.100.2'],
  lifecycleHookHeartbeatSeconds: 600,
};

function managedConfig(): { links: Record<string, unknown>[] } {
  const copy = structuredClone(config);
  copy.links[0].managedGateway = managedGateway;
  return copy;
}

const quietWorld = quietWorlds();

/** The instance the group launched after the seeded one (its first replacement). */
function replacement(world: World): string {
  const id = world.asg.group(GROUP).launched[1];
  if (!id) throw new Error('the group launched no replacement');
  return id;
}

async function currentKeys(): Promise<string[]> {
  const output = await new EC2Client({ region: VPN_REGION }).send(new DescribeVpnConnectionsCommand({}));
  return (output.VpnConnections?.[0]?.Options?.TunnelOptions ?? []).map((t) => String(t.PreSharedKey));
}

describe('a managed gateway instance boots itself', () => {
  it('renders at launch, claims the address and routes, and completes its hook, every call allowed by the instance role', async () => {
    const world = await quietWorld({ config: managedConfig() });
    world.inject({ type: 'gateway-instance-dies', link: LINK });
    await world.runUntil(8 * 60);
    const instance = replacement(world);
    expect(world.managedGateways.bootOf(instance)).toMatchObject({
      outcome: 'in-service',
      instanceId: instance,
    });
    expect(world.linkStatus(LINK).healthy).toBe(true);

    const calls = world.calls.all().filter((c) => c.caller?.via === 'instance');
    expect(calls.filter((c) => c.error)).toEqual([]);
    expect([...new Set(calls.map((c) => `${c.service}:${c.command}`))].sort()).toEqual([
      'autoscaling:CompleteLifecycleAction',
      'ec2:AssociateAddress',
      'ec2:ModifyNetworkInterfaceAttribute',
      'ec2:ReplaceRoute',
      'ssm:GetParameter',
    ]);
    // gateway-config wrote the record for this instance, through its own role.
    const put = world.calls.filter({ command: 'PutParameter' });
    expect(put.map((c) => [c.caller?.functionId, c.error])).toEqual([['gateway-config', undefined]]);
    const record = GatewayConfigRecordSchema.parse(
      JSON.parse(String(world.parameters.valueOf('us-east-1', `/vpn-guard/${LINK}/libreswan`))),
    );
    expect(record).toMatchObject({ status: 'rendered', instanceId: instance });
    // The secrets on disk hold the VPN's current keys, 0600; the conf holds none.
    const files = world.managedGateways.filesOf(instance);
    const secrets = files?.get('/etc/ipsec.secrets');
    expect(secrets?.mode).toBe(0o600);
    for (const key of await currentKeys()) {
      expect(secrets?.content).toContain(key);
      expect(files?.get('/etc/ipsec.conf')?.content).not.toContain(key);
    }
  });

  it('fails as AWS would when the instance role lacks a grant: boot abandons and the group tries again', async () => {
    const world = await quietWorld({
      config: managedConfig(),
      iam: { revoke: [{ principal: `instance:${LINK}`, action: 'ec2:AssociateAddress' }] },
    });
    world.inject({ type: 'gateway-instance-dies', link: LINK });
    await world.runUntil(6 * 60);
    const instance = replacement(world);
    expect(world.managedGateways.bootOf(instance)).toMatchObject({
      outcome: 'abandoned',
      step: 'claim-address',
    });
    expect(
      world.calls.filter({ command: 'AssociateAddress', error: 'UnauthorizedOperation' }).length,
    ).toBeGreaterThan(0);
    // ABANDON: terminated, and the group launched another.
    expect(world.asg.group(GROUP).launched.length).toBeGreaterThanOrEqual(3);
    expect(world.linkStatus(LINK).healthy).toBe(false);
  });

  it("cannot read another link's rendered config", async () => {
    const two = managedConfig();
    const second = structuredClone(two.links[0]) as Record<string, Record<string, unknown>>;
    Object.assign(second, { name: 'home-to-east' });
    second.gateway = {
      ...second.gateway,
      autoScalingGroupName: 'vpn-gateway-east',
      elasticIpAllocationId: 'eipalloc-0b1c2d3e4f5a60718',
      routeTableIds: ['rtb-0c1d2e3f4a5b60718'],
      remoteCidrs: ['10.30.0.0/16'],
    };
    second.vpn = { ...second.vpn, vpnConnectionIds: ['vpn-0b1c2d3e4f5a60718'] };
    two.links.push(second);
    const world = await quietWorld({ config: two });
    const caller: CallerContext = {
      functionId: 'gateway-instance',
      invocationId: 1,
      via: 'instance',
      link: LINK,
    };
    const read = (name: string) =>
      callerContext.run(caller, () =>
        new SSMClient({ region: 'us-east-1' }).send(
          new GetParameterCommand({ Name: name, WithDecryption: true }),
        ),
      );
    await expect(read('/vpn-guard/home-to-east/libreswan')).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    // Its own is allowed (and absent until a launch renders it).
    await expect(read(`/vpn-guard/${LINK}/libreswan`)).rejects.toMatchObject({ name: 'ParameterNotFound' });
    expect(world.calls.filter({ command: 'GetParameter' }).map((c) => c.error?.name)).toEqual([
      'AccessDeniedException',
      'ParameterNotFound',
    ]);
  });
});

describe('a rotated pre-shared key', () => {
  it("takes the old instance's tunnels down, and the next instance boots with the new key", async () => {
    const world = await quietWorld({ config: managedConfig() });
    const before = await currentKeys();
    world.inject({ type: 'vpn-psk-rotated', link: LINK });
    await world.runUntil(2 * 60);
    expect(world.linkStatus(LINK).healthy).toBe(false);
    const after = await currentKeys();
    expect(after).not.toEqual(before);
    world.inject({ type: 'gateway-instance-dies', link: LINK });
    await world.runUntil(10 * 60);
    const instance = replacement(world);
    const secrets = world.managedGateways.filesOf(instance)?.get('/etc/ipsec.secrets')?.content ?? '';
    for (const key of after) expect(secrets).toContain(key);
    for (const key of before) expect(secrets).not.toContain(key);
    expect(world.linkStatus(LINK).healthy).toBe(true);
  });
});
