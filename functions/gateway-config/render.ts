/**
 * The pure part of gateway-config: from the link, the instance that is launching and the VPN
 * connection as DescribeVpnConnections returned it, the record its boot will read. A problem the
 * instance cannot fix (the connection missing or deleted, tunnel addresses the security group does
 * not admit, input the renderer refuses) becomes a `failed` record, so boot abandons the launch at
 * once with the reason instead of waiting out its hook.
 */
import type { LinkConfig } from '#shared/config.ts';
import { GATEWAY_CONFIG_RECORD_VERSION, type GatewayConfigRecord } from '#shared/gateway-config-record.ts';
import type { RenderedConfig, RenderInput, VpnConnectionInput } from '../../gateway/render/index.ts';

/** The renderer (gateway/render's renderLibreswan). */
export type Render = (input: RenderInput) => RenderedConfig;

export interface RenderRequest {
  readonly link: LinkConfig;
  readonly instanceId: string;
  /** What DescribeVpnConnections returned for the link's connection id. */
  readonly vpnConnections: readonly VpnConnectionInput[];
  readonly render: Render;
  readonly now: Date;
}

/** The record for `instanceId`: rendered, or failed with a reason that names the fix. */
export function renderGatewayRecord(request: RenderRequest): GatewayConfigRecord {
  const { link, instanceId, now } = request;
  const base = {
    version: GATEWAY_CONFIG_RECORD_VERSION,
    link: link.name,
    instanceId,
    renderedAt: now.toISOString(),
  } as const;
  const failed = (error: string): GatewayConfigRecord => ({ ...base, status: 'failed', error });
  const managed = link.managedGateway;
  if (!managed) return failed(`link ${link.name} has no managedGateway block`);

  // The config allows exactly one connection on a managed link.
  const id = link.vpn.vpnConnectionIds[0] ?? '';
  const connection = request.vpnConnections.find((c) => c.VpnConnectionId === id);
  if (!connection) {
    return failed(
      `VPN connection ${id} (vpn.vpnConnectionIds) was not found in ${link.vpn.region}: check the id and the Region`,
    );
  }
  if (connection.State !== 'available') {
    return failed(
      `VPN connection ${id} is ${connection.State ?? 'in an unknown state'}, not available: a gateway can be configured only for an available connection`,
    );
  }
  const outside = (connection.Options?.TunnelOptions ?? []).flatMap((t) =>
    t.OutsideIpAddress ? [t.OutsideIpAddress] : [],
  );
  const admitted = new Set(managed.tunnelOutsideIpAddresses);
  const unadmitted = outside.filter((address) => !admitted.has(address));
  if (unadmitted.length > 0) {
    return failed(
      `the tunnel outside addresses ${unadmitted.join(', ')} of ${id} are not in managedGateway.tunnelOutsideIpAddresses (${managed.tunnelOutsideIpAddresses.join(', ')}): the security group would drop their IKE and ESP; list the VPN's addresses there and redeploy`,
    );
  }
  try {
    const { conf, secrets } = request.render({
      vpnConnection: connection,
      localCidrs: [managed.vpcCidr],
      remoteCidrs: link.gateway.remoteCidrs,
      namePrefix: link.name,
    });
    return { ...base, status: 'rendered', vpnConnectionId: id, conf, secrets };
  } catch (error) {
    // The renderer's messages name the field and the fix, never a key.
    return failed(`VPN connection ${id} cannot be rendered: ${(error as Error).message}`);
  }
}
