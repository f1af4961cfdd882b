/**
 * remediation-guard's own error, matched by name like those of #shared/errors.ts (candidate to move
 * there: the lock table is only this function's business today).
 */
import { VpnGuardError } from '#shared/errors.ts';

/** The lock table could not be read or written (other than throttling, which is AwsThrottledError). */
export class LockTableError extends VpnGuardError {
  override readonly name = 'LockTableError';
}
