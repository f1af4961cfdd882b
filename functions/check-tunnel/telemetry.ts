/**
 * Pure tunnel evaluation: from the VPN connections a Region reported to each link's tunnel figures.
 * No SDK types here; the adapter maps DescribeVpnConnections into {@link VpnConnectionTelemetry}.
 */
import type { LinkConfig } from '#shared/config.ts';
import { capMessage, ERROR_NAME_MAX_CHARS, FAILURE_MESSAGE_MAX_CHARS } from '#shared/state-size.ts';
import type { ConnectionReport, LinkTunnelDetail, LinkTunnelsFailed, TunnelReport } from './types.ts';

/** One VPN connection as the adapter reads it. */
export interface VpnConnectionTelemetry {
  readonly vpnConnectionId: string;
  readonly state: string;
  readonly tunnels: readonly TunnelReport[];
}

/** What one Region's DescribeVpnConnections call produced. */
export type RegionReading =
  | { readonly ok: true; readonly latencyMs: number; readonly connections: readonly VpnConnectionTelemetry[] }
  | {
      readonly ok: false;
      readonly latencyMs: number;
      readonly error: { readonly name: string; readonly message: string };
    };

/** Two tunnels per Site-to-Site VPN connection, by AWS's design. */
export const TUNNELS_PER_CONNECTION = 2;

/**
 * A connection's report. A connection that is missing or not `available` counts as zero tunnels
 * up whatever its telemetry says: AWS keeps stale telemetry on deleted connections.
 */
export function connectionReport(id: string, found: VpnConnectionTelemetry | undefined): ConnectionReport {
  if (!found) return { vpnConnectionId: id, state: 'missing', tunnels: [], tunnelsUp: 0 };
  const tunnelsUp =
    found.state === 'available' ? found.tunnels.filter((tunnel) => tunnel.status === 'UP').length : 0;
  return { vpnConnectionId: id, state: found.state, tunnels: found.tunnels, tunnelsUp };
}

/** One link's figures (with their per-connection detail) from its Region's reading. */
export function evaluateLink(link: LinkConfig, reading: RegionReading): LinkTunnelDetail | LinkTunnelsFailed {
  const base = { link: link.name, region: link.vpn.region };
  if (!reading.ok) {
    // One copy per link of the Region: cut shorter than the Region's own (regions[] has it whole).
    const { name, message } = reading.error;
    const error = {
      name: capMessage(name, ERROR_NAME_MAX_CHARS),
      message: capMessage(message, FAILURE_MESSAGE_MAX_CHARS),
    };
    return { ...base, ok: false, error };
  }
  const byId = new Map(reading.connections.map((connection) => [connection.vpnConnectionId, connection]));
  const connections = link.vpn.vpnConnectionIds.map((id) => connectionReport(id, byId.get(id)));
  const tunnelsUp = connections.reduce((sum, connection) => sum + connection.tunnelsUp, 0);
  return {
    ...base,
    ok: true,
    tunnelsUp,
    tunnelsTotal: link.vpn.vpnConnectionIds.length * TUNNELS_PER_CONNECTION,
    minTunnelsUp: link.vpn.minTunnelsUp,
    healthy: tunnelsUp >= link.vpn.minTunnelsUp,
    connections,
  };
}

/** The connection ids to ask each Region for: one call per Region per tick covers every link. */
export function connectionIdsByRegion(links: readonly LinkConfig[]): Map<string, string[]> {
  const byRegion = new Map<string, string[]>();
  for (const link of links) {
    const ids = byRegion.get(link.vpn.region) ?? [];
    for (const id of link.vpn.vpnConnectionIds) if (!ids.includes(id)) ids.push(id);
    byRegion.set(link.vpn.region, ids);
  }
  return byRegion;
}
