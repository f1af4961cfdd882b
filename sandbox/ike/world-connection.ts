/**
 * The world's VPN connection as `describe-vpn-connections` would return it with its configuration:
 * the `CustomerGatewayConfiguration` XML (AWS's generic `<vpn_connection>` document: per tunnel the
 * customer gateway's and AWS's outside addresses, the pre-shared key, AES128/SHA1/group2 and dead
 * peer detection 10 s x 3) and `Options.TunnelOptions` with AWS's defaults (the lists left out). The real-IKE drill builds it here from the world's records (the XML by the world's one builder,
 * sandbox/world/vpn-configuration-xml.ts), so the renderer and AWS's endpoints read the same
 * document. Keys are derived from the connection id (stable per run, AWS's key alphabet).
 */
import type { VpnConnectionInput } from '../../gateway/render/index.ts';
import { customerGatewayConfigurationXml } from '../world/vpn-configuration-xml.ts';

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
  const tunnelOptions = facts.outsideAddresses.map((aws, index) => ({
    OutsideIpAddress: aws,
    TunnelInsideCidr: `169.254.${10 + index}.0/30`,
    PreSharedKey: keys[index] ?? '',
  }));
  const xml = customerGatewayConfigurationXml(facts, facts.customerGatewayAddress, tunnelOptions);
  return {
    VpnConnectionId: facts.vpnConnectionId,
    State: 'available',
    CustomerGatewayConfiguration: xml,
    Options: {
      LocalIpv4NetworkCidr: '0.0.0.0/0',
      RemoteIpv4NetworkCidr: '0.0.0.0/0',
      TunnelOptions: tunnelOptions,
    },
  };
}

function presharedKey(vpnConnectionId: string, index: number): string {
  return `Sandbox_${vpnConnectionId.replace(/[^a-z0-9]/g, '')}_${index + 1}`.slice(0, 64);
}
