/**
 * Test support for the drill CLI: an injected clock, sleep and Ctrl-C, collecting streams, the
 * recorded execution-history fixtures, and a scripted Step Functions execution for the SDK mock.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { CliIo } from '../../cli/deployed/io.ts';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const STACK = 'VpnGuard';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:VpnGuard-Remediation`;
export const OPERATOR = 'tester@test-host';
export const REASON = `drill started by ${OPERATOR} via vpn-guard CLI`;
/** The injected clock starts here, so the drill is named `<link>-drill-20261126T202938`. */
export const CLOCK_START = new Date('2026-11-26T20:29:38.000Z');
export const POLL_INTERVAL_MS = 1234;

export function executionArnOf(name: string): string {
  return `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** A writable stream that keeps what is written; `isTTY` as asked. */
export class Collector extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export interface TestIo {
  readonly io: CliIo;
  readonly stdout: Collector;
  readonly stderr: Collector;
  /** Aborting it is Ctrl-C. */
  readonly interrupt: AbortController;
  /** The intervals the command slept (it never really sleeps). */
  readonly sleeps: number[];
}

/**
 * Streams that are not terminals, no colour settings, a clock that moves only when the command
 * sleeps, and `onSleep` to act between polls (e.g. press Ctrl-C).
 */
export function testIo(
  options: {
    tty?: boolean;
    env?: NodeJS.ProcessEnv;
    onSleep?: (count: number, interrupt: AbortController) => void;
  } = {},
): TestIo {
  const stdout = new Collector(options.tty ?? false);
  const stderr = new Collector(options.tty ?? false);
  const interrupt = new AbortController();
  const sleeps: number[] = [];
  let clock = CLOCK_START.getTime();
  const io: CliIo = {
    stdout,
    stderr,
    env: options.env ?? {},
    now: () => new Date(clock),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
      options.onSleep?.(sleeps.length, interrupt);
    },
    pollIntervalMs: POLL_INTERVAL_MS,
    interrupt: interrupt.signal,
    operator: OPERATOR,
  };
  return { io, stdout, stderr, interrupt, sleeps };
}

/** A history event as recorded by `aws stepfunctions get-execution-history` (ISO timestamps). */
type RecordedEvent = Omit<HistoryEvent, 'timestamp'> & { timestamp: string };

/** A recorded GetExecutionHistory fixture, its timestamps as the SDK returns them (Dates). */
export function loadHistoryFixture(file: string): HistoryEvent[] {
  const recorded = JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as {
    events: RecordedEvent[];
  };
  return recorded.events.map((event) => ({ ...event, timestamp: new Date(event.timestamp) }));
}

export const RECOVERED_FIXTURE = 'remediation-recovered.history.json';
export const FAILED_FIXTURE = 'remediation-failed.history.json';

/** The execution input, output, error and cause recorded in a history. */
export function recordedExecution(events: readonly HistoryEvent[]): {
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
} {
  const first = events[0];
  const last = events.at(-1);
  const input = first?.executionStartedEventDetails?.input;
  const output = last?.executionSucceededEventDetails?.output;
  const failed = last?.executionFailedEventDetails;
  return {
    ...(input === undefined ? {} : { input }),
    ...(output === undefined ? {} : { output }),
    ...(failed?.error === undefined ? {} : { error: failed.error }),
    ...(failed?.cause === undefined ? {} : { cause: failed.cause }),
    startDate: first?.timestamp ?? CLOCK_START,
    ...(last?.timestamp ? { stopDate: last.timestamp } : {}),
  };
}

/**
 * Pages of a history as Step Functions serves them: at most `pageSize` events a page (the service
 * may return fewer than maxResults), the token being the next page's offset.
 */
export function historyPage(
  events: readonly HistoryEvent[],
  nextToken: string | undefined,
  pageSize: number,
): { events: HistoryEvent[]; nextToken?: string } {
  const offset = nextToken === undefined ? 0 : Number(nextToken);
  const end = offset + pageSize;
  return {
    events: events.slice(offset, end),
    ...(end < events.length ? { nextToken: String(end) } : {}),
  };
}

/** A Step Functions error as the SDK throws it (name, message, $fault). */
export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** Lines of output that are history events (`hh:mm:ss.mmmZ ...`). */
export function eventLines(text: string): string[] {
  return text.split('\n').filter((line) => /^\d\d:\d\d:\d\d\.\d{3}Z /.test(line));
}
