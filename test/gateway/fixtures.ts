/**
 * The saved describe-vpn-connections outputs under test/fixtures/vpn-connections/, in AWS's documented
 * shape: the EC2 API reference's VpnConnection and TunnelOption
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnConnection.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TunnelOption.html), with the
 * `CustomerGatewayConfiguration` XML as AWS generates it for a static-routing connection (the generic
 * `<vpn_connection>` document: per `<ipsec_tunnel>`, customer and AWS outside/inside addresses, `<ike>`
 * and `<ipsec>` with AES128/SHA1/group2 and dead peer detection 10 s x 3). Addresses are from the
 * documentation ranges (RFC 5737).
 *
 * - `defaults.json`: IKE versions and algorithms left out (AWS's defaults: everything permitted), the
 *   XML listing DH group 2 only.
 * - `ikev1.json`: both tunnels IKEv1 only, AES/SHA1/SHA2-256, DH 2 and 14.
 * - `custom-algorithms.json`: IKEv2 only, each tunnel with its own narrow set (AES256-GCM-16/SHA2-384/
 *   DH 20 with AES256/SHA2-512/PFS 14-15; AES128/SHA2-256/DH 14 with AES128-GCM-16/PFS 19), shorter
 *   lifetimes.
 * - `dh2-only.json`: tunnel 1 permits DH group 2 only (Libreswan 4.10 refuses it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VpnConnectionInput } from '../../gateway/render/index.ts';

export const FIXTURE_NAMES = ['defaults', 'ikev1', 'custom-algorithms', 'dh2-only'] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

/** The fixtures that render (every one but `dh2-only`). */
export const RENDERABLE: readonly FixtureName[] = ['defaults', 'ikev1', 'custom-algorithms'];

/** The path of a fixture file. */
export function fixturePath(name: FixtureName): string {
  return join(import.meta.dirname, '..', 'fixtures', 'vpn-connections', `${name}.json`);
}

/** A VpnConnection a test may edit (the renderer's input type is read-only). */
export type EditableVpnConnection = { -readonly [K in keyof VpnConnectionInput]: VpnConnectionInput[K] };

/** The one VpnConnection in a fixture (a fresh copy each call, safe to mutate). */
export function loadVpnConnection(name: FixtureName): EditableVpnConnection {
  const parsed = JSON.parse(readFileSync(fixturePath(name), 'utf8')) as { VpnConnections: unknown[] };
  return parsed.VpnConnections[0] as EditableVpnConnection;
}

/** The link CIDRs the tests render with. */
export const LOCAL_CIDR = '10.20.0.0/16';
export const REMOTE_CIDR = '10.0.0.0/16';
