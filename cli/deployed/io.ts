/**
 * What the drill command needs from the outside world, injected so tests run without sleeping,
 * without a terminal and without signals.
 */
import { hostname, userInfo } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

/** A stream the command writes to (process.stdout, or a test's collector). */
export type OutStream = NodeJS.WritableStream & { readonly isTTY?: boolean };

export interface CliIo {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  /** Waits `ms`, or less when `signal` aborts; never rejects. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Between two polls of a running execution. */
  readonly pollIntervalMs: number;
  /** Aborted on Ctrl-C (SIGINT): stop following. */
  readonly interrupt: AbortSignal;
  /** `user@host`, for the execution's `reason`. */
  readonly operator: string;
}

/** Polls every 3 s: a few DescribeExecution/GetExecutionHistory calls a drill, far below the API's limits. */
export const DEFAULT_POLL_INTERVAL_MS = 3000;

/** Sleeps on a real timer, waking early (and quietly) when `signal` aborts. */
export async function realSleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

function operatorName(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where the drill came from.
  }
  return `${user}@${hostname()}`;
}

/** The process's streams, clock and Ctrl-C. */
export function processIo(interrupt: AbortSignal): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => new Date(),
    sleep: realSleep,
    pollIntervalMs: DEFAULT_POLL_INTERVAL_MS,
    interrupt,
    operator: operatorName(),
  };
}
