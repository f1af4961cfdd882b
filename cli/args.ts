/**
 * Arguments of `npm run drill`: the local sandbox drill, or a drill / history / follow against a
 * deployed stack. Parsing only: no AWS, no files.
 */
import { parseArgs } from 'node:util';

/** A usage mistake: exit code 2, with the fix in the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Where the Remediation state machine comes from. */
export type Target = { readonly stack: string } | { readonly stateMachineArn: string };

export interface AwsOptions {
  readonly region?: string;
  readonly profile?: string;
}

export type CliCommand =
  | { readonly mode: 'help' }
  | {
      readonly mode: 'local';
      readonly scenario?: string;
      readonly json: boolean;
      /** The gateway's IPsec as a real pluto, AWS's endpoints as another (root, Libreswan). */
      readonly realIke?: boolean;
    }
  | {
      readonly mode: 'drill';
      readonly target: Target;
      /** Absent: the stack's links are listed in the error. */
      readonly link?: string;
      readonly dryRun: boolean;
      readonly force: boolean;
      /** Stop the execution on Ctrl-C instead of only stopping to follow it. */
      readonly abort: boolean;
      readonly json: boolean;
      readonly aws: AwsOptions;
    }
  | {
      readonly mode: 'history';
      readonly target: Target;
      readonly link?: string;
      readonly limit: number;
      readonly json: boolean;
      readonly aws: AwsOptions;
    }
  | {
      readonly mode: 'follow';
      readonly executionArn: string;
      /** Stop it now (StopExecution) instead of following it. */
      readonly abort: boolean;
      readonly json: boolean;
      readonly aws: AwsOptions;
    };

export const DEFAULT_HISTORY_LIMIT = 20;
const MAX_HISTORY_LIMIT = 1000;

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
const EXECUTION_ARN =
  /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:[A-Za-z0-9_-]{1,80}$/;
const LINK = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  scenario: { type: 'string' },
  stack: { type: 'string' },
  'state-machine-arn': { type: 'string' },
  'execution-arn': { type: 'string' },
  link: { type: 'string' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  abort: { type: 'boolean' },
  history: { type: 'boolean' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  'real-ike': { type: 'boolean' },
  region: { type: 'string' },
  profile: { type: 'string' },
} as const;

/** Every option's long name, without the dashes (for `--help`'s completeness test). */
export const OPTION_NAMES = Object.keys(OPTIONS);

/** Parses the command line (without `node` and the script). Throws {@link UsageError}. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let values: ReturnType<
    typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false }>
  >['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`${message} (see npm run drill -- --help)`);
  }
  if (values.help) return { mode: 'help' };

  const json = values.json ?? false;
  const aws: AwsOptions = {
    ...(values.region === undefined ? {} : { region: nonEmpty('--region', values.region) }),
    ...(values.profile === undefined ? {} : { profile: nonEmpty('--profile', values.profile) }),
  };
  const given = (names: readonly (keyof typeof OPTIONS)[]) =>
    names.filter((name) => values[name] !== undefined).map((name) => `--${name}`);

  const deployedTargets = given(['stack', 'state-machine-arn', 'execution-arn']);
  if (deployedTargets.length === 0) {
    const deployedOnly = given([
      'link',
      'dry-run',
      'force',
      'abort',
      'history',
      'limit',
      'region',
      'profile',
    ]);
    if (deployedOnly.length > 0) {
      throw new UsageError(
        `${deployedOnly.join(', ')} need${deployedOnly.length === 1 ? 's' : ''} a deployed stack: add --stack NAME (or --state-machine-arn ARN); without them the drill runs in the local sandbox`,
      );
    }
    return {
      mode: 'local',
      ...(values.scenario === undefined ? {} : { scenario: values.scenario }),
      json,
      ...(values['real-ike'] ? { realIke: true } : {}),
    };
  }
  if (values['real-ike']) {
    throw new UsageError('--real-ike is for the local sandbox drill; drop it to drill a deployed stack');
  }
  if (values.scenario !== undefined) {
    throw new UsageError(
      '--scenario is for the local sandbox drill; drop it to drill a deployed stack, or drop --stack/--state-machine-arn/--execution-arn',
    );
  }
  if (deployedTargets.length > 1) {
    throw new UsageError(
      `${deployedTargets.join(' and ')} are exclusive: name the stack, the machine or one execution`,
    );
  }

  const link = values.link === undefined ? undefined : checkLink(values.link);

  if (values['execution-arn'] !== undefined) {
    const executionArn = values['execution-arn'];
    if (!EXECUTION_ARN.test(executionArn)) {
      throw new UsageError(
        `--execution-arn "${executionArn}" is not an execution ARN (arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME): copy it from the console or from the drill's output`,
      );
    }
    const extra = given(['link', 'dry-run', 'force', 'history', 'limit']);
    if (extra.length > 0) {
      throw new UsageError(
        `${extra.join(', ')} cannot be used with --execution-arn, which follows (or with --abort stops) one execution`,
      );
    }
    return { mode: 'follow', executionArn, abort: values.abort ?? false, json, aws };
  }

  let target: Target;
  if (values.stack !== undefined) {
    target = { stack: nonEmpty('--stack', values.stack) };
  } else {
    const arn = values['state-machine-arn'] ?? '';
    if (!STATE_MACHINE_ARN.test(arn)) {
      throw new UsageError(
        `--state-machine-arn "${arn}" is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME): use the stack output RemediationStateMachineArn, or pass --stack NAME`,
      );
    }
    target = { stateMachineArn: arn };
  }

  if (values.history) {
    const extra = given(['dry-run', 'force', 'abort']);
    if (extra.length > 0)
      throw new UsageError(`${extra.join(', ')} cannot be used with --history, which only reads`);
    return {
      mode: 'history',
      target,
      ...(link === undefined ? {} : { link }),
      limit: values.limit === undefined ? DEFAULT_HISTORY_LIMIT : checkLimit(values.limit),
      json,
      aws,
    };
  }
  if (values.limit !== undefined) throw new UsageError('--limit goes with --history');
  if (link === undefined && 'stateMachineArn' in target) {
    throw new UsageError(
      '--link LINK is required: name the link to drill (the stack output LinkNames lists them)',
    );
  }
  return {
    mode: 'drill',
    target,
    ...(link === undefined ? {} : { link }),
    dryRun: values['dry-run'] ?? false,
    force: values.force ?? false,
    abort: values.abort ?? false,
    json,
    aws,
  };
}

function nonEmpty(option: string, value: string): string {
  if (value.trim() === '') throw new UsageError(`${option} needs a value`);
  return value;
}

function checkLink(value: string): string {
  if (!LINK.test(value)) {
    throw new UsageError(
      `--link "${value}" is not a link name (lowercase letters, digits and "-", as in the config's links[].name)`,
    );
  }
  return value;
}

function checkLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
    throw new UsageError(`--limit "${value}" must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`);
  }
  return limit;
}

/** `npm run drill -- --help`. */
export const HELP_TEXT = `vpn-guard drill: rehearse a remediation in the local sandbox or against a deployed stack

Usage
  npm run drill                                            local sandbox drill, default scenario
  npm run drill -- --scenario FILE [--json]                local sandbox drill of a fault scenario
  npm run drill -- --stack NAME --link LINK [options]      drill a deployed stack
  npm run drill -- --state-machine-arn ARN --link LINK [options]
  npm run drill -- --stack NAME --history [--link LINK] [--limit N] [--json]
  npm run drill -- --execution-arn ARN [--abort] [--json]  follow (or stop) one execution

Local sandbox (no AWS account; the real state machine and handlers on a simulated AWS)
  --scenario FILE          a fault scenario (JSON) to inject; default: the built-in scenario
  --json                   print the summary as one JSON object
  --real-ike               run the gateway's IPsec as a real Libreswan pluto in a network namespace,
                           configured by the renderer, against another playing AWS's endpoints; the
                           tunnels follow real IKE (root and Libreswan needed)
  Durations are simulated time, and the summary says so.

Deployed stack (real AWS: the drill replaces the gateway instance unless --dry-run)
  --stack NAME             the VPN Guard CloudFormation stack; its outputs name the Remediation
                           state machine (RemediationStateMachineArn) and the links (LinkNames)
  --state-machine-arn ARN  the Remediation state machine, instead of --stack (the link is then
                           checked by the machine's first state, not beforehand)
  --link LINK              the link to drill; must be one of the stack's LinkNames
  --dry-run                walk every step, read everything, change nothing, print the plan
  --force                  start even though a remediation of this link is already running
                           (its lock will most likely make the new run skip)
  --abort                  with a drill: Ctrl-C also stops the execution (StopExecution);
                           with --execution-arn: stop that execution now
  --execution-arn ARN      follow an execution already started (e.g. after Ctrl-C)
  --history                list recent remediations: start (UTC), link, trigger, outcome,
                           time to recover, failed state; newest first
  --limit N                how many with --history (1-${MAX_HISTORY_LIMIT}, default ${DEFAULT_HISTORY_LIMIT})
  --json                   stdout gets exactly one JSON value (the summary, or with --history an
                           array); the live history and progress go to stderr
  --region R               AWS Region (default: the SDK's chain: AWS_REGION, then the profile's;
                           with an ARN, the ARN's Region)
  --profile P              a named profile of ~/.aws/config (SSO profiles too), like AWS_PROFILE
  -h, --help               this help

  A drill starts the Remediation machine with
    { "link": LINK, "trigger": "drill", "dryRun": BOOL, "reason": "drill started by USER@HOST via vpn-guard CLI" }
  named LINK-drill-<UTC yyyymmddTHHMMSS>, refuses while another remediation of the link runs
  (unless --force), prints each history event as the console lists it and a progress line, then
  the summary and the execution's console URL.
  Ctrl-C stops following, not the drill: the command prints how to keep watching (console URL,
  --execution-arn, --history). Add --abort to stop the drill itself on Ctrl-C.

Credentials and endpoints
  The AWS SDK's standard chain: environment variables, --profile / AWS_PROFILE (SSO: run
  "aws sso login --profile P" first), the instance or container role.
  AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_CLOUDFORMATION) sends the calls to
  an emulator. Calls made: cloudformation:DescribeStacks, states:ListExecutions,
  states:StartExecution, states:DescribeExecution, states:GetExecutionHistory, and with --abort
  states:StopExecution.

Output
  Colours only on a terminal, never when NO_COLOR is set; off a terminal the progress is plain
  lines, no redraw and no spinner.

Exit codes
  0  the drill recovered the link, or the dry run produced its plan; --history listed;
     --execution-arn --abort stopped the execution
  1  the drill failed or did not recover, or you stopped following before it ended
     (under "npm run", Ctrl-C makes npm itself exit 130)
  2  usage or configuration error: arguments, credentials, Region, stack, link, permissions,
     or a remediation of the link already running

Examples
  npm run drill
  npm run drill -- --scenario my-scenario.json --json
  npm run drill -- --stack VpnGuard --link home-to-west --dry-run
  npm run drill -- --stack VpnGuard --link home-to-west --profile ops --region eu-west-1
  npm run drill -- --stack VpnGuard --link home-to-west --abort --json > drill.json
  npm run drill -- --stack VpnGuard --history --link home-to-west --limit 50
  npm run drill -- --execution-arn arn:aws:states:eu-west-1:123456789012:execution:Remediation:home-to-west-drill-20261126T202938
  AWS_ENDPOINT_URL=http://localhost:4566 npm run drill -- --stack VpnGuard --link home-to-west
`;
