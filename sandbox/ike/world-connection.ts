/**
 * The world's VPN connection as `describe-vpn-connections` would return it with its configuration:
 * the `CustomerGatewayConfiguration` XML (AWS's generic `<vpn_connection>` document: per tunnel the
 * customer gateway's and AWS's outside addresses, the pre-shared key, AES128/SHA1/group2 and dead
 * peer detection 10 s x 3) and `Options.TunnelOptions` with AWS's defaults (the lists left out). The
 * world's own DescribeVpnConnections model (sandbox/world/ec2.ts) does not carry the XML; the real-IKE
 * drill builds it here from the world's records, so the renderer and AWS's endpoints read the same
 * document. Keys are derived from the connection id (stable per run, AWS's key alphabet).
 */
import type { VpnConnectionInput } from '../../gateway/render/index.ts';

/** What the document needs from the world. */
export interface WorldConnectionFacts {
  readonly vpnConnectionId: string;
  readonly customerGatewayId: string;
  readonly vpnGatewayId: string;
  /** The customer gateway's public address (the link's Elastic IP). */
  readonly customerGatewayAddress: string;
  /** AWS's two tunnel outside addresses. */
  readonly outsideAddresses: readonly string[];
}

/** The connection's describe output, XML included. */
export function describeWorldConnection(facts: WorldConnectionFacts): VpnConnectionInput {
  const keys = facts.outsideAddresses.map((_, index) => presharedKey(facts.vpnConnectionId, index));
  const tunnels = facts.outsideAddresses.map((aws, index) =>
    tunnelXml(facts.customerGatewayAddress, aws, keys[index] ?? '', index),
  );
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<vpn_connection id="${facts.vpnConnectionId}">
  <customer_gateway_id>${facts.customerGatewayId}</customer_gateway_id>
  <vpn_gateway_id>${facts.vpnGatewayId}</vpn_gateway_id>
  <vpn_connection_type>ipsec.1</vpn_connection_type>
  <vpn_connection_attributes>NoBGPVPNConnection</vpn_connection_attributes>
${tunnels.join('')}</vpn_connection>
`;
  return {
    VpnConnectionId: facts.vpnConnectionId,
    State: 'available',
    CustomerGatewayConfiguration: xml,
    Options: {
      LocalIpv4NetworkCidr: '0.0.0.0/0',
      RemoteIpv4NetworkCidr: '0.0.0.0/0',
      TunnelOptions: facts.outsideAddresses.map((aws, index) => ({
        OutsideIpAddress: aws,
        TunnelInsideCidr: `169.254.${10 + index}.0/30`,
        PreSharedKey: keys[index],
      })),
    },
  };
}

function presharedKey(vpnConnectionId: string, index: number): string {
  return `Sandbox_${vpnConnectionId.replace(/[^a-z0-9]/g, '')}_${index + 1}`.slice(0, 64);
}

function tunnelXml(cgw: string, aws: string, psk: string, index: number): string {
  return `  <ipsec_tunnel>
    <customer_gateway>
      <tunnel_outside_address><ip_address>${cgw}</ip_address></tunnel_outside_address>
      <tunnel_inside_address><ip_address>169.254.${10 + index}.2</ip_address><network_mask>255.255.255.252</network_mask><network_cidr>30</network_cidr></tunnel_inside_address>
    </customer_gateway>
    <vpn_gateway>
      <tunnel_outside_address><ip_address>${aws}</ip_address></tunnel_outside_address>
      <tunnel_inside_address><ip_address>169.254.${10 + index}.1</ip_address><network_mask>255.255.255.252</network_mask><network_cidr>30</network_cidr></tunnel_inside_address>
    </vpn_gateway>
    <ike>
      <authentication_protocol>sha1</authentication_protocol>
      <encryption_protocol>aes-128-cbc</encryption_protocol>
      <lifetime>28800</lifetime>
      <perfect_forward_secrecy>group2</perfect_forward_secrecy>
      <mode>main</mode>
      <pre_shared_key>${psk}</pre_shared_key>
    </ike>
    <ipsec>
      <protocol>esp</protocol>
      <authentication_protocol>hmac-sha1-96</authentication_protocol>
      <encryption_protocol>aes-128-cbc</encryption_protocol>
      <lifetime>3600</lifetime>
      <perfect_forward_secrecy>group2</perfect_forward_secrecy>
      <mode>tunnel</mode>
      <clear_df_bit>true</clear_df_bit>
      <fragmentation_before_encryption>true</fragmentation_before_encryption>
      <tcp_mss_adjustment>1379</tcp_mss_adjustment>
      <dead_peer_detection><interval>10</interval><retries>3</retries></dead_peer_detection>
    </ipsec>
  </ipsec_tunnel>
`;
}
