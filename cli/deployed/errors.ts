/**
 * The drill command's errors: one line each, saying what went wrong and how to fix it, with the
 * exit code (2: usage or configuration; 1: the drill itself).
 */

export const EXIT_OK = 0;
export const EXIT_DRILL_FAILED = 1;
export const EXIT_CONFIG = 2;

/** An error the command reports on one line and exits with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_CONFIG,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The call that failed, to name it in the message. */
export interface AwsCallContext {
  /** The IAM action, e.g. `states:StartExecution`. */
  readonly action: string;
  /** What it was called on (a stack name, an ARN). */
  readonly resource?: string;
}

const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError']);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);
const REJECTED = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
]);
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'AuthorizationError']);
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

/** Whether the error is the SDK giving up because our AbortSignal fired (Ctrl-C). */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'AbortSignal');
}

/** Turns an AWS SDK (or credential chain) error into a one-line {@link CliError} with the fix. */
export function translateAwsError(error: unknown, context: AwsCallContext): CliError {
  if (error instanceof CliError) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const message = firstLine(error instanceof Error ? error.message : String(error));
  const code = (error as { code?: unknown } | null)?.code;
  const on = context.resource ? ` on ${context.resource}` : '';
  const wrap = (text: string) => new CliError(text, EXIT_CONFIG, { cause: error });

  if (CREDENTIAL_ERRORS.has(name) || /Could not load credentials/i.test(message)) {
    return wrap(
      `no usable AWS credentials (${message}): pass --profile P (after "aws sso login --profile P" for SSO), set AWS_PROFILE, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
    );
  }
  if (/Region is missing/i.test(message)) {
    return wrap(
      'no AWS Region: pass --region R, set AWS_REGION, or give the profile a region in ~/.aws/config',
    );
  }
  if (EXPIRED.has(name)) {
    return wrap(
      `the AWS session has expired (${name}): refresh it ("aws sso login", or new keys) and run again`,
    );
  }
  if (REJECTED.has(name)) {
    return wrap(
      `AWS rejected the credentials (${name}: ${message}): check the profile or keys, and that they belong to the stack's partition`,
    );
  }
  if (DENIED.has(name)) {
    const match =
      /(?:User|Principal):?\s*(\S+) is not authorized to perform:?\s*([\w-]+:\w+)(?: on resource:?\s*(\S+))?/i.exec(
        message,
      );
    const principal = match?.[1] ?? 'your identity';
    const action = match?.[2] ?? context.action;
    const resource = match?.[3] ?? context.resource;
    return wrap(
      `access denied: ${principal} may not call ${action}${resource ? ` on ${resource}` : ''}: grant ${action} to that role or user (the README lists the operator's permissions), or use a profile that has it`,
    );
  }
  if (name === 'ValidationError' && /does not exist/i.test(message)) {
    return wrap(
      `${message}: check the stack name and its Region (--region, AWS_REGION or the profile's); "aws cloudformation list-stacks" lists them`,
    );
  }
  if (name === 'StateMachineDoesNotExist') {
    return wrap(
      `state machine not found${on}: check the ARN and --region, or pass --stack NAME to read it from the stack`,
    );
  }
  if (name === 'ExecutionDoesNotExist') {
    return wrap(
      `execution not found${on}: check the ARN (Step Functions keeps a STANDARD execution's history 90 days)`,
    );
  }
  if (name === 'InvalidArn') {
    return wrap(`not a valid ARN${on} (${message}): copy it from the stack outputs or the console`);
  }
  if (name === 'ExecutionLimitExceeded') {
    return wrap(
      `the account's limit of running executions is reached (${message}): wait for some to end, then retry`,
    );
  }
  if (THROTTLED.has(name)) {
    return wrap(
      `AWS throttled ${context.action} (${name}) even after the SDK's retries: wait a minute and retry`,
    );
  }
  if ((typeof code === 'string' && NETWORK_CODES.has(code)) || name === 'TimeoutError') {
    return wrap(
      `could not reach the AWS endpoint for ${context.action} (${typeof code === 'string' ? code : name}: ${message}): check the network, or AWS_ENDPOINT_URL if you use an emulator`,
    );
  }
  return wrap(`${context.action}${on} failed: ${name}: ${message}`);
}
