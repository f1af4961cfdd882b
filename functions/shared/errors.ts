/**
 * Typed errors thrown by the task Lambdas. Step Functions sees `errorType` = the error's `name`,
 * so the ASL's Retry/Catch match these names: they are a contract with `statemachines/*.asl.json`.
 */

/** Base for errors the state machines match by name. */
export abstract class VpnGuardError extends Error {
  abstract override readonly name: string;
}

/** The execution input is not what the state machine accepts; nothing was touched. */
export class InvalidInputError extends VpnGuardError {
  override readonly name = 'InvalidInputError';
}

/** DescribeVpnConnections failed in every region asked (not a tunnel failure: a collection failure). */
export class TunnelCheckError extends VpnGuardError {
  override readonly name = 'TunnelCheckError';
}

/** An AWS API answered with throttling; the ASL retries these with backoff. */
export class AwsThrottledError extends VpnGuardError {
  override readonly name = 'AwsThrottledError';
}

/** The canary could not run at all (bad input, aborted before the first probe). */
export class CanaryError extends VpnGuardError {
  override readonly name = 'CanaryError';
}

/** PutMetricData failed; the tick fails visibly rather than pretending it published. */
export class MetricPublishError extends VpnGuardError {
  override readonly name = 'MetricPublishError';
}

/** The gateway's current state could not be read or is not as configured. */
export class GatewayStateError extends VpnGuardError {
  override readonly name = 'GatewayStateError';
}

/** A mutating gateway step (terminate, associate, re-point) failed after its own retries. */
export class GatewayUpdateError extends VpnGuardError {
  override readonly name = 'GatewayUpdateError';
}

/** A Wait/poll loop passed its deadline. */
export class DeadlineExceededError extends VpnGuardError {
  override readonly name = 'DeadlineExceededError';
}

/** Publishing the notification failed. */
export class NotificationError extends VpnGuardError {
  override readonly name = 'NotificationError';
}

const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

/** Whether an SDK error is AWS throttling (by the error names AWS services use). */
export function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_NAMES.has(error.name);
}

/** The error's name and message, for logs and reports. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'UnknownError', message: String(error) };
}

/** Re-throws an SDK error as throttling (retryable by the ASL) or as the given typed error. */
export function rethrowAs(
  error: unknown,
  make: (message: string, options: { cause: unknown }) => VpnGuardError,
  context: string,
): never {
  const { name, message } = describeError(error);
  if (isThrottling(error)) throw new AwsThrottledError(`${context}: ${name}: ${message}`, { cause: error });
  throw make(`${context}: ${name}: ${message}`, { cause: error });
}

/**
 * An AWS API answered with a server-side error (5xx, `InternalError`, `ServiceUnavailable`, ...):
 * transient, never an outcome; the ASL retries it like throttling.
 */
export class AwsTransientError extends VpnGuardError {
  override readonly name = 'AwsTransientError';
}

/** A precondition refuses any change (a suspended process, AWS maintenance, a foreign Elastic IP holder...). */
export class PreconditionRefusedError extends VpnGuardError {
  override readonly name = 'PreconditionRefusedError';
}

const TRANSIENT_NAMES = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'ServerException',
  'RequestTimeout',
  'RequestTimeoutException',
  'ResourceContention',
]);

/** Whether an SDK error is a server-side (5xx) failure worth retrying, by its fault or its name. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (TRANSIENT_NAMES.has(error.name)) return true;
  const meta = error as { $fault?: string; $metadata?: { httpStatusCode?: number } };
  return meta.$fault === 'server' || (meta.$metadata?.httpStatusCode ?? 0) >= 500;
}
