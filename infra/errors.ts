/**
 * Errors the CDK app reports to the user as a message and exit code 1, with no stack trace: they
 * are about the deployment's inputs, not bugs in the app.
 */
import { ConfigError } from '#shared/config.ts';

/** A Lambda's environment would exceed the 4 KB Lambda allows for all its variables together. */
export class EnvironmentTooLargeError extends Error {
  override readonly name = 'EnvironmentTooLargeError';
}

/** The synthesized deployment would break an AWS limit (infra/deployment-limits.ts); the message says the fix. */
export class DeploymentLimitError extends Error {
  override readonly name = 'DeploymentLimitError';
}

/** Whether an error is one the user fixes in the config (print its message, exit 1). */
export function isUserFacingError(
  error: unknown,
): error is ConfigError | EnvironmentTooLargeError | DeploymentLimitError {
  return (
    error instanceof ConfigError ||
    error instanceof EnvironmentTooLargeError ||
    error instanceof DeploymentLimitError
  );
}
