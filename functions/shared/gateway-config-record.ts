/**
 * The managed gateway's rendered configuration as it travels from the gateway-config function to
 * the booting instance: one SSM Parameter Store SecureString per link
 * ({@link gatewayConfigParameterName}), written at each launch and read only by that link's
 * instances. The record names the instance it was rendered for, so an instance never starts on a
 * render meant for its predecessor (whose pre-shared keys may have been rotated since).
 */
import * as z from 'zod';

/** The record's format version (bumped on an incompatible change; boot refuses others). */
export const GATEWAY_CONFIG_RECORD_VERSION = 1;

/** What gateway-config writes and boot reads. */
export const GatewayConfigRecordSchema = z.discriminatedUnion('status', [
  z
    .object({
      version: z.literal(GATEWAY_CONFIG_RECORD_VERSION),
      status: z.literal('rendered'),
      link: z.string().min(1),
      /** The instance this render is for. */
      instanceId: z.string().regex(/^i-[0-9a-f]+$/, 'must be an instance id'),
      /** ISO-8601 time of the render. */
      renderedAt: z.string().min(1),
      vpnConnectionId: z.string().regex(/^vpn-[0-9a-f]+$/, 'must be a VPN connection id'),
      /** A complete `ipsec.conf` (gateway/render). */
      conf: z.string().min(1, 'must not be empty'),
      /** A complete `ipsec.secrets` (mode 0600 on disk). */
      secrets: z.string().min(1, 'must not be empty'),
    })
    .strict(),
  z
    .object({
      version: z.literal(GATEWAY_CONFIG_RECORD_VERSION),
      status: z.literal('failed'),
      link: z.string().min(1),
      instanceId: z.string().regex(/^i-[0-9a-f]+$/, 'must be an instance id'),
      renderedAt: z.string().min(1),
      /** Why no config could be rendered (names the field and the fix; never a secret). */
      error: z.string().min(1),
    })
    .strict(),
]);

/** A rendered (or failed) gateway config record. */
export type GatewayConfigRecord = z.infer<typeof GatewayConfigRecordSchema>;
