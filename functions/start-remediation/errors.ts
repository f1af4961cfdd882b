/** start-remediation's own error (candidate for #shared/errors.ts). */
import { VpnGuardError } from '#shared/errors.ts';

/** Reading the alarms or starting an execution failed (other than throttling). */
export class RemediationStartError extends VpnGuardError {
  override readonly name = 'RemediationStartError';
}
