/**
 * Finding the Remediation state machine (and the configured links) from the stack's outputs
 * (docs/contracts.md, "Stack outputs").
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { Target } from '../args.ts';
import { describeStack } from './adapters.ts';
import { CliError } from './errors.ts';

export const OUTPUT_STATE_MACHINE = 'RemediationStateMachineArn';
export const OUTPUT_LINK_NAMES = 'LinkNames';

export interface RemediationMachine {
  readonly stateMachineArn: string;
  /** The configured links; null when only the machine's ARN was given. */
  readonly linkNames: readonly string[] | null;
  readonly stackName: string | null;
}

/** How to name the target again in a hint (`--stack NAME` or `--state-machine-arn ARN`). */
export function targetFlag(machine: RemediationMachine): string {
  return machine.stackName === null
    ? `--state-machine-arn ${machine.stateMachineArn}`
    : `--stack ${machine.stackName}`;
}

/** Reads the stack outputs, or takes the ARN as given. */
export async function resolveMachine(
  target: Target,
  cfn: () => CloudFormationClient,
  options: { signal?: AbortSignal } = {},
): Promise<RemediationMachine> {
  if ('stateMachineArn' in target) {
    return { stateMachineArn: target.stateMachineArn, linkNames: null, stackName: null };
  }
  const stack = await describeStack(cfn(), target.stack, options);
  const stateMachineArn = stack.outputs[OUTPUT_STATE_MACHINE];
  const linkNamesOutput = stack.outputs[OUTPUT_LINK_NAMES];
  const missing = [
    ...(stateMachineArn ? [] : [OUTPUT_STATE_MACHINE]),
    ...(linkNamesOutput === undefined ? [OUTPUT_LINK_NAMES] : []),
  ];
  if (!stateMachineArn || linkNamesOutput === undefined) {
    const inProgress = /_IN_PROGRESS$|FAILED$|ROLLBACK/.test(stack.status)
      ? ` (its status is ${stack.status})`
      : '';
    throw new CliError(
      `stack "${stack.stackName}" has no VPN Guard outputs${inProgress}: missing ${missing.join(', ')}; is it the VPN Guard stack, deployed with this version? Pass its name with --stack, or the machine with --state-machine-arn`,
    );
  }
  const linkNames = linkNamesOutput
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return { stateMachineArn, linkNames, stackName: stack.stackName };
}

/** Checks the link against the stack's LinkNames; throws a {@link CliError} listing them. */
export function checkLink(machine: RemediationMachine, link: string | undefined): string {
  const configured = machine.linkNames;
  const listed = configured && configured.length > 0 ? configured.join(', ') : '(none)';
  if (link === undefined) {
    throw new CliError(`--link LINK is required: stack "${machine.stackName}" configures ${listed}`);
  }
  if (configured && !configured.includes(link)) {
    throw new CliError(
      `unknown link "${link}": stack "${machine.stackName}" configures ${listed}; pass one of them with --link`,
    );
  }
  return link;
}
