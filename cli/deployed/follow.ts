/**
 * Following a running execution: DescribeExecution, then only the history events not seen yet,
 * printed as the console lists them, then a progress line; until the execution ends or Ctrl-C.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type LiveStatus, renderHistoryLine, renderProgress, type Style } from '../render.ts';
import {
  currentStateOf,
  type ExecutionDescription,
  type ExecutionEvent,
  toHistoryLines,
} from '../summary.ts';
import { describeExecution, getHistoryPage } from './adapters.ts';
import { isAbort } from './errors.ts';

export interface FollowView {
  readonly live: LiveStatus;
  readonly style: Style;
  readonly now: () => Date;
}

export interface FollowResult {
  /** The last description seen (absent when interrupted before the first answer). */
  readonly description?: ExecutionDescription;
  /** Ctrl-C stopped the following before the execution ended. */
  readonly interrupted: boolean;
}

/**
 * Reads an execution's history incrementally. GetExecutionHistory pages forward with a nextToken
 * but gives none on the last page, so the cursor keeps the token that fetched the last (partial)
 * page and re-reads from there next round, keeping only events with a higher id.
 */
export class ExecutionFollower {
  /** Every event read so far, ascending. */
  readonly events: ExecutionEvent[] = [];
  private readonly states = new Map<number, string>();
  private pageToken: string | undefined;
  private lastId = 0;
  private printed = 0;
  private startedAt: Date | undefined;

  constructor(
    private readonly sfn: SFNClient,
    readonly executionArn: string,
    private readonly view: FollowView,
  ) {}

  /** Reads the new events (all pages), keeping what was read even if a later page fails. */
  private async drain(signal?: AbortSignal): Promise<void> {
    let token = this.pageToken;
    for (;;) {
      const page = await getHistoryPage(
        this.sfn,
        this.executionArn,
        token === undefined ? {} : { nextToken: token },
        signal ? { signal } : {},
      );
      for (const event of page.events) {
        if (event.id <= this.lastId) continue;
        this.events.push(event);
        this.lastId = event.id;
      }
      if (!page.nextToken) {
        this.pageToken = token;
        return;
      }
      token = page.nextToken;
    }
  }

  /** Prints the events read and not yet printed. */
  private flush(): void {
    const fresh = this.events.slice(this.printed);
    this.printed = this.events.length;
    for (const line of toHistoryLines(fresh, this.states)) {
      this.view.live.line(renderHistoryLine(line, this.view.style, this.startedAt));
    }
  }

  /** One round: the execution's status, then its new events (printed). */
  async poll(signal?: AbortSignal): Promise<ExecutionDescription> {
    try {
      const description = await describeExecution(this.sfn, this.executionArn, signal ? { signal } : {});
      this.startedAt = description.startDate;
      // Read after describing: when the description says it ended, the history read now is complete.
      await this.drain(signal);
      return description;
    } finally {
      this.flush();
    }
  }

  /** Polls until the execution ends, or until `interrupt` aborts (Ctrl-C). */
  async follow(options: {
    readonly interrupt: AbortSignal;
    readonly pollIntervalMs: number;
    readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  }): Promise<FollowResult> {
    let description: ExecutionDescription | undefined;
    for (;;) {
      if (options.interrupt.aborted) return { ...(description ? { description } : {}), interrupted: true };
      try {
        description = await this.poll(options.interrupt);
      } catch (error) {
        if (options.interrupt.aborted && isAbort(error)) {
          return { ...(description ? { description } : {}), interrupted: true };
        }
        throw error;
      }
      if (description.status !== 'RUNNING') {
        this.view.live.done();
        return { description, interrupted: false };
      }
      const elapsed = (this.view.now().getTime() - description.startDate.getTime()) / 1000;
      this.view.live.progress(renderProgress(currentStateOf(this.events), elapsed, this.view.style), elapsed);
      await options.sleep(options.pollIntervalMs, options.interrupt);
    }
  }
}
