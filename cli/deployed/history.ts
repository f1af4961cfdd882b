/**
 * `--history`: the recent remediations of a deployed stack, newest first, as a table or a JSON
 * array. ListExecutions, then DescribeExecution of each (a few at a time), and for those that did
 * not succeed the end of their history, to name the failed state.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { parseRemediationExecutionName } from '#shared/execution-name.ts';
import type { CliCommand } from '../args.ts';
import { colorEnabled, makeStyle, renderHistoryTable } from '../render.ts';
import { type RemediationRecord, toRemediationRecord } from '../summary.ts';
import {
  createCloudFormationClient,
  createSfnClient,
  describeExecution,
  type ExecutionListEntry,
  getHistoryPage,
  listExecutionsPage,
  regionOfArn,
} from './adapters.ts';
import { EXIT_OK } from './errors.ts';
import type { CliIo } from './io.ts';
import { resolveMachine } from './stack.ts';

type HistoryCommand = Extract<CliCommand, { mode: 'history' }>;

/** DescribeExecution calls in flight at once: quick, and well inside the API's request rate. */
export const HISTORY_CONCURRENCY = 4;
/** With a link filter, ListExecutions pages read at most (100 executions each). */
const MAX_FILTERED_PAGES = 10;
/** The end of a failed execution's history read to find the failed state. */
const TAIL_EVENTS = 100;

/** Runs `work` over `items`, at most `limit` at a time, keeping the order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The newest `limit` executions (of `link`, when given). */
async function recentExecutions(
  sfn: SFNClient,
  stateMachineArn: string,
  options: { link?: string; limit: number },
): Promise<ExecutionListEntry[]> {
  const found: ExecutionListEntry[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await listExecutionsPage(sfn, stateMachineArn, {
      // Names carry the link, but ListExecutions cannot filter by name: read wider pages then.
      maxResults: options.link === undefined ? options.limit : 100,
      ...(nextToken === undefined ? {} : { nextToken }),
    });
    for (const execution of page.executions) {
      if (
        options.link === undefined ||
        parseRemediationExecutionName(execution.name)?.link === options.link
      ) {
        found.push(execution);
      }
    }
    nextToken = page.nextToken;
    pages += 1;
  } while (nextToken && found.length < options.limit && pages < MAX_FILTERED_PAGES);
  return found.slice(0, options.limit);
}

/** The history records of the machine's recent remediations, newest first. */
export async function listRemediations(
  sfn: SFNClient,
  stateMachineArn: string,
  options: { link?: string; limit: number; concurrency?: number },
): Promise<RemediationRecord[]> {
  const executions = await recentExecutions(sfn, stateMachineArn, options);
  return mapWithConcurrency(executions, options.concurrency ?? HISTORY_CONCURRENCY, async (execution) => {
    const description = await describeExecution(sfn, execution.executionArn);
    if (description.status === 'SUCCEEDED' || description.status === 'RUNNING') {
      return toRemediationRecord(description);
    }
    const tail = await getHistoryPage(sfn, execution.executionArn, {
      reverseOrder: true,
      maxResults: TAIL_EVENTS,
    });
    return toRemediationRecord(description, tail.events);
  });
}

/** `--history [--link LINK] [--limit N] [--json]`. */
export async function runHistory(command: HistoryCommand, io: CliIo): Promise<number> {
  const machine = await resolveMachine(command.target, () => createCloudFormationClient(command.aws));
  const sfn = createSfnClient(command.aws, regionOfArn(machine.stateMachineArn));
  const records = await listRemediations(sfn, machine.stateMachineArn, {
    limit: command.limit,
    ...(command.link === undefined ? {} : { link: command.link }),
  });
  if (command.json) {
    io.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
  } else {
    io.stdout.write(renderHistoryTable(records, makeStyle(colorEnabled(io.stdout, io.env))));
  }
  return EXIT_OK;
}
