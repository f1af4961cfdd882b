/**
 * AWS's customer gateway configuration XML (the "native XML format" of a VpnConnection's
 * `CustomerGatewayConfiguration`): per tunnel the customer gateway's and AWS's outside addresses,
 * the inside /30, the pre-shared key, AWS's generic AES128/SHA1/group2 proposal and dead peer
 * detection 10 s x 3. One builder for the world's managed gateway and the real-IKE drill.
 */
export function customerGatewayConfigurationXml(
  vpn: {
    readonly vpnConnectionId: string;
    readonly customerGatewayId: string;
    readonly vpnGatewayId: string;
  },
  customerGatewayIp: string,
  tunnels: readonly { OutsideIpAddress: string; TunnelInsideCidr: string; PreSharedKey: string }[],
): string {
  const inside = (cidr: string, host: number) => cidr.replace(/\d+\/30$/, String(host));
  const tunnel = (t: (typeof tunnels)[number]) => `  <ipsec_tunnel>
    <customer_gateway>
      <tunnel_outside_address><ip_address>${customerGatewayIp}</ip_address></tunnel_outside_address>
      <tunnel_inside_address><ip_address>${inside(t.TunnelInsideCidr, 2)}</ip_address><network_mask>255.255.255.252</network_mask><network_cidr>30</network_cidr></tunnel_inside_address>
    </customer_gateway>
    <vpn_gateway>
      <tunnel_outside_address><ip_address>${t.OutsideIpAddress}</ip_address></tunnel_outside_address>
      <tunnel_inside_address><ip_address>${inside(t.TunnelInsideCidr, 1)}</ip_address><network_mask>255.255.255.252</network_mask><network_cidr>30</network_cidr></tunnel_inside_address>
    </vpn_gateway>
    <ike>
      <authentication_protocol>sha1</authentication_protocol>
      <encryption_protocol>aes-128-cbc</encryption_protocol>
      <lifetime>28800</lifetime>
      <perfect_forward_secrecy>group2</perfect_forward_secrecy>
      <mode>main</mode>
      <pre_shared_key>${t.PreSharedKey}</pre_shared_key>
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
  </ipsec_tunnel>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<vpn_connection id="${vpn.vpnConnectionId}">
  <customer_gateway_id>${vpn.customerGatewayId}</customer_gateway_id>
  <vpn_gateway_id>${vpn.vpnGatewayId}</vpn_gateway_id>
  <vpn_connection_type>ipsec.1</vpn_connection_type>
  <vpn_connection_attributes>NoBGPVPNConnection</vpn_connection_attributes>
${tunnels.map(tunnel).join('\n')}
</vpn_connection>`;
}
