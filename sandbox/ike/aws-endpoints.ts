/**
 * AWS's two tunnel endpoints of one VPN connection, played by a real Libreswan: the responder side of
 * what the gateway's rendered configuration must negotiate with.
 *
 * What it models, from AWS's documentation, and what it does not:
 * - Each tunnel accepts every algorithm, DH group and IKE version its tunnel options permit; a list
 *   left out of describe-vpn-connections means AWS's default (all permitted values) (EC2 API reference,
 *   VpnTunnelOptionsSpecification, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html).
 *   Only what Libreswan 4.10 also implements can be offered (no DH 2, 22, 23, 24), which is also all a
 *   Libreswan gateway could ever propose, so nothing the gateway might negotiate is missing.
 * - IKEv1 only in main mode ("We only support main mode IKEv1", AWS Site-to-Site VPN user guide,
 *   customer gateway requirements, https://docs.aws.amazon.com/vpn/latest/s2svpn/CGRequirements.html).
 * - The startup action: `add` (default) waits for the customer gateway to initiate, `start` initiates
 *   (tunnel initiation options, https://docs.aws.amazon.com/vpn/latest/s2svpn/initiate-vpn-tunnels.html).
 * - Dead peer detection: AWS declares the peer dead after DPDTimeoutSeconds (default 30 in the API
 *   reference) and then takes DPDTimeoutAction (`clear` default, `none`, `restart`).
 * - Pre-shared keys and endpoint addresses come from the same describe output the gateway renders from.
 * - Traffic selectors: AWS's are Options.LocalIpv4NetworkCidr / RemoteIpv4NetworkCidr (default
 *   0.0.0.0/0) and it accepts narrower ones from the gateway. Libreswan 4.10 responders do not narrow
 *   IKEv1 quick mode, so the model is given the link's CIDRs and uses them as its own selectors.
 * Not modelled: tunnel inside addresses and BGP (static routing only), endpoint replacement, rekey
 * margins and fuzz, the replay window.
 */
import type { TunnelOptionInput, VpnConnectionInput } from '../../gateway/render/index.ts';

/** AWS's names to Libreswan's, for what both implement. */
const ENCRYPTION: Record<string, { name: string; aead: boolean }> = {
  AES128: { name: 'aes128', aead: false },
  AES256: { name: 'aes256', aead: false },
  'AES128-GCM-16': { name: 'aes_gcm128', aead: true },
  'AES256-GCM-16': { name: 'aes_gcm256', aead: true },
};
const INTEGRITY: Record<string, string> = {
  SHA1: 'sha1',
  'SHA2-256': 'sha2_256',
  'SHA2-384': 'sha2_384',
  'SHA2-512': 'sha2_512',
};
const DH: Record<number, { name: string; ecp: boolean }> = {
  5: { name: 'modp1536', ecp: false },
  14: { name: 'modp2048', ecp: false },
  15: { name: 'modp3072', ecp: false },
  16: { name: 'modp4096', ecp: false },
  17: { name: 'modp6144', ecp: false },
  18: { name: 'modp8192', ecp: false },
  19: { name: 'dh19', ecp: true },
  20: { name: 'dh20', ecp: true },
  21: { name: 'dh21', ecp: true },
};
const DEFAULT_ENCRYPTION = ['AES128', 'AES256', 'AES128-GCM-16', 'AES256-GCM-16'];
const DEFAULT_INTEGRITY = ['SHA1', 'SHA2-256', 'SHA2-384', 'SHA2-512'];
const DEFAULT_PHASE1_DH = [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
const DEFAULT_PHASE2_DH = [2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];

/** One endpoint as rendered. */
export interface AwsEndpointTunnel {
  /** The `conn` names (one per IKE version the tunnel permits). */
  readonly connections: readonly string[];
  readonly outsideIpAddress: string;
  readonly customerGatewayAddress: string;
}

/** A Libreswan configuration for AWS's side of a VPN connection. */
export interface AwsEndpoints {
  readonly conf: string;
  readonly secrets: string;
  readonly tunnels: readonly AwsEndpointTunnel[];
}

/** What the AWS side needs beyond the describe output. */
export interface AwsEndpointsInput {
  readonly vpnConnection: VpnConnectionInput;
  /** The gateway side's CIDR (AWS's customer-side selector). */
  readonly localCidr: string;
  /** The AWS side's CIDR (the link's remote CIDR). */
  readonly remoteCidr: string;
  /** Replace the keys AWS holds (to test a gateway with a stale or wrong key). */
  readonly preSharedKeys?: readonly string[];
}

/** Renders AWS's endpoints of a VPN connection as one Libreswan configuration. */
export function renderAwsEndpoints(input: AwsEndpointsInput): AwsEndpoints {
  const xml = input.vpnConnection.CustomerGatewayConfiguration ?? '';
  const blocks = [...xml.matchAll(/<ipsec_tunnel>([\s\S]*?)<\/ipsec_tunnel>/g)].map((m) => m[1] ?? '');
  if (blocks.length !== 2) throw new Error('the VPN connection has no two <ipsec_tunnel> blocks');
  const options = input.vpnConnection.Options?.TunnelOptions ?? [];
  const lines = ['config setup', '\tuniqueids=yes'];
  const needsV1 = blocks.some((_, index) =>
    versionsOf(tunnelOption(options, blocks, index)).includes('ikev1'),
  );
  if (needsV1) lines.push('\tikev1-policy=accept');
  const secrets: string[] = [];
  const tunnels: AwsEndpointTunnel[] = [];

  blocks.forEach((block, index) => {
    const aws = pick(block, /<vpn_gateway>[\s\S]*?<tunnel_outside_address>\s*<ip_address>([^<]+)</);
    const cgw = pick(block, /<customer_gateway>[\s\S]*?<tunnel_outside_address>\s*<ip_address>([^<]+)</);
    const option = tunnelOption(options, blocks, index);
    const psk =
      input.preSharedKeys?.[index] ?? option.PreSharedKey ?? pick(block, /<pre_shared_key>([^<]+)</);
    secrets.push(`${aws} ${cgw} : PSK "${psk}"`);
    const connections: string[] = [];
    for (const version of versionsOf(option)) {
      const v1 = version === 'ikev1';
      const name = `aws-tunnel${index + 1}-${version}`;
      connections.push(name);
      lines.push(
        '',
        `conn ${name}`,
        '\tauthby=secret',
        '\ttype=tunnel',
        `\tleft=${aws}`,
        `\tleftid=${aws}`,
        `\tleftsubnet=${input.remoteCidr}`,
        `\tright=${cgw}`,
        `\trightid=${cgw}`,
        `\trightsubnet=${input.localCidr}`,
        v1 ? '\tikev2=no' : '\tikev2=insist',
        `\tike=${ikeProposals(option, v1)}`,
        `\tesp=${espProposals(option, v1)}`,
        '\tpfs=yes',
        `\tikelifetime=${option.Phase1LifetimeSeconds ?? 28_800}s`,
        `\tsalifetime=${option.Phase2LifetimeSeconds ?? 3_600}s`,
        '\tdpddelay=10',
        `\tdpdtimeout=${option.DpdTimeoutSeconds ?? 30}`,
        `\tdpdaction=${dpdAction(option.DpdTimeoutAction)}`,
        // AWS initiates only with startup action "start"; with both versions permitted it would
        // initiate one of them, IKEv2.
        `\tauto=${option.StartupAction === 'start' && (!v1 || versionsOf(option).length === 1) ? 'start' : 'add'}`,
      );
    }
    tunnels.push({ connections, outsideIpAddress: aws, customerGatewayAddress: cgw });
  });
  return { conf: `${lines.join('\n')}\n`, secrets: `${secrets.join('\n')}\n`, tunnels };
}

function tunnelOption(
  options: readonly TunnelOptionInput[],
  blocks: readonly string[],
  index: number,
): TunnelOptionInput {
  const aws = pick(
    blocks[index] ?? '',
    /<vpn_gateway>[\s\S]*?<tunnel_outside_address>\s*<ip_address>([^<]+)</,
  );
  return options.find((o) => o.OutsideIpAddress === aws) ?? {};
}

function versionsOf(option: TunnelOptionInput): string[] {
  return values(option.IkeVersions, ['ikev1', 'ikev2']);
}

function ikeProposals(option: TunnelOptionInput, v1: boolean): string {
  const enc = values(option.Phase1EncryptionAlgorithms, DEFAULT_ENCRYPTION).flatMap(
    (e) => ENCRYPTION[e] ?? [],
  );
  const integ = values(option.Phase1IntegrityAlgorithms, DEFAULT_INTEGRITY).flatMap(
    (i) => INTEGRITY[i] ?? [],
  );
  const dh = values(option.Phase1DHGroupNumbers, DEFAULT_PHASE1_DH).flatMap((g) => DH[g]?.name ?? []);
  if (v1) {
    return enc
      .filter((e) => !e.aead)
      .flatMap((e) => integ.flatMap((i) => dh.map((d) => `${e.name}-${i}-${d}`)))
      .join(',');
  }
  const groups = [enc.filter((e) => e.aead), enc.filter((e) => !e.aead)].filter((g) => g.length > 0);
  return groups.map((g) => `${g.map((e) => e.name).join('+')}-${integ.join('+')}-${dh.join('+')}`).join(',');
}

function espProposals(option: TunnelOptionInput, v1: boolean): string {
  const enc = values(option.Phase2EncryptionAlgorithms, DEFAULT_ENCRYPTION).flatMap(
    (e) => ENCRYPTION[e] ?? [],
  );
  const integ = values(option.Phase2IntegrityAlgorithms, DEFAULT_INTEGRITY).flatMap(
    (i) => INTEGRITY[i] ?? [],
  );
  const dh = values(option.Phase2DHGroupNumbers, DEFAULT_PHASE2_DH).flatMap((g) => {
    const group = DH[g];
    return group === undefined || (v1 && group.ecp) ? [] : [group.name];
  });
  const aead = enc.filter((e) => e.aead);
  const cbc = enc.filter((e) => !e.aead);
  if (v1) {
    return [
      ...aead.flatMap((e) => dh.map((d) => `${e.name}-null-${d}`)),
      ...cbc.flatMap((e) => integ.flatMap((i) => dh.map((d) => `${e.name}-${i}-${d}`))),
    ].join(',');
  }
  const proposals: string[] = [];
  if (aead.length > 0) proposals.push(`${aead.map((e) => e.name).join('+')}-null-${dh.join('+')}`);
  if (cbc.length > 0 && integ.length > 0)
    proposals.push(`${cbc.map((e) => e.name).join('+')}-${integ.join('+')}-${dh.join('+')}`);
  return proposals.join(',');
}

function dpdAction(action: string | undefined): string {
  if (action === 'restart') return 'restart';
  if (action === 'none') return 'hold';
  return 'clear';
}

function values<T>(items: readonly { Value?: T | undefined }[] | undefined, fallback: readonly T[]): T[] {
  const found = (items ?? []).flatMap((item) => (item.Value === undefined ? [] : [item.Value]));
  return found.length > 0 ? found : [...fallback];
}

function pick(text: string, pattern: RegExp): string {
  const match = pattern.exec(text);
  if (!match?.[1]) throw new Error(`the VPN connection's XML has no match for ${pattern}`);
  return match[1].trim();
}
