/**
 * The drill against a deployed stack: find the Remediation machine, refuse while the link is being
 * remediated, start a `drill` execution, follow it live, print the summary and the console URL.
 * Also `--execution-arn`: follow (or with --abort stop) an execution already started.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { parseRemediationExecutionName, remediationExecutionName } from '#shared/execution-name.ts';
import type { CliCommand } from '../args.ts';
import { colorEnabled, formatUtc, LiveStatus, makeStyle, renderSummary, type Style } from '../render.ts';
import { buildDeployedSummary, consoleUrlFor, type ExecutionDescription, isDrillOk } from '../summary.ts';
import {
  createCloudFormationClient,
  createSfnClient,
  describeExecution,
  listExecutionsPage,
  regionOfArn,
  startExecution,
  stopExecution,
} from './adapters.ts';
import { CliError, EXIT_DRILL_FAILED, EXIT_OK } from './errors.ts';
import { ExecutionFollower } from './follow.ts';
import type { CliIo, OutStream } from './io.ts';
import { checkLink, resolveMachine, targetFlag } from './stack.ts';

type DrillCommand = Extract<CliCommand, { mode: 'drill' }>;
type FollowCommand = Extract<CliCommand, { mode: 'follow' }>;

/** The error name a drill's StopExecution records, so the console shows who stopped it. */
export const ABORT_ERROR = 'DrillAborted';

interface Output {
  /** Where the live history and messages go: stdout, or stderr when stdout carries JSON. */
  readonly log: OutStream;
  readonly live: LiveStatus;
  readonly style: Style;
}

function outputFor(io: CliIo, json: boolean): Output {
  const log = json ? io.stderr : io.stdout;
  return { log, live: new LiveStatus(log), style: makeStyle(colorEnabled(log, io.env)) };
}

/** `arn:…:execution:Machine:name` → `arn:…:stateMachine:Machine`. */
export function stateMachineArnOf(executionArn: string): string {
  const parts = executionArn.split(':');
  return [...parts.slice(0, 5), 'stateMachine', parts[6] ?? ''].join(':');
}

/** Refuses to start while another remediation of the link runs (the machine would skip it anyway). */
async function refuseIfRunning(sfn: SFNClient, stateMachineArn: string, link: string): Promise<void> {
  let nextToken: string | undefined;
  do {
    const page = await listExecutionsPage(sfn, stateMachineArn, {
      statusFilter: 'RUNNING',
      maxResults: 100,
      ...(nextToken === undefined ? {} : { nextToken }),
    });
    const running = page.executions.find(
      (execution) =>
        execution.name.startsWith(`${link}-`) && parseRemediationExecutionName(execution.name)?.link === link,
    );
    if (running) {
      throw new CliError(
        `a remediation of "${link}" is already running: ${running.name} (started ${formatUtc(running.startDate)} UTC); follow it with "npm run drill -- --execution-arn ${running.executionArn}", or pass --force to start another anyway`,
      );
    }
    nextToken = page.nextToken;
  } while (nextToken);
}

interface ReportContext {
  readonly io: CliIo;
  readonly json: boolean;
  readonly output: Output;
  /** How to list this machine's history again (`--stack NAME` or `--state-machine-arn ARN`). */
  readonly targetFlag: string;
  readonly link: string | null;
}

/** The summary on stdout: text, or one JSON object. */
function printSummary(
  context: ReportContext,
  description: ExecutionDescription,
  events: ExecutionFollower['events'],
) {
  const { summary, plan } = buildDeployedSummary(description, events);
  if (context.json) {
    context.io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    const style = makeStyle(colorEnabled(context.io.stdout, context.io.env));
    context.io.stdout.write(`\n${renderSummary(summary, { style, plan })}`);
  }
  return summary;
}

/** How to keep watching after Ctrl-C (or after a follow error), on stderr. */
function printKeepWatching(context: ReportContext, executionArn: string, stopped: boolean): void {
  const history = `npm run drill -- ${context.targetFlag} --history${context.link ? ` --link ${context.link}` : ''}`;
  const lines = [
    stopped
      ? 'Stopped following; the execution keeps running in Step Functions. To keep watching:'
      : 'The execution keeps running in Step Functions. To keep watching:',
    `  console: ${consoleUrlFor(executionArn)}`,
    `  follow:  npm run drill -- --execution-arn ${executionArn}`,
    `  history: ${history}`,
    `  stop it: npm run drill -- --execution-arn ${executionArn} --abort`,
  ];
  context.io.stderr.write(`${lines.join('\n')}\n`);
}

/**
 * Follows until the end (or Ctrl-C), then prints the summary. Exit code 0 only when the drill
 * recovered the link or, for a dry run, produced its plan.
 */
async function followAndReport(
  sfn: SFNClient,
  executionArn: string,
  fallback: ExecutionDescription,
  context: ReportContext & { readonly abortOnInterrupt: boolean },
): Promise<number> {
  const { io, output } = context;
  const follower = new ExecutionFollower(sfn, executionArn, {
    live: output.live,
    style: output.style,
    now: io.now,
  });
  let result: Awaited<ReturnType<ExecutionFollower['follow']>>;
  try {
    result = await follower.follow(io);
  } catch (error) {
    output.live.done();
    if (error instanceof CliError) printKeepWatching(context, executionArn, false);
    throw error;
  }
  if (!result.interrupted && result.description) {
    const summary = printSummary(context, result.description, follower.events);
    return isDrillOk(summary) ? EXIT_OK : EXIT_DRILL_FAILED;
  }

  output.live.done();
  if (context.abortOnInterrupt) {
    output.live.line(`Ctrl-C: stopping ${executionArn} (--abort)`);
    await stopExecution(sfn, {
      executionArn,
      error: ABORT_ERROR,
      cause: `stopped by ${io.operator} via vpn-guard CLI (Ctrl-C with --abort)`,
    });
    const description = await follower.poll();
    output.live.done();
    printSummary(context, description, follower.events);
    return EXIT_DRILL_FAILED;
  }
  printSummary(context, result.description ?? fallback, follower.events);
  printKeepWatching(context, executionArn, true);
  return EXIT_DRILL_FAILED;
}

/** `--stack NAME --link LINK [--dry-run]`: starts a drill and follows it. */
export async function runDeployedDrill(command: DrillCommand, io: CliIo): Promise<number> {
  const output = outputFor(io, command.json);
  const machine = await resolveMachine(command.target, () => createCloudFormationClient(command.aws));
  const link = checkLink(machine, command.link);
  const sfn = createSfnClient(command.aws, regionOfArn(machine.stateMachineArn));
  if (!command.force) await refuseIfRunning(sfn, machine.stateMachineArn, link);

  const name = remediationExecutionName(link, 'drill', io.now());
  const input = JSON.stringify({
    link,
    trigger: 'drill',
    dryRun: command.dryRun,
    reason: `drill started by ${io.operator} via vpn-guard CLI`,
  });
  let started: { executionArn: string; startDate: Date };
  try {
    started = await startExecution(sfn, { stateMachineArn: machine.stateMachineArn, name, input });
  } catch (error) {
    if (error instanceof CliError && (error.cause as Error | undefined)?.name === 'ExecutionAlreadyExists') {
      throw new CliError(
        `an execution named ${name} already exists: a remediation of "${link}" was started in this same second; see it with "npm run drill -- ${targetFlag(machine)} --history --link ${link}", or run again`,
        error.exitCode,
        { cause: error },
      );
    }
    throw error;
  }

  output.live.line(
    `${output.style.bold('Started')} ${name}${command.dryRun ? ' (dry run: nothing will be changed)' : ''}`,
  );
  output.live.line(`  ${consoleUrlFor(started.executionArn)}`);
  return followAndReport(
    sfn,
    started.executionArn,
    {
      executionArn: started.executionArn,
      stateMachineArn: machine.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: started.startDate,
      input,
    },
    {
      io,
      json: command.json,
      output,
      targetFlag: targetFlag(machine),
      link,
      abortOnInterrupt: command.abort,
    },
  );
}

/** `--execution-arn ARN [--abort]`: follows an execution, or stops it. */
export async function runFollow(command: FollowCommand, io: CliIo): Promise<number> {
  const output = outputFor(io, command.json);
  const { executionArn } = command;
  const sfn = createSfnClient(command.aws, regionOfArn(executionArn));
  const context = {
    io,
    json: command.json,
    output,
    targetFlag: `--state-machine-arn ${stateMachineArnOf(executionArn)}`,
    link: parseRemediationExecutionName(executionArn.split(':').at(-1) ?? '')?.link ?? null,
  };
  if (!command.abort) {
    const unknownYet: ExecutionDescription = {
      executionArn,
      stateMachineArn: stateMachineArnOf(executionArn),
      name: executionArn.split(':').at(-1) ?? '',
      status: 'RUNNING',
      startDate: io.now(),
    };
    return followAndReport(sfn, executionArn, unknownYet, { ...context, abortOnInterrupt: false });
  }

  const before = await describeExecution(sfn, executionArn);
  const stopping = before.status === 'RUNNING';
  if (stopping) {
    await stopExecution(sfn, {
      executionArn,
      error: ABORT_ERROR,
      cause: `stopped by ${io.operator} via vpn-guard CLI (--abort)`,
    });
  } else {
    output.live.line(`${before.name} is not running (${before.status}): nothing to stop`);
  }
  const follower = new ExecutionFollower(sfn, executionArn, {
    live: output.live,
    style: output.style,
    now: io.now,
  });
  const description = await follower.poll();
  const summary = printSummary(context, description, follower.events);
  if (stopping) return EXIT_OK;
  return isDrillOk(summary) ? EXIT_OK : EXIT_DRILL_FAILED;
}
