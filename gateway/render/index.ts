/**
 * The Libreswan renderer: one VPN connection as `aws ec2 describe-vpn-connections` returns it in, a
 * complete `ipsec.conf` and `ipsec.secrets` for the customer gateway out.
 *
 * Pure: no file system, no AWS SDK, no environment; it bundles for Node with no native code. The boot
 * program on the gateway instance (`gateway/boot`) and `npm run gateway -- render` both call
 * {@link renderLibreswan}; its signature and the exported types are a contract.
 *
 * What it reads, and where AWS documents it:
 * - `CustomerGatewayConfiguration`, the connection's configuration "in the native XML format"
 *   (EC2 API reference, VpnConnection,
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnConnection.html): per `<ipsec_tunnel>`
 *   the customer gateway's and AWS's outside addresses, the pre-shared key and the dead peer detection
 *   AWS asks for (`<ipsec><dead_peer_detection><interval>10</interval><retries>3</retries>`). Its
 *   `<ike>`/`<ipsec>` algorithms are AWS's generic suggestion (AES128, SHA1, DH group 2), not the
 *   tunnel's limits, so they are not used to choose proposals.
 * - `Options.TunnelOptions` (EC2 API reference, TunnelOption,
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TunnelOption.html): the algorithms,
 *   DH groups and IKE versions the tunnel permits, lifetimes, and the startup action.
 * - `Options.LocalIpv4NetworkCidr` / `RemoteIpv4NetworkCidr`: the traffic selectors AWS accepts
 *   (customer side / AWS side, default 0.0.0.0/0); the link's CIDRs must lie within them.
 */
import { InvalidFieldError, MissingFieldError, UnsupportedProposalError } from './errors.ts';
import { AWS_DEFAULTS, chooseProposals, type PermittedAlgorithms, type ProposalGap } from './proposals.ts';
import { childrenNamed, parseXml, textAt, type XmlElement, XmlSyntaxError } from './xml.ts';

export { InvalidFieldError, MissingFieldError, RenderError, UnsupportedProposalError } from './errors.ts';

/** A `{ Value }` list item as describe-vpn-connections returns tunnel option lists. */
export interface ValueItem<T> {
  readonly Value?: T | undefined;
}

/**
 * One tunnel's options, the subset of `@aws-sdk/client-ec2`'s `TunnelOption` the renderer reads
 * (structurally compatible with it, so an SDK object or a parsed CLI JSON file can be passed as is).
 */
export interface TunnelOptionInput {
  readonly OutsideIpAddress?: string | undefined;
  readonly TunnelInsideCidr?: string | undefined;
  readonly PreSharedKey?: string | undefined;
  readonly Phase1LifetimeSeconds?: number | undefined;
  readonly Phase2LifetimeSeconds?: number | undefined;
  readonly DpdTimeoutSeconds?: number | undefined;
  readonly DpdTimeoutAction?: string | undefined;
  readonly Phase1EncryptionAlgorithms?: readonly ValueItem<string>[] | undefined;
  readonly Phase2EncryptionAlgorithms?: readonly ValueItem<string>[] | undefined;
  readonly Phase1IntegrityAlgorithms?: readonly ValueItem<string>[] | undefined;
  readonly Phase2IntegrityAlgorithms?: readonly ValueItem<string>[] | undefined;
  readonly Phase1DHGroupNumbers?: readonly ValueItem<number>[] | undefined;
  readonly Phase2DHGroupNumbers?: readonly ValueItem<number>[] | undefined;
  readonly IkeVersions?: readonly ValueItem<string>[] | undefined;
  readonly StartupAction?: string | undefined;
}

/**
 * The subset of `@aws-sdk/client-ec2`'s `VpnConnection` the renderer reads (one element of
 * `VpnConnections` in `aws ec2 describe-vpn-connections` output).
 */
export interface VpnConnectionInput {
  readonly VpnConnectionId?: string | undefined;
  readonly State?: string | undefined;
  readonly CustomerGatewayConfiguration?: string | undefined;
  readonly PreSharedKeyArn?: string | undefined;
  readonly Options?:
    | {
        readonly LocalIpv4NetworkCidr?: string | undefined;
        readonly RemoteIpv4NetworkCidr?: string | undefined;
        readonly TunnelOptions?: readonly TunnelOptionInput[] | undefined;
      }
    | undefined;
}

/** What {@link renderLibreswan} takes. */
export interface RenderInput {
  /** The connection, exactly as describe-vpn-connections returns it. */
  readonly vpnConnection: VpnConnectionInput;
  /**
   * The gateway side's CIDRs (the VPC the gateway serves): Libreswan's `leftsubnet`. Exactly one today:
   * AWS allows one security-association pair per tunnel for policy-based gateways.
   */
  readonly localCidrs: readonly string[];
  /** The far side's CIDRs (the link's `gateway.remoteCidrs`): `rightsubnet`. Exactly one today. */
  readonly remoteCidrs: readonly string[];
  /** Prefix of the connection names (`<prefix>-tunnel1`, `<prefix>-tunnel2`), usually the link name. */
  readonly namePrefix: string;
  /**
   * The gateway's own address for `left=`. @default '%defaultroute' (the instance's primary private
   * address; AWS sees the Elastic IP through its 1:1 NAT, which `leftid` names).
   */
  readonly localAddress?: string | undefined;
  /**
   * The tunnels' pre-shared keys, in tunnel order, when the connection keeps them in Secrets Manager
   * (`PreSharedKeyArn` set, no key in the describe output). @default the keys in the describe output
   */
  readonly preSharedKeys?: readonly string[] | undefined;
}

/** One rendered tunnel (a Libreswan `conn`), for callers that check or watch it. */
export interface RenderedTunnel {
  /** The `conn` name, e.g. `hq-tunnel1`. */
  readonly name: string;
  /** AWS's endpoint (`right`), also the tunnel's `TunnelIpAddress` in CloudWatch and `VgwTelemetry`. */
  readonly outsideIpAddress: string;
  /** The customer gateway's public address (`leftid`), the Elastic IP. */
  readonly customerGatewayAddress: string;
  readonly ikeVersion: 1 | 2;
  /** The `ike=` value. */
  readonly ike: string;
  /** The `esp=` value (its DH group is the PFS group). */
  readonly esp: string;
  readonly localCidr: string;
  readonly remoteCidr: string;
}

/** What {@link renderLibreswan} returns. */
export interface RenderedConfig {
  /** A complete `ipsec.conf` (a `config setup` section, then one `conn` per tunnel). */
  readonly conf: string;
  /** A complete `ipsec.secrets` (one PSK line per tunnel); write it mode 0600. */
  readonly secrets: string;
  readonly tunnels: readonly RenderedTunnel[];
}

/** AWS's pre-shared key rule: 8-64 of letters, digits, "." and "_", not starting with 0 (TunnelOption). */
const PSK = /^[A-Za-z1-9._][A-Za-z0-9._]{7,63}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CIDR = /^(\d{1,3}(?:\.\d{1,3}){3})\/(3[0-2]|[12]?\d)$/;
const NAME_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * Renders Libreswan's configuration for the gateway side of one VPN connection.
 *
 * @throws {MissingFieldError} a field the configuration needs is absent (the message names it and the fix)
 * @throws {InvalidFieldError} a field is malformed or contradicts another
 * @throws {UnsupportedProposalError} a tunnel permits nothing Libreswan 4.10 implements
 */
export function renderLibreswan(input: RenderInput): RenderedConfig {
  if (!NAME_PREFIX.test(input.namePrefix)) {
    throw new InvalidFieldError(
      'namePrefix',
      `"${input.namePrefix}" is not a usable connection name prefix`,
      'use 1-32 characters of a-z, 0-9 and "-" (the link name)',
    );
  }
  const vpn = input.vpnConnection;
  const vpnId = vpn.VpnConnectionId ?? 'the VPN connection';
  if (vpn.State !== undefined && vpn.State !== 'available' && vpn.State !== 'pending') {
    throw new InvalidFieldError(
      'State',
      `${vpnId} is ${vpn.State}`,
      'render from a VPN connection that is pending or available',
    );
  }
  if (vpn.CustomerGatewayConfiguration === undefined || vpn.CustomerGatewayConfiguration.trim() === '') {
    throw new MissingFieldError(
      'CustomerGatewayConfiguration',
      `${vpnId} has no customer gateway configuration (AWS includes it only while the connection is pending or available)`,
      `save the output of "aws ec2 describe-vpn-connections --vpn-connection-ids ${vpn.VpnConnectionId ?? 'vpn-…'}" again, unfiltered`,
    );
  }
  const tunnelXml = readTunnelsXml(vpn.CustomerGatewayConfiguration);
  const options = vpn.Options?.TunnelOptions ?? [];
  const localCidr = singleCidr(
    'localCidrs',
    input.localCidrs,
    vpn.Options?.LocalIpv4NetworkCidr,
    'LocalIpv4NetworkCidr',
  );
  const remoteCidr = singleCidr(
    'remoteCidrs',
    input.remoteCidrs,
    vpn.Options?.RemoteIpv4NetworkCidr,
    'RemoteIpv4NetworkCidr',
  );
  const localAddress = input.localAddress ?? '%defaultroute';
  if (localAddress !== '%defaultroute' && !IPV4.test(localAddress)) {
    throw new InvalidFieldError(
      'localAddress',
      `"${localAddress}" is not an IPv4 address`,
      "pass the gateway's address or leave it out for %defaultroute",
    );
  }

  const tunnels = tunnelXml.map((xml, index) => {
    const at = `CustomerGatewayConfiguration <ipsec_tunnel> ${index + 1}`;
    const outside = requireIpv4(
      textAt(xml, 'vpn_gateway>tunnel_outside_address>ip_address'),
      `${at} vpn_gateway>tunnel_outside_address>ip_address`,
    );
    const cgw = requireIpv4(
      textAt(xml, 'customer_gateway>tunnel_outside_address>ip_address'),
      `${at} customer_gateway>tunnel_outside_address>ip_address`,
    );
    const optionIndex = options.findIndex((o) => o.OutsideIpAddress === outside);
    const option: TunnelOptionInput = optionIndex >= 0 ? (options[optionIndex] ?? {}) : {};
    const optionsField =
      optionIndex >= 0
        ? `Options.TunnelOptions[${optionIndex}]`
        : `Options.TunnelOptions (tunnel ${outside})`;
    const psk = pickPsk(input, vpn, xml, option, index, optionsField, at);
    const versions = listOr(option.IkeVersions, AWS_DEFAULTS.ikeVersions);
    const ikeVersion = pickIkeVersion(versions, `${optionsField}.IkeVersions`);
    const permitted: PermittedAlgorithms = {
      phase1Encryption: listOr(option.Phase1EncryptionAlgorithms, AWS_DEFAULTS.encryption),
      phase1Integrity: listOr(option.Phase1IntegrityAlgorithms, AWS_DEFAULTS.integrity),
      phase1DhGroups: listOr(option.Phase1DHGroupNumbers, AWS_DEFAULTS.phase1DhGroups),
      phase2Encryption: listOr(option.Phase2EncryptionAlgorithms, AWS_DEFAULTS.encryption),
      phase2Integrity: listOr(option.Phase2IntegrityAlgorithms, AWS_DEFAULTS.integrity),
      phase2DhGroups: listOr(option.Phase2DHGroupNumbers, AWS_DEFAULTS.phase2DhGroups),
    };
    const choice = chooseProposals(permitted, ikeVersion);
    if (!choice.ok) {
      const field = `${optionsField}.${GAP_FIELD[choice.gap]}`;
      throw new UnsupportedProposalError(
        field,
        `IKEv${ikeVersion} with only [${permitted[choice.gap].join(', ')}] leaves nothing Libreswan 4.10 implements`,
        `allow at least one of ${choice.supported.join(', ')}: aws ec2 modify-vpn-tunnel-options --vpn-connection-id ${vpnId} --vpn-tunnel-outside-ip-address ${outside} --tunnel-options '${GAP_FIELD[choice.gap]}=[{Value=${choice.supported[0]}}]'`,
      );
    }
    const interval = positiveInt(
      textAt(xml, 'ipsec>dead_peer_detection>interval'),
      10,
      `${at} ipsec>dead_peer_detection>interval`,
    );
    const retries = positiveInt(
      textAt(xml, 'ipsec>dead_peer_detection>retries'),
      3,
      `${at} ipsec>dead_peer_detection>retries`,
    );
    const phase1 = option.Phase1LifetimeSeconds ?? 28_800;
    const phase2 = option.Phase2LifetimeSeconds ?? 3_600;
    return {
      name: `${input.namePrefix}-tunnel${index + 1}`,
      number: index + 1,
      outsideIpAddress: outside,
      customerGatewayAddress: cgw,
      ikeVersion,
      ike: choice.ike,
      esp: choice.esp,
      localCidr,
      remoteCidr,
      psk,
      dpdDelay: interval,
      dpdTimeout: interval * retries,
      phase1,
      phase2,
      insideCidr: option.TunnelInsideCidr,
    };
  });

  const needsIkev1 = tunnels.some((t) => t.ikeVersion === 1);
  const lines: string[] = [
    `# Libreswan configuration for ${vpnId}, rendered by VPN Guard (npm run gateway -- render).`,
    '# Generated: edit the VPN connection or the link config and render again instead of editing this file.',
    '#',
    '# Both tunnels are configured and started. AWS allows one security-association pair per tunnel',
    '# (https://docs.aws.amazon.com/vpn/latest/s2svpn/CGRequirements.html) and both tunnels carry the',
    `# same traffic selectors (${localCidr} <=> ${remoteCidr}), so the kernel policy for them points at one`,
    '# tunnel at a time: the other keeps its IKE SA up (dead peer detection watches both) as a hot standby',
    "# that takes the traffic when the first is cleared. Keeping both up also avoids AWS Health's",
    '# single-tunnel notice and lets AWS replace one endpoint for maintenance without an outage.',
    '',
    'config setup',
    '\tuniqueids=yes',
  ];
  if (needsIkev1) {
    lines.push('\t# Libreswan 4.10 refuses IKEv1 unless told to; a tunnel here permits only IKEv1.');
    lines.push('\tikev1-policy=accept');
  }
  for (const t of tunnels) {
    lines.push(
      '',
      `# Tunnel ${t.number}: AWS endpoint ${t.outsideIpAddress}${t.insideCidr ? ` (inside ${t.insideCidr})` : ''}.`,
      `conn ${t.name}`,
      '\tauthby=secret',
      '\ttype=tunnel',
      `\tleft=${localAddress}`,
      `\tleftid=${t.customerGatewayAddress}`,
      `\tleftsubnet=${t.localCidr}`,
      `\tright=${t.outsideIpAddress}`,
      `\trightid=${t.outsideIpAddress}`,
      `\trightsubnet=${t.remoteCidr}`,
      t.ikeVersion === 2 ? '\tikev2=insist' : '\tikev2=no',
      `\tike=${t.ike}`,
      `\tesp=${t.esp}`,
      '\tpfs=yes',
      `\tikelifetime=${t.phase1}s`,
      `\tsalifetime=${t.phase2}s`,
      "\t# Dead peer detection as AWS asks in the connection's configuration (interval x retries);",
      '\t# the gateway initiates again when AWS stops answering (AWS waits for it: startup action "add").',
      `\tdpddelay=${t.dpdDelay}`,
      `\tdpdtimeout=${t.dpdTimeout}`,
      '\tdpdaction=restart',
      '\tkeyingtries=%forever',
      '\tauto=start',
    );
  }
  const secrets = [
    `# Pre-shared keys for ${vpnId}. Keep this file mode 0600.`,
    ...tunnels.map((t) => `${t.customerGatewayAddress} ${t.outsideIpAddress} : PSK "${t.psk}"`),
    '',
  ].join('\n');

  return {
    conf: `${lines.join('\n')}\n`,
    secrets,
    tunnels: tunnels.map((t) => ({
      name: t.name,
      outsideIpAddress: t.outsideIpAddress,
      customerGatewayAddress: t.customerGatewayAddress,
      ikeVersion: t.ikeVersion,
      ike: t.ike,
      esp: t.esp,
      localCidr: t.localCidr,
      remoteCidr: t.remoteCidr,
    })),
  };
}

const GAP_FIELD: Record<ProposalGap, string> = {
  phase1Encryption: 'Phase1EncryptionAlgorithms',
  phase1Integrity: 'Phase1IntegrityAlgorithms',
  phase1DhGroups: 'Phase1DHGroupNumbers',
  phase2Encryption: 'Phase2EncryptionAlgorithms',
  phase2Integrity: 'Phase2IntegrityAlgorithms',
  phase2DhGroups: 'Phase2DHGroupNumbers',
};

function readTunnelsXml(source: string): XmlElement[] {
  let root: XmlElement;
  try {
    root = parseXml(source);
  } catch (error) {
    if (error instanceof XmlSyntaxError) {
      throw new InvalidFieldError(
        'CustomerGatewayConfiguration',
        `is not well-formed XML (${error.message})`,
        'pass the describe-vpn-connections output unchanged (the XML is a JSON string; do not re-escape it)',
      );
    }
    throw error;
  }
  if (root.name !== 'vpn_connection') {
    throw new InvalidFieldError(
      'CustomerGatewayConfiguration',
      `has root element <${root.name}>, not <vpn_connection>`,
      "pass the connection's CustomerGatewayConfiguration, not a device-specific sample configuration",
    );
  }
  const tunnels = childrenNamed(root, 'ipsec_tunnel');
  if (tunnels.length !== 2) {
    throw new InvalidFieldError(
      'CustomerGatewayConfiguration <ipsec_tunnel>',
      `has ${tunnels.length} tunnels; every AWS VPN connection has two`,
      'pass the complete describe-vpn-connections output for the connection',
    );
  }
  return tunnels;
}

function singleCidr(
  field: 'localCidrs' | 'remoteCidrs',
  cidrs: readonly string[],
  allowed: string | undefined,
  allowedField: string,
): string {
  const fix =
    field === 'localCidrs'
      ? 'pass the one CIDR of the VPC the gateway serves'
      : 'list one remote CIDR for the link (a covering block such as 10.0.0.0/8 if there are several)';
  if (cidrs.length === 0) throw new MissingFieldError(field, 'is empty', fix);
  if (cidrs.length > 1) {
    throw new InvalidFieldError(
      field,
      `has ${cidrs.length} CIDRs (${cidrs.join(', ')}); AWS allows one security-association pair per tunnel for a policy-based gateway`,
      fix,
    );
  }
  const cidr = cidrs[0] ?? '';
  const parsed = parseCidr(cidr);
  if (parsed === undefined)
    throw new InvalidFieldError(
      field,
      `"${cidr}" is not an IPv4 network CIDR`,
      'use the network address, e.g. 10.20.0.0/16',
    );
  const outer = parseCidr(allowed ?? '0.0.0.0/0');
  if (outer === undefined) {
    throw new InvalidFieldError(
      `Options.${allowedField}`,
      `"${allowed}" is not an IPv4 CIDR`,
      'pass the describe-vpn-connections output unchanged',
    );
  }
  if (parsed.prefix < outer.prefix || !sameNetwork(parsed.address, outer.address, outer.prefix)) {
    throw new InvalidFieldError(
      field,
      `${cidr} is outside the connection's ${allowedField} ${allowed}, so AWS would refuse the traffic selector`,
      `use a CIDR within ${allowed}, or recreate the VPN connection with a wider ${allowedField}`,
    );
  }
  return cidr;
}

function parseCidr(cidr: string): { address: number; prefix: number } | undefined {
  const match = CIDR.exec(cidr);
  if (!match || !IPV4.test(match[1] ?? '')) return undefined;
  const address = (match[1] ?? '').split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const prefix = Number(match[2]);
  return address % 2 ** (32 - prefix) === 0 ? { address, prefix } : undefined;
}

function sameNetwork(a: number, b: number, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(a / size) === Math.floor(b / size);
}

function requireIpv4(value: string | undefined, field: string): string {
  if (value === undefined) {
    throw new MissingFieldError(
      field,
      'is missing',
      'pass the complete describe-vpn-connections output for the connection',
    );
  }
  if (!IPV4.test(value))
    throw new InvalidFieldError(
      field,
      `"${value}" is not an IPv4 address`,
      'pass the describe-vpn-connections output unchanged',
    );
  return value;
}

function positiveInt(value: string | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) {
    throw new InvalidFieldError(
      field,
      `"${value}" is not a positive whole number`,
      'pass the describe-vpn-connections output unchanged',
    );
  }
  return number;
}

function listOr<T extends string | number>(
  items: readonly ValueItem<T>[] | undefined,
  fallback: readonly T[],
): T[] {
  const values = (items ?? []).flatMap((item) => (item.Value === undefined ? [] : [item.Value]));
  return values.length > 0 ? values : [...fallback];
}

/** IKEv2 when the tunnel permits it (fewer round trips, no `ikev1-policy` on Libreswan 4.10), else IKEv1. */
function pickIkeVersion(versions: readonly string[], field: string): 1 | 2 {
  if (versions.includes('ikev2')) return 2;
  if (versions.includes('ikev1')) return 1;
  throw new UnsupportedProposalError(
    field,
    `permits [${versions.join(', ')}], neither ikev1 nor ikev2`,
    'allow ikev2 (or ikev1) with aws ec2 modify-vpn-tunnel-options',
  );
}

function pickPsk(
  input: RenderInput,
  vpn: VpnConnectionInput,
  xml: XmlElement,
  option: TunnelOptionInput,
  index: number,
  optionsField: string,
  at: string,
): string {
  const given = input.preSharedKeys?.[index];
  const candidates: [string, string | undefined][] = [
    [`preSharedKeys[${index}]`, given],
    [`${optionsField}.PreSharedKey`, option.PreSharedKey],
    [`${at} ike>pre_shared_key`, textAt(xml, 'ike>pre_shared_key')],
  ];
  const found = candidates.find(([, value]) => value !== undefined && value !== '');
  if (found === undefined) {
    throw new MissingFieldError(
      `${optionsField}.PreSharedKey`,
      vpn.PreSharedKeyArn
        ? `tunnel ${index + 1} has no pre-shared key in the describe output: the connection keeps its keys in Secrets Manager (${vpn.PreSharedKeyArn})`
        : `tunnel ${index + 1} has no pre-shared key in the describe output`,
      vpn.PreSharedKeyArn
        ? 'read the secret and pass the keys as preSharedKeys, in tunnel order'
        : 'pass the describe-vpn-connections output unchanged (keys are in CustomerGatewayConfiguration)',
    );
  }
  const [field, psk = ''] = found;
  if (!PSK.test(psk)) {
    throw new InvalidFieldError(
      field,
      'is not a pre-shared key AWS issues (8-64 letters, digits, "." or "_", not starting with 0)',
      'set a valid key with aws ec2 modify-vpn-tunnel-options --tunnel-options PreSharedKey=…',
    );
  }
  return psk;
}
