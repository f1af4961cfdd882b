/**
 * Picking IKE and ESP proposals that both an AWS tunnel and Libreswan 4.10 accept.
 *
 * AWS side: the permitted values and defaults of the tunnel options, from the EC2 API reference,
 * VpnTunnelOptionsSpecification (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html):
 * Phase1/Phase2EncryptionAlgorithms AES128 | AES256 | AES128-GCM-16 | AES256-GCM-16; Phase1/Phase2
 * IntegrityAlgorithms SHA1 | SHA2-256 | SHA2-384 | SHA2-512; Phase1DHGroupNumbers 2 | 14-24;
 * Phase2DHGroupNumbers 2 | 5 | 14-24; IKEVersions ikev1 | ikev2. A tunnel created without them permits
 * all of them (AWS Site-to-Site VPN user guide, "Tunnel options for your Site-to-Site VPN connection",
 * https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html), and describe-vpn-connections then
 * leaves the lists out, so an absent list means "every permitted value".
 *
 * Libreswan side, checked with `ipsec algparse` on Debian 12's Libreswan 4.10 (the tests re-check
 * every rendered proposal the same way):
 * - `modp1024` (DH 2) is refused ("IKE DH algorithm 'modp1024' is not supported"), and DH 22, 23 and 24
 *   are not built in ("IKE DH algorithm 'dh22' is not supported").
 * - IKEv1 has no AES-GCM for the IKE SA ("not supported by IKEv1") and no elliptic-curve groups (19-21)
 *   for PFS in phase 2; it takes no `+` lists, so each combination is its own proposal.
 * - IKEv2 takes `+` lists in one proposal, but its ESP proposals must all use one DH group ("more than
 *   one IKEv2 ESP DH algorithm ... requires unimplemented CHILD_SA INVALID_KE").
 */

/** AWS's names for encryption algorithms, in the order the renderer prefers them. */
const ENCRYPTION = [
  { aws: 'AES256-GCM-16', libreswan: 'aes_gcm256', aead: true },
  { aws: 'AES128-GCM-16', libreswan: 'aes_gcm128', aead: true },
  { aws: 'AES256', libreswan: 'aes256', aead: false },
  { aws: 'AES128', libreswan: 'aes128', aead: false },
] as const;

/** AWS's integrity algorithms (in IKE they are also the PRF), preferred order. */
const INTEGRITY = [
  { aws: 'SHA2-256', libreswan: 'sha2_256' },
  { aws: 'SHA2-384', libreswan: 'sha2_384' },
  { aws: 'SHA2-512', libreswan: 'sha2_512' },
  { aws: 'SHA1', libreswan: 'sha1' },
] as const;

/** DH groups Libreswan 4.10 implements, in preferred order (elliptic curves first: fast and strong). */
const DH_GROUPS: readonly { group: number; libreswan: string; ecp: boolean }[] = [
  { group: 19, libreswan: 'dh19', ecp: true },
  { group: 20, libreswan: 'dh20', ecp: true },
  { group: 21, libreswan: 'dh21', ecp: true },
  { group: 14, libreswan: 'modp2048', ecp: false },
  { group: 15, libreswan: 'modp3072', ecp: false },
  { group: 16, libreswan: 'modp4096', ecp: false },
  { group: 17, libreswan: 'modp6144', ecp: false },
  { group: 18, libreswan: 'modp8192', ecp: false },
  { group: 5, libreswan: 'modp1536', ecp: false },
];

/** What AWS permits when a tunnel's list is left out (the documented defaults). */
export const AWS_DEFAULTS = {
  encryption: ['AES128', 'AES256', 'AES128-GCM-16', 'AES256-GCM-16'],
  integrity: ['SHA1', 'SHA2-256', 'SHA2-384', 'SHA2-512'],
  phase1DhGroups: [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
  phase2DhGroups: [2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
  ikeVersions: ['ikev1', 'ikev2'],
} as const;

/** The algorithms one tunnel permits, as AWS names them. */
export interface PermittedAlgorithms {
  readonly phase1Encryption: readonly string[];
  readonly phase1Integrity: readonly string[];
  readonly phase1DhGroups: readonly number[];
  readonly phase2Encryption: readonly string[];
  readonly phase2Integrity: readonly string[];
  readonly phase2DhGroups: readonly number[];
}

/** Which list came up empty after intersecting with what Libreswan supports. */
export type ProposalGap =
  | 'phase1Encryption'
  | 'phase1Integrity'
  | 'phase1DhGroups'
  | 'phase2Encryption'
  | 'phase2Integrity'
  | 'phase2DhGroups';

/** The chosen `ike=` and `esp=` values, or the list that left nothing to choose. */
export type ProposalChoice =
  | { readonly ok: true; readonly ike: string; readonly esp: string; readonly pfsGroup: number }
  | { readonly ok: false; readonly gap: ProposalGap; readonly supported: readonly string[] };

/** IKEv1 proposals are listed one by one; cap the DH groups per combination to keep the list short. */
const IKEV1_DH_PER_COMBINATION = 2;

/**
 * Chooses proposals for one tunnel and IKE version: every algorithm is in the tunnel's permitted list
 * and implemented by Libreswan 4.10 for that IKE version.
 */
export function chooseProposals(permitted: PermittedAlgorithms, ikeVersion: 1 | 2): ProposalChoice {
  const v1 = ikeVersion === 1;
  const p1Enc = ENCRYPTION.filter((e) => permitted.phase1Encryption.includes(e.aws) && !(v1 && e.aead));
  if (p1Enc.length === 0) {
    return { ok: false, gap: 'phase1Encryption', supported: supportedNames(v1 ? 'cbc' : 'all') };
  }
  const p1Int = INTEGRITY.filter((i) => permitted.phase1Integrity.includes(i.aws));
  if (p1Int.length === 0)
    return { ok: false, gap: 'phase1Integrity', supported: INTEGRITY.map((i) => i.aws) };
  const p1Dh = DH_GROUPS.filter((d) => d.group !== 5 && permitted.phase1DhGroups.includes(d.group));
  if (p1Dh.length === 0) {
    return {
      ok: false,
      gap: 'phase1DhGroups',
      supported: DH_GROUPS.filter((d) => d.group !== 5).map(groupName),
    };
  }
  const p2Enc = ENCRYPTION.filter((e) => permitted.phase2Encryption.includes(e.aws));
  if (p2Enc.length === 0) return { ok: false, gap: 'phase2Encryption', supported: supportedNames('all') };
  const p2Int = INTEGRITY.filter((i) => permitted.phase2Integrity.includes(i.aws));
  // AEAD ESP needs no integrity algorithm; CBC ESP does.
  const p2Cbc = p2Enc.filter((e) => !e.aead);
  const p2Aead = p2Enc.filter((e) => e.aead);
  if (p2Int.length === 0 && p2Aead.length === 0) {
    return { ok: false, gap: 'phase2Integrity', supported: INTEGRITY.map((i) => i.aws) };
  }
  const p2Dh = DH_GROUPS.filter((d) => permitted.phase2DhGroups.includes(d.group) && !(v1 && d.ecp));
  const pfs = p2Dh[0];
  if (pfs === undefined) {
    return {
      ok: false,
      gap: 'phase2DhGroups',
      supported: DH_GROUPS.filter((d) => !(v1 && d.ecp)).map(groupName),
    };
  }

  if (v1) {
    const ike = p1Enc.flatMap((e) =>
      p1Int.flatMap((i) =>
        p1Dh.slice(0, IKEV1_DH_PER_COMBINATION).map((d) => `${e.libreswan}-${i.libreswan}-${d.libreswan}`),
      ),
    );
    const esp = [
      ...p2Aead.map((e) => `${e.libreswan}-null-${pfs.libreswan}`),
      ...p2Cbc.flatMap((e) => p2Int.map((i) => `${e.libreswan}-${i.libreswan}-${pfs.libreswan}`)),
    ];
    return { ok: true, ike: ike.join(','), esp: esp.join(','), pfsGroup: pfs.group };
  }

  const join = (items: readonly { libreswan: string }[]) => items.map((item) => item.libreswan).join('+');
  const ikeCbc = p1Enc.filter((e) => !e.aead);
  const ikeAead = p1Enc.filter((e) => e.aead);
  const ike = [
    ...(ikeAead.length > 0 ? [`${join(ikeAead)}-${join(p1Int)}-${join(p1Dh)}`] : []),
    ...(ikeCbc.length > 0 ? [`${join(ikeCbc)}-${join(p1Int)}-${join(p1Dh)}`] : []),
  ];
  const esp = [
    ...(p2Aead.length > 0 ? [`${join(p2Aead)}-null-${pfs.libreswan}`] : []),
    ...(p2Cbc.length > 0 && p2Int.length > 0 ? [`${join(p2Cbc)}-${join(p2Int)}-${pfs.libreswan}`] : []),
  ];
  return { ok: true, ike: ike.join(','), esp: esp.join(','), pfsGroup: pfs.group };
}

function supportedNames(kind: 'cbc' | 'all'): string[] {
  return ENCRYPTION.filter((e) => kind === 'all' || !e.aead).map((e) => e.aws);
}

function groupName(d: { group: number }): string {
  return String(d.group);
}
