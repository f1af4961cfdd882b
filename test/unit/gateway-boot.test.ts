/**
 * The managed gateway's boot sequence with its side effects recorded: what it waits for, what it
 * writes, what it claims, and how it ends the launch hook.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayConfigRecord } from '#shared/gateway-config-record.ts';
import { type BootDeps, bootGateway } from '../../gateway/boot/boot.ts';
import { countEstablishedTunnels } from '../../gateway/boot/host.ts';
import { type BootSettings, BootSettingsSchema } from '../../gateway/boot/settings.ts';

const SELF = 'i-0aaaaaaaaaaaaaaaa';
const OLD = 'i-0bbbbbbbbbbbbbbbb';
const settings: BootSettings = BootSettingsSchema.parse({
  link: 'home-to-west',
  region: 'us-east-1',
  parameterName: '/vpn-guard/home-to-west/libreswan',
  autoScalingGroupName: 'vpn-gateway-home',
  lifecycleHookName: 'vpn-guard-gateway-boot',
  elasticIpAllocationId: 'eipalloc-0a1b2c3d4e5f60718',
  elasticIpDeviceIndex: 0,
  routeDeviceIndex: 1,
  routeTableIds: ['rtb-0a1b2c3d4e5f60718', 'rtb-0b1c2d3e4f5a60718'],
  remoteCidrs: ['10.20.0.0/16'],
  minTunnelsUp: 1,
  renderWaitSeconds: 60,
  tunnelWaitSeconds: 60,
  pollSeconds: 5,
});

type Rendered = Extract<GatewayConfigRecord, { status: 'rendered' }>;

const rendered = (instanceId: string, key = 'Tunnel1.Key_abcdefgh'): Rendered => ({
  version: 1,
  status: 'rendered',
  link: 'home-to-west',
  instanceId,
  renderedAt: '2026-12-01T12:00:00.000Z',
  vpnConnectionId: 'vpn-0a1b2c3d4e5f60001',
  conf: 'config setup\nconn home-to-west-tunnel1\n',
  secrets: `%any 203.0.113.11 : PSK "${key}"\n`,
});

/** A fake instance: the parameter answers `records` in turn (the last one repeats). */
function world(options: { records: (GatewayConfigRecord | undefined)[]; tunnelsAfterPolls?: number }) {
  const calls: string[] = [];
  const files = new Map<string, { content: string; mode: number }>();
  let reads = 0;
  let tunnelPolls = 0;
  let slept = 0;
  const deps: BootDeps = {
    metadata: {
      instanceId: SELF,
      interfaces: [
        { deviceIndex: 0, interfaceId: 'eni-0000000000000000a' },
        { deviceIndex: 1, interfaceId: 'eni-0000000000000000b' },
      ],
    },
    aws: {
      async readGatewayConfig(name) {
        calls.push(`GetParameter ${name}`);
        const record = options.records[Math.min(reads++, options.records.length - 1)];
        return record === undefined ? undefined : JSON.stringify(record);
      },
      async associateAddress(allocationId, eni) {
        calls.push(`AssociateAddress ${allocationId} ${eni}`);
      },
      async disableSourceDestCheck(eni) {
        calls.push(`SourceDestCheck off ${eni}`);
      },
      async pointRoute(table, cidr, eni) {
        calls.push(`Route ${table} ${cidr} ${eni}`);
        return table === 'rtb-0b1c2d3e4f5a60718' ? 'created' : 'replaced';
      },
      async completeLifecycleAction(result) {
        calls.push(`CompleteLifecycleAction ${result}`);
      },
    },
    host: {
      async writeFile(path, content, mode) {
        calls.push(`write ${path}`);
        files.set(path, { content, mode });
      },
      async enableForwarding() {
        calls.push('forwarding on');
      },
      async startIpsec() {
        calls.push('ipsec start');
      },
      async tunnelsUp() {
        tunnelPolls++;
        return tunnelPolls >= (options.tunnelsAfterPolls ?? 1) ? 1 : 0;
      },
    },
    sleep: async (seconds) => {
      slept += seconds;
    },
    log: () => {},
  };
  return { deps, calls, files, slept: () => slept };
}

describe('bootGateway', () => {
  it("waits past a predecessor's record for its own, then configures itself and completes the hook with CONTINUE", async () => {
    const { deps, calls, files } = world({
      records: [undefined, rendered(OLD, 'Old.Key_abcdefgh'), rendered(SELF)],
      tunnelsAfterPolls: 3,
    });
    const result = await bootGateway(settings, deps);
    expect(result).toEqual({ outcome: 'in-service', instanceId: SELF, tunnelsUp: 1 });
    expect(calls.filter((c) => !c.startsWith('GetParameter'))).toEqual([
      'write /etc/ipsec.secrets',
      'write /etc/ipsec.conf',
      'AssociateAddress eipalloc-0a1b2c3d4e5f60718 eni-0000000000000000a',
      'SourceDestCheck off eni-0000000000000000a',
      'SourceDestCheck off eni-0000000000000000b',
      'Route rtb-0a1b2c3d4e5f60718 10.20.0.0/16 eni-0000000000000000b',
      'Route rtb-0b1c2d3e4f5a60718 10.20.0.0/16 eni-0000000000000000b',
      'forwarding on',
      'ipsec start',
      'CompleteLifecycleAction CONTINUE',
    ]);
    expect(calls.filter((c) => c.startsWith('GetParameter'))).toHaveLength(3);
    // The render for this instance, never the predecessor's (possibly rotated-away) key.
    expect(files.get('/etc/ipsec.secrets')).toEqual({ content: rendered(SELF).secrets, mode: 0o600 });
    expect(files.get('/etc/ipsec.conf')?.mode).toBe(0o644);
  });

  it('keeps polling through a failed read, and abandons only at the deadline', async () => {
    const { deps, calls } = world({ records: [rendered(SELF)] });
    let reads = 0;
    const read = deps.aws.readGatewayConfig;
    const flaky: typeof deps = {
      ...deps,
      aws: {
        ...deps.aws,
        readGatewayConfig: async (name) => {
          reads++;
          if (reads === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
          return read(name);
        },
      },
    };
    expect(await bootGateway(settings, flaky)).toMatchObject({ outcome: 'in-service' });
    expect(reads).toBe(2);
    expect(calls.at(-1)).toBe('CompleteLifecycleAction CONTINUE');

    const { deps: down } = world({ records: [rendered(SELF)] });
    const failing: typeof down = {
      ...down,
      aws: {
        ...down.aws,
        readGatewayConfig: async () => {
          throw Object.assign(new Error('unavailable'), { name: 'InternalServerError' });
        },
      },
    };
    const result = await bootGateway(settings, failing);
    expect(result.outcome === 'abandoned' && result.error).toMatch(
      /last seen: a failed read \(InternalServerError\)/,
    );
  });

  it('abandons at once on a failed render, claiming nothing', async () => {
    const failed: GatewayConfigRecord = {
      version: 1,
      status: 'failed',
      link: 'home-to-west',
      instanceId: SELF,
      renderedAt: '2026-12-01T12:00:00.000Z',
      error: 'VPN connection vpn-0a1b2c3d4e5f60001 is deleted, not available',
    };
    const { deps, calls } = world({ records: [failed] });
    const result = await bootGateway(settings, deps);
    expect(result).toMatchObject({ outcome: 'abandoned', step: 'wait-for-config' });
    expect(result.outcome === 'abandoned' && result.error).toMatch(/is deleted/);
    expect(calls).toEqual([
      'GetParameter /vpn-guard/home-to-west/libreswan',
      'CompleteLifecycleAction ABANDON',
    ]);
  });

  it('abandons when no render for it arrives within renderWaitSeconds', async () => {
    const { deps, calls, slept } = world({ records: [rendered(OLD)] });
    const result = await bootGateway(settings, deps);
    expect(result).toMatchObject({ outcome: 'abandoned', step: 'wait-for-config' });
    expect(result.outcome === 'abandoned' && result.error).toMatch(
      /last seen: a record for i-0bbbbbbbbbbbbbbbb/,
    );
    expect(slept()).toBeLessThanOrEqual(settings.renderWaitSeconds);
    expect(calls.at(-1)).toBe('CompleteLifecycleAction ABANDON');
    expect(calls.some((c) => c.startsWith('AssociateAddress'))).toBe(false);
  });

  it('abandons when the tunnels do not come up in tunnelWaitSeconds', async () => {
    const { deps, calls } = world({ records: [rendered(SELF)], tunnelsAfterPolls: 1000 });
    const result = await bootGateway(settings, deps);
    expect(result).toMatchObject({ outcome: 'abandoned', step: 'wait-for-tunnels' });
    expect(calls.at(-1)).toBe('CompleteLifecycleAction ABANDON');
    expect(calls).not.toContain('CompleteLifecycleAction CONTINUE');
  });

  it('abandons, naming the field, when the configured device index has no interface', async () => {
    const { deps } = world({ records: [rendered(SELF)] });
    const result = await bootGateway({ ...settings, routeDeviceIndex: 3 }, deps);
    expect(result.outcome === 'abandoned' && result.error).toMatch(
      /device index 3 \(gateway\.routeDeviceIndex\)/,
    );
  });

  it('refuses a record that is not a valid render, without echoing its values', async () => {
    const { deps } = world({ records: [{ ...rendered(SELF), secrets: '' }] });
    const result = await bootGateway(settings, deps);
    expect(result).toMatchObject({ outcome: 'abandoned', step: 'wait-for-config' });
    expect(result.outcome === 'abandoned' && result.error).toMatch(/not valid \(secrets\)/);
  });
});

describe('countEstablishedTunnels', () => {
  it('counts connections with an IPsec SA in `ipsec trafficstatus` output, once each', () => {
    const output = [
      '006 #3: "home-to-west-tunnel1", type=ESP, add_time=1733050000, inBytes=0, outBytes=0, maxBytes=2^63B, id=\'203.0.113.11\'',
      '006 #5: "home-to-west-tunnel1", type=ESP, add_time=1733050100, inBytes=0, outBytes=0, maxBytes=2^63B, id=\'203.0.113.11\'',
      '006 #4: "home-to-west-tunnel2", type=ESP, add_time=1733050000, inBytes=0, outBytes=0, maxBytes=2^63B, id=\'203.0.113.12\'',
    ].join('\n');
    expect(countEstablishedTunnels(output)).toBe(2);
    expect(countEstablishedTunnels('')).toBe(0);
  });
});
