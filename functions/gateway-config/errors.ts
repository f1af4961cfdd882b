/** Errors of the gateway-config function (EventBridge retries an invocation that throws). */
import { VpnGuardError } from '#shared/errors.ts';

/** The VPN connections could not be read in the VPN's Region; the render is retried. */
export class VpnReadError extends VpnGuardError {
  override readonly name = 'VpnReadError';
}

/** The rendered record could not be written to Parameter Store. */
export class GatewayConfigWriteError extends VpnGuardError {
  override readonly name = 'GatewayConfigWriteError';
}
