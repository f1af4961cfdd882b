import { DescribeVpnConnectionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkTunnels } from '#functions/check-tunnel/check.ts';
import {
  connectionReport,
  evaluateLink,
  type VpnConnectionTelemetry,
} from '#functions/check-tunnel/telemetry.ts';
import type { LinkTunnelDetail, TunnelCheckResult } from '#functions/check-tunnel/types.ts';
import { localLambdaContext } from '#sandbox/local-sfn.ts';
import { AwsThrottledError, InvalidInputError, TunnelCheckError } from '#shared/errors.ts';
import { logger } from '#shared/powertools.ts';
import { twoLinkConfig } from '../fixtures/config.ts';

const up = (ip: string) => ({
  outsideIpAddress: ip,
  status: 'UP' as const,
  statusMessage: '',
  lastStatusChange: null,
});
const down = (ip: string) => ({ ...up(ip), status: 'DOWN' as const, statusMessage: 'IPSEC IS DOWN' });
const connection = (id: string, tunnels: VpnConnectionTelemetry['tunnels'], state = 'available') => ({
  vpnConnectionId: id,
  state,
  tunnels,
});
const throttled = () => Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' });

describe('tunnel evaluation', () => {
  const config = twoLinkConfig();
  const [west, eu] = config.links;
  if (!west || !eu) throw new Error('fixture needs two links');

  it('counts UP tunnels across a link’s connections and compares them with minTunnelsUp', () => {
    // Act
    const result = evaluateLink(eu, {
      ok: true,
      latencyMs: 12,
      connections: [
        connection('vpn-0bbbbbbbbbbbbbbbb', [up('1.1.1.1'), down('1.1.1.2')]),
        connection('vpn-0cccccccccccccccc', [up('2.2.2.1'), up('2.2.2.2')]),
      ],
    }) as LinkTunnelDetail;
    // Assess
    expect(result).toMatchObject({
      ok: true,
      tunnelsUp: 3,
      tunnelsTotal: 4,
      minTunnelsUp: 2,
      healthy: true,
    });
    // The call's latency is the Region's figure (RegionCheck), not copied onto each link.
    expect('latencyMs' in result).toBe(false);
  });

  it('counts a missing connection as zero tunnels up', () => {
    const result = evaluateLink(eu, {
      ok: true,
      latencyMs: 5,
      connections: [connection('vpn-0bbbbbbbbbbbbbbbb', [up('1.1.1.1'), down('1.1.1.2')])],
    }) as LinkTunnelDetail;
    expect(result.tunnelsUp).toBe(1);
    expect(result.healthy).toBe(false);
    expect(result.connections[1]).toEqual({
      vpnConnectionId: 'vpn-0cccccccccccccccc',
      state: 'missing',
      tunnels: [],
      tunnelsUp: 0,
    });
  });

  it('counts a connection that is not available as zero tunnels up even with stale UP telemetry', () => {
    expect(connectionReport('vpn-1', connection('vpn-1', [up('a'), up('b')], 'deleting')).tunnelsUp).toBe(0);
    expect(connectionReport('vpn-1', connection('vpn-1', [up('a'), up('b')], 'pending')).tunnelsUp).toBe(0);
  });

  it('reports a failed Region read as a collection failure, not as tunnels down', () => {
    const result = evaluateLink(west, {
      ok: false,
      latencyMs: 40,
      error: { name: 'RequestLimitExceeded', message: 'slow down' },
    });
    expect(result).toEqual({
      link: 'home-to-west',
      region: 'us-west-2',
      ok: false,
      error: { name: 'RequestLimitExceeded', message: 'slow down' },
    });
    expect('tunnelsUp' in result).toBe(false);
  });

  it('makes one call per Region for all links and keeps the healthy Region’s figures when another fails', async () => {
    // Prepare
    const calls: [string, readonly string[]][] = [];
    let clock = 0;
    // Act
    const { result } = await checkTunnels(config.links, {
      describe: async (region, ids) => {
        calls.push([region, ids]);
        clock += 25;
        if (region === 'eu-west-1') throw throttled();
        return [connection('vpn-0a1b2c3d4e5f60718', [up('3.3.3.1'), down('3.3.3.2')])];
      },
      elapsedMs: () => clock,
      now: () => new Date('2026-11-26T12:00:00Z'),
    });
    // Assess
    expect(calls).toEqual([
      ['us-west-2', ['vpn-0a1b2c3d4e5f60718']],
      ['eu-west-1', ['vpn-0bbbbbbbbbbbbbbbb', 'vpn-0cccccccccccccccc']],
    ]);
    expect(result.checkedAt).toBe('2026-11-26T12:00:00.000Z');
    // One collection figure per Region: its success and the latency of its one call.
    expect(result.regions).toEqual([
      { region: 'us-west-2', ok: true, latencyMs: 50 },
      {
        region: 'eu-west-1',
        ok: false,
        latencyMs: 25,
        error: { name: 'RequestLimitExceeded', message: 'Request limit exceeded.' },
      },
    ]);
    expect(result.links[0]).toMatchObject({ link: 'home-to-west', ok: true, tunnelsUp: 1, healthy: true });
    expect(result.links[1]).toMatchObject({
      link: 'home-to-eu',
      ok: false,
      error: { name: 'RequestLimitExceeded' },
    });
  });

  it('throws AwsThrottledError when every Region is throttled, so the state machine retries', async () => {
    const deps = {
      describe: async () => Promise.reject(throttled()),
      elapsedMs: () => 0,
      now: () => new Date(),
    };
    await expect(checkTunnels(config.links, deps)).rejects.toBeInstanceOf(AwsThrottledError);
  });

  it('throws TunnelCheckError when every Region fails for another reason', async () => {
    const unavailable = Object.assign(new Error('Service Unavailable'), { name: 'Unavailable' });
    const deps = {
      describe: async () => Promise.reject(unavailable),
      elapsedMs: () => 0,
      now: () => new Date(),
    };
    await expect(checkTunnels(config.links, deps)).rejects.toThrow(TunnelCheckError);
  });
});

describe('check-tunnel handler', () => {
  const ec2 = mockClient(EC2Client);
  const config = twoLinkConfig();

  beforeEach(() => {
    ec2.reset();
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(config));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('asks each VPN Region for its links’ connections by id filter and maps the telemetry', async () => {
    // Prepare
    ec2.on(DescribeVpnConnectionsCommand).callsFake(async (input, getClient) => {
      const region = await getClient().config.region();
      const ids: string[] = input.Filters?.[0]?.Values ?? [];
      return {
        VpnConnections: ids.map((id) => ({
          VpnConnectionId: id,
          State: 'available',
          VgwTelemetry: [
            {
              OutsideIpAddress: `${region}-1`,
              Status: 'UP',
              StatusMessage: '',
              LastStatusChange: new Date('2026-11-26T10:00:00Z'),
            },
            { OutsideIpAddress: `${region}-2`, Status: 'DOWN', StatusMessage: 'IPSEC IS DOWN' },
          ],
        })),
      };
    });
    const { handler } = await import('#functions/check-tunnel/handler.ts');
    const info = vi.spyOn(logger, 'info');
    // Act
    const result = (await handler(
      { executionId: 'exec-1' },
      localLambdaContext('arn:aws:lambda:us-east-1:1:function:ct'),
    )) as TunnelCheckResult;
    // Assess
    const calls = ec2.commandCalls(DescribeVpnConnectionsCommand);
    expect(calls.map((call) => call.args[0].input)).toEqual([
      { Filters: [{ Name: 'vpn-connection-id', Values: ['vpn-0a1b2c3d4e5f60718'] }] },
      {
        Filters: [{ Name: 'vpn-connection-id', Values: ['vpn-0bbbbbbbbbbbbbbbb', 'vpn-0cccccccccccccccc'] }],
      },
    ]);
    const regions = await Promise.all(calls.map((call) => (call.thisValue as EC2Client).config.region()));
    expect(regions).toEqual(['us-west-2', 'eu-west-1']);
    expect(result.links[0]).toMatchObject({
      link: 'home-to-west',
      ok: true,
      tunnelsUp: 1,
      tunnelsTotal: 2,
      healthy: true,
    });
    expect(result.links[1]).toMatchObject({
      link: 'home-to-eu',
      ok: true,
      tunnelsUp: 2,
      tunnelsTotal: 4,
      healthy: true,
    });
    // The state machine gets the figures only; the per-tunnel detail goes to the function's log.
    expect(Object.keys(result.links[0] ?? {}).sort()).toEqual([
      'healthy',
      'link',
      'minTunnelsUp',
      'ok',
      'region',
      'tunnelsTotal',
      'tunnelsUp',
    ]);
    expect(result.regions.map((region) => [region.region, region.ok])).toEqual([
      ['us-west-2', true],
      ['eu-west-1', true],
    ]);
    const logged = info.mock.calls.find(
      ([message, extra]) =>
        message === 'tunnels not all up' &&
        (extra as { detail: LinkTunnelDetail }).detail.link === 'home-to-west',
    );
    const detail = (logged?.[1] as { detail: LinkTunnelDetail } | undefined)?.detail;
    expect(detail?.connections[0]?.tunnels[0]).toEqual({
      outsideIpAddress: 'us-west-2-1',
      status: 'UP',
      statusMessage: '',
      lastStatusChange: '2026-11-26T10:00:00.000Z',
    });
  });

  it('rejects an unknown link name before calling AWS', async () => {
    const { handler } = await import('#functions/check-tunnel/handler.ts');
    await expect(
      handler({ links: ['nope'] }, localLambdaContext('arn:aws:lambda:us-east-1:1:function:ct')),
    ).rejects.toBeInstanceOf(InvalidInputError);
    expect(ec2.calls()).toHaveLength(0);
  });
});
