/**
 * Thin, typed CloudFormation and Step Functions calls for the drill command. Each returns our
 * domain types (cli/summary.ts) and turns SDK errors into one-line {@link CliError}s naming the
 * IAM action; Ctrl-C aborts (AbortError) pass through untouched.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { AwsOptions } from '../args.ts';
import type { ExecutionDescription, ExecutionEvent, ExecutionStatus } from '../summary.ts';
import { isAbort, translateAwsError } from './errors.ts';

interface CallOptions {
  readonly signal?: AbortSignal;
}

async function call<T>(action: string, resource: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isAbort(error)) throw error;
    throw translateAwsError(error, { action, ...(resource === undefined ? {} : { resource }) });
  }
}

const sendOptions = (options: CallOptions) => (options.signal ? { abortSignal: options.signal } : {});

/**
 * Clients from the SDK's standard chain. `profile` selects a named profile (credentials and its
 * Region) like AWS_PROFILE; no endpoint is ever set, so AWS_ENDPOINT_URL* keep working.
 */
export function createCloudFormationClient(aws: AwsOptions): CloudFormationClient {
  return new CloudFormationClient({
    ...(aws.region === undefined ? {} : { region: aws.region }),
    ...(aws.profile === undefined ? {} : { profile: aws.profile }),
  });
}

/**
 * A Step Functions client in `arnRegion` (the Region in the state machine's or execution's ARN: the
 * machine lives there, whatever the default Region), else --region, else the chain's.
 */
export function createSfnClient(aws: AwsOptions, arnRegion?: string): SFNClient {
  const chosen = arnRegion ?? aws.region;
  return new SFNClient({
    ...(chosen === undefined ? {} : { region: chosen }),
    ...(aws.profile === undefined ? {} : { profile: aws.profile }),
  });
}

/** The Region of an ARN (`arn:aws:states:REGION:...`). */
export function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}

export interface StackInfo {
  readonly stackName: string;
  readonly status: string;
  readonly outputs: Readonly<Record<string, string>>;
}

/** DescribeStacks for one stack: its status and outputs by OutputKey. */
export async function describeStack(
  cfn: CloudFormationClient,
  stackName: string,
  options: CallOptions = {},
): Promise<StackInfo> {
  const response = await call('cloudformation:DescribeStacks', stackName, () =>
    cfn.send(new DescribeStacksCommand({ StackName: stackName }), sendOptions(options)),
  );
  const stack = response.Stacks?.[0];
  const outputs: Record<string, string> = {};
  for (const output of stack?.Outputs ?? []) {
    if (output.OutputKey && output.OutputValue !== undefined) outputs[output.OutputKey] = output.OutputValue;
  }
  return { stackName: stack?.StackName ?? stackName, status: stack?.StackStatus ?? 'UNKNOWN', outputs };
}

/** StartExecution; returns the execution's ARN and start time. */
export async function startExecution(
  sfn: SFNClient,
  request: { stateMachineArn: string; name: string; input: string },
  options: CallOptions = {},
): Promise<{ executionArn: string; startDate: Date }> {
  const response = await call('states:StartExecution', request.stateMachineArn, () =>
    sfn.send(new StartExecutionCommand(request), sendOptions(options)),
  );
  return { executionArn: response.executionArn ?? '', startDate: response.startDate ?? new Date(0) };
}

/** DescribeExecution. */
export async function describeExecution(
  sfn: SFNClient,
  executionArn: string,
  options: CallOptions = {},
): Promise<ExecutionDescription> {
  const response = await call('states:DescribeExecution', executionArn, () =>
    sfn.send(new DescribeExecutionCommand({ executionArn }), sendOptions(options)),
  );
  return {
    executionArn: response.executionArn ?? executionArn,
    stateMachineArn: response.stateMachineArn ?? '',
    name: response.name ?? executionArn.split(':').at(-1) ?? '',
    status: (response.status ?? 'RUNNING') as ExecutionStatus,
    startDate: response.startDate ?? new Date(0),
    ...(response.stopDate ? { stopDate: response.stopDate } : {}),
    ...(response.input === undefined ? {} : { input: response.input }),
    ...(response.output === undefined ? {} : { output: response.output }),
    ...(response.error === undefined ? {} : { error: response.error }),
    ...(response.cause === undefined ? {} : { cause: response.cause }),
  };
}

/** StopExecution, saying who stopped it and why. */
export async function stopExecution(
  sfn: SFNClient,
  request: { executionArn: string; error: string; cause: string },
  options: CallOptions = {},
): Promise<void> {
  await call('states:StopExecution', request.executionArn, () =>
    sfn.send(new StopExecutionCommand(request), sendOptions(options)),
  );
}

/** A history event as the SDK (or `aws stepfunctions get-execution-history`) returns it. */
export type RawHistoryEvent = Omit<HistoryEvent, 'timestamp'> & {
  timestamp: Date | string | number | undefined;
};

/**
 * An SDK history event as our {@link ExecutionEvent}: whatever its type, its details sit in the one
 * `<type>EventDetails` member, whose `name`, `error`, `cause`, `output`, `resourceType`/`resource`
 * are what the console shows.
 */
export function toExecutionEvent(event: RawHistoryEvent): ExecutionEvent {
  const details = Object.entries(event).find(
    ([key, value]) => key.endsWith('EventDetails') && value !== null && typeof value === 'object',
  )?.[1] as Record<string, unknown> | undefined;
  const text = (key: string) => (typeof details?.[key] === 'string' ? (details[key] as string) : undefined);
  const name = text('name');
  const error = text('error');
  const cause = text('cause');
  const output = text('output');
  const resourceType = text('resourceType');
  const resource = text('resource');
  return {
    id: Number(event.id ?? 0),
    ...(event.previousEventId === undefined ? {} : { previousEventId: Number(event.previousEventId) }),
    type: String(event.type ?? 'Unknown'),
    timestamp: new Date(event.timestamp ?? 0),
    ...(name === undefined ? {} : { name }),
    ...(error === undefined ? {} : { error }),
    ...(cause === undefined ? {} : { cause }),
    ...(output === undefined ? {} : { output }),
    ...(resourceType && resource ? { resource: `${resourceType}:${resource}` } : {}),
  };
}

export const HISTORY_PAGE_SIZE = 100;

/** One page of GetExecutionHistory. */
export async function getHistoryPage(
  sfn: SFNClient,
  executionArn: string,
  page: { nextToken?: string; reverseOrder?: boolean; maxResults?: number },
  options: CallOptions = {},
): Promise<{ events: ExecutionEvent[]; nextToken?: string }> {
  const response = await call('states:GetExecutionHistory', executionArn, () =>
    sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: page.maxResults ?? HISTORY_PAGE_SIZE,
        ...(page.reverseOrder ? { reverseOrder: true } : {}),
        ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
      }),
      sendOptions(options),
    ),
  );
  return {
    events: (response.events ?? []).map(toExecutionEvent),
    ...(response.nextToken ? { nextToken: response.nextToken } : {}),
  };
}

export interface ExecutionListEntry {
  readonly executionArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
}

/** One page of ListExecutions (newest first). */
export async function listExecutionsPage(
  sfn: SFNClient,
  stateMachineArn: string,
  page: { statusFilter?: 'RUNNING'; maxResults: number; nextToken?: string },
  options: CallOptions = {},
): Promise<{ executions: ExecutionListEntry[]; nextToken?: string }> {
  const response = await call('states:ListExecutions', stateMachineArn, () =>
    sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: page.maxResults,
        ...(page.statusFilter ? { statusFilter: page.statusFilter } : {}),
        ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
      }),
      sendOptions(options),
    ),
  );
  return {
    executions: (response.executions ?? []).map((item) => ({
      executionArn: item.executionArn ?? '',
      name: item.name ?? '',
      status: (item.status ?? 'RUNNING') as ExecutionStatus,
      startDate: item.startDate ?? new Date(0),
    })),
    ...(response.nextToken ? { nextToken: response.nextToken } : {}),
  };
}
