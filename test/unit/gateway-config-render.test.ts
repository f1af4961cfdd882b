/**
 * gateway-config's pure render: the record a booting instance reads, from the link and the VPN
 * connection as describe-vpn-connections returns it (the renderer's own fixtures).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderGatewayRecord } from '#functions/gateway-config/render.ts';
import { type LinkConfig, parseConfig } from '#shared/config.ts';
import { GatewayConfigRecordSchema } from '#shared/gateway-config-record.ts';
import { renderLibreswan, type VpnConnectionInput } from '../../gateway/render/index.ts';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/vpn-connections/defaults.json', import.meta.url), 'utf8'),
) as { VpnConnections: VpnConnectionInput[] };
const vpn = fixture.VpnConnections[0] as VpnConnectionInput;
const vpnId = vpn.VpnConnectionId ?? '';
const outside = (vpn.Options?.TunnelOptions ?? []).map((t) => t.OutsideIpAddress ?? '');

/** The example's JSON, as far as these tests edit it. */
interface RawConfig {
  links: { vpn: { vpnConnectionIds: string[] }; managedGateway: { tunnelOutsideIpAddresses: string[] } }[];
}

function managedLink(patch: (raw: RawConfig) => void = () => {}): LinkConfig {
  const raw: RawConfig = JSON.parse(
    readFileSync(new URL('../../config/example-managed-gateway.json', import.meta.url), 'utf8'),
  );
  const [first] = raw.links;
  if (!first) throw new Error('no link');
  first.vpn.vpnConnectionIds = [vpnId];
  first.managedGateway.tunnelOutsideIpAddresses = outside;
  patch(raw);
  const link = parseConfig(raw).links[0];
  if (!link) throw new Error('no link');
  return link;
}

const NOW = new Date('2026-12-01T12:00:00Z');
const INSTANCE = 'i-0123456789abcdef0';

describe('renderGatewayRecord', () => {
  it('renders the connection for the launching instance, with its keys in the secrets and the link CIDRs as selectors', () => {
    const record = renderGatewayRecord({
      link: managedLink(),
      instanceId: INSTANCE,
      vpnConnections: [vpn],
      render: renderLibreswan,
      now: NOW,
    });
    expect(GatewayConfigRecordSchema.parse(record)).toEqual(record);
    if (record.status !== 'rendered') throw new Error(`not rendered: ${JSON.stringify(record)}`);
    expect(record).toMatchObject({ instanceId: INSTANCE, link: 'home-to-west', vpnConnectionId: vpnId });
    expect(record.renderedAt).toBe(NOW.toISOString());
    for (const tunnel of vpn.Options?.TunnelOptions ?? []) {
      expect(record.secrets).toContain(String(tunnel.PreSharedKey));
      expect(record.conf).not.toContain(String(tunnel.PreSharedKey));
    }
    expect(record.conf).toContain('10.10.0.0/16');
    expect(record.conf).toContain('10.20.0.0/16');
  });

  it('fails the record, naming the config field, when the VPN has tunnel addresses the security group does not admit', () => {
    const record = renderGatewayRecord({
      link: managedLink((raw) => {
        for (const link of raw.links)
          link.managedGateway.tunnelOutsideIpAddresses = ['192.0.2.1', '192.0.2.2'];
      }),
      instanceId: INSTANCE,
      vpnConnections: [vpn],
      render: renderLibreswan,
      now: NOW,
    });
    expect(record).toMatchObject({ status: 'failed', instanceId: INSTANCE });
    expect(record.status === 'failed' && record.error).toMatch(/managedGateway\.tunnelOutsideIpAddresses/);
  });

  it('fails the record when the connection is missing or not available', () => {
    const base = { link: managedLink(), instanceId: INSTANCE, render: renderLibreswan, now: NOW };
    const missing = renderGatewayRecord({ ...base, vpnConnections: [] });
    expect(missing.status === 'failed' && missing.error).toMatch(/not found in us-west-2/);
    const deleted = renderGatewayRecord({ ...base, vpnConnections: [{ ...vpn, State: 'deleted' }] });
    expect(deleted.status === 'failed' && deleted.error).toMatch(/is deleted, not available/);
  });

  it("passes the renderer's refusal on with its field and fix, and no key", () => {
    const dh2Only: VpnConnectionInput = {
      ...vpn,
      Options: {
        ...vpn.Options,
        TunnelOptions: (vpn.Options?.TunnelOptions ?? []).map((t) => ({
          ...t,
          Phase1DHGroupNumbers: [{ Value: 2 }],
          Phase2DHGroupNumbers: [{ Value: 2 }],
        })),
      },
    };
    const record = renderGatewayRecord({
      link: managedLink(),
      instanceId: INSTANCE,
      vpnConnections: [dh2Only],
      render: renderLibreswan,
      now: NOW,
    });
    expect(record.status).toBe('failed');
    const error = record.status === 'failed' ? record.error : '';
    expect(error).toMatch(/cannot be rendered: .*Fix:/);
    for (const tunnel of vpn.Options?.TunnelOptions ?? [])
      expect(error).not.toContain(String(tunnel.PreSharedKey));
  });
});
