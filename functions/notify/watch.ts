/**
 * The remediation-watch rule's target: a Remediation execution ended FAILED, TIMED_OUT or ABORTED,
 * possibly outside every Catch (a top-level timeout, a StopExecution, `States.Runtime`), where the
 * machine itself notified nobody and left its lock behind. This says so once (console link, last
 * state) and releases that execution's lock, only if that execution still holds it.
 */
import { GetExecutionHistoryCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { deleteLock } from '#functions/remediation-guard/adapters.ts';
import { lockKey } from '#functions/remediation-guard/lock.ts';
import type { Audience } from '#shared/audience.ts';
import { executionConsoleUrl } from '#shared/console-url.ts';
import { parseRemediationExecutionName, TRIGGERS, type Trigger } from '#shared/execution-name.ts';
import { toSecond } from '#shared/incident.ts';
import {
  claimNotification,
  confirmNotification,
  notifiedKey,
  recordOutcome,
} from '#shared/incident-table.ts';
import { logger } from '#shared/powertools.ts';
import { publishNotification } from './adapters.ts';
import { bestEffort, type NotifyDeps } from './announce.ts';
import { describeStepError } from './format.ts';
import { MAX_SMS, MAX_SUBJECT, type RenderedNotification } from './message.ts';
import type { StatusChangeEvent } from './schema.ts';

/** notify's output for a status change. */
export interface WatchResult {
  readonly executionName: string;
  readonly status: StatusChangeEvent['detail']['status'];
  /** The outcome the incident records and the notification key uses. */
  readonly outcome: 'failed' | 'timed-out' | 'aborted';
  readonly lastState: string | null;
  /** This execution held the lock and it was deleted now. */
  readonly lockReleased: boolean;
  readonly messageId: string | null;
  readonly audience: Audience | null;
  /** Why nothing was published, when nothing was. */
  readonly skipped: string | null;
}

const OUTCOME = { FAILED: 'failed', TIMED_OUT: 'timed-out', ABORTED: 'aborted' } as const;

/** The execution input's fields the watch uses (read leniently: a bad input is still an end). */
function readInput(raw: string | null | undefined): { link?: string; trigger?: Trigger; dryRun?: boolean } {
  if (!raw) return {};
  try {
    const value = JSON.parse(raw) as Record<string, unknown>;
    return {
      ...(typeof value.link === 'string' ? { link: value.link } : {}),
      ...(TRIGGERS.includes(value.trigger as Trigger) ? { trigger: value.trigger as Trigger } : {}),
      ...(typeof value.dryRun === 'boolean' ? { dryRun: value.dryRun } : {}),
    };
  } catch {
    return {};
  }
}

/** The last state the execution entered, from its history (newest first). */
export async function lastStateEntered(
  client: SFNClient,
  executionArn: string,
  { signal }: { signal: AbortSignal },
): Promise<string | null> {
  const output = await client.send(
    new GetExecutionHistoryCommand({
      executionArn,
      reverseOrder: true,
      maxResults: 50,
      includeExecutionData: false,
    }),
    { abortSignal: signal },
  );
  for (const event of output.events ?? []) {
    const name = event.stateEnteredEventDetails?.name;
    if (name) return name;
  }
  return null;
}

const printable = (text: string, max: number): string => {
  const clean = text.replace(/[^\x20-\x7E]/g, '?');
  return clean.length <= max ? clean : `${clean.slice(0, max - 3)}...`;
};

/** The message of an execution that ended outside its own notifications. Pure. */
export function renderStatusChange(
  event: StatusChangeEvent,
  facts: {
    link: string;
    trigger: Trigger | null;
    lastState: string | null;
    lockReleased: boolean;
    namespace: string;
  },
): RenderedNotification {
  const { detail } = event;
  const where = facts.lastState ?? 'an unknown state';
  const what =
    detail.status === 'TIMED_OUT'
      ? 'TIMED OUT (ran past its TimeoutSeconds)'
      : detail.status === 'ABORTED'
        ? 'was ABORTED (stopped)'
        : 'FAILED';
  const cause = detail.error ? describeStepError({ Error: detail.error, Cause: detail.cause ?? '' }) : null;
  const follow =
    facts.trigger === 'alarm'
      ? "If the link is still down, the incident's next attempt starts when the cooldown and the budget allow."
      : 'A human is needed: the link may still be down.';
  const lines = [
    `${facts.link}: remediation ${detail.name} ${what} in ${where}.`,
    cause ? `Error: ${cause.name}: ${cause.message}` : 'Error: none reported',
    `Last state: ${where}`,
    facts.lockReleased
      ? 'Lock: this execution still held it; released now.'
      : 'Lock: not held by this execution (already released, or expired and taken).',
    follow,
    `Execution: ${executionConsoleUrl(detail.executionArn)}`,
  ];
  return {
    subject: printable(
      `[${facts.namespace}] ${facts.link} remediation ${detail.status} at ${where}`,
      MAX_SUBJECT,
    ),
    text: lines.join('\n'),
    sms: printable(`${facts.namespace} ${facts.link} remediation ${detail.status} at ${where}`, MAX_SMS),
  };
}

/** Handles one status change: release, notify once, record on the incident. */
export async function onStatusChange(
  deps: NotifyDeps & { readonly sfn: SFNClient },
  event: StatusChangeEvent,
): Promise<WatchResult> {
  const { detail } = event;
  const outcome = OUTCOME[detail.status];
  const named = parseRemediationExecutionName(detail.name);
  const input = readInput(detail.input);
  const link = input.link ?? named?.link ?? 'unknown-link';
  const trigger = input.trigger ?? named?.trigger ?? null;
  const base = { executionName: detail.name, status: detail.status, outcome };
  if (detail.status === 'FAILED' && detail.error === 'InvalidInputError') {
    // Refused at ValidateInput: no lock was taken and nothing was touched (by design silent).
    return {
      ...base,
      lastState: 'ValidateInput',
      lockReleased: false,
      messageId: null,
      audience: null,
      skipped: 'bad input, refused before any step',
    };
  }
  const table = deps.table;
  const lockReleased =
    table && input.dryRun !== true
      ? await bestEffort(
          'releasing the lock of the ended execution',
          () => deleteLock(table, { pk: lockKey(link), holder: detail.executionArn }, deps),
          false,
        )
      : false;
  const lastState = await bestEffort(
    'reading the execution history',
    () => lastStateEntered(deps.sfn, detail.executionArn, deps),
    null,
  );
  const now = deps.now();
  const key = notifiedKey(detail.name, outcome);
  const claim = table
    ? await bestEffort('claiming the notification', () => claimNotification(table, { key, now }, deps), null)
    : null;
  if (claim && !claim.claimed) {
    logger.info('the execution already announced this end', { key });
    return {
      ...base,
      lastState,
      lockReleased,
      messageId: claim.messageId,
      audience: null,
      skipped: 'already announced by the execution itself',
    };
  }
  // An automatic attempt's end is not the incident's end: its next attempt, or the "exhausted"
  // page, tells the phone. A drill or a manual run has no next attempt: its end is its page.
  const audience: Audience = trigger === 'alarm' ? 'log' : 'pager';
  const rendered = renderStatusChange(event, {
    link,
    trigger,
    lastState,
    lockReleased,
    namespace: deps.namespace,
  });
  const messageId = await publishNotification(deps.sns, deps.topicArn, rendered, audience, deps);
  if (table) {
    await bestEffort(
      'confirming the notification',
      () =>
        confirmNotification(
          table,
          { key, messageId, audience, subject: rendered.subject, now: deps.now() },
          deps,
        ),
      undefined,
    );
    if (named && trigger === 'alarm') {
      await bestEffort(
        'recording the attempt outcome on the incident',
        () =>
          recordOutcome(
            table,
            {
              link: named.link,
              startedAt: toSecond(named.at),
              attempt: named.attempt,
              outcome,
              close: false,
              now: deps.now(),
            },
            deps,
          ),
        false,
      );
    }
  }
  return { ...base, lastState, lockReleased, messageId, audience, skipped: null };
}
