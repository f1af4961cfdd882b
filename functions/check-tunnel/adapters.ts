/** The EC2 call check-tunnel makes, mapped to our own types. */
import { DescribeVpnConnectionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { VpnConnectionTelemetry } from './telemetry.ts';
import type { TunnelStatus } from './types.ts';

/**
 * Tunnel telemetry of the given connections in the client's Region. Filters by id rather than
 * passing VpnConnectionIds, so one unknown id yields a missing connection instead of failing the
 * whole Region's read (InvalidVpnConnectionID.NotFound).
 */
export async function describeVpnTelemetry(
  client: EC2Client,
  vpnConnectionIds: readonly string[],
  { signal }: { signal?: AbortSignal } = {},
): Promise<VpnConnectionTelemetry[]> {
  const output = await client.send(
    new DescribeVpnConnectionsCommand({
      Filters: [{ Name: 'vpn-connection-id', Values: [...vpnConnectionIds] }],
    }),
    { abortSignal: signal },
  );
  return (output.VpnConnections ?? []).map((connection) => ({
    vpnConnectionId: connection.VpnConnectionId ?? '',
    state: connection.State ?? 'unknown',
    tunnels: (connection.VgwTelemetry ?? []).map((tunnel) => ({
      outsideIpAddress: tunnel.OutsideIpAddress ?? '',
      status: (tunnel.Status === 'UP' ? 'UP' : 'DOWN') satisfies TunnelStatus,
      statusMessage: tunnel.StatusMessage ?? '',
      lastStatusChange: tunnel.LastStatusChange ? new Date(tunnel.LastStatusChange).toISOString() : null,
    })),
  }));
}
