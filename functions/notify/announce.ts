/**
 * One announcement from the Remediation machine: the report, who it is for (the incident's pages),
 * one SNS message at most once per execution and outcome, and the incident's record of how the
 * attempt ended. The bookkeeping (DynamoDB) never stops the message: when it fails, the message is
 * sent to the pager audience if it could be a page, and the failure is logged.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Audience } from '#shared/audience.ts';
import { describeError } from '#shared/errors.ts';
import { parseRemediationExecutionName } from '#shared/execution-name.ts';
import { CLOSING_OUTCOMES, toSecond } from '#shared/incident.ts';
import {
  claimNotification,
  claimPage,
  confirmNotification,
  getIncident,
  type IncidentTable,
  notifiedKey,
  recordOutcome,
} from '#shared/incident-table.ts';
import { logger } from '#shared/powertools.ts';
import { publishNotification } from './adapters.ts';
import { audienceFor, type ClaimResult, pageClaimFor } from './audience-policy.ts';
import { renderNotification } from './message.ts';
import { buildReport, type RemediationReport } from './report.ts';
import type { AnnounceInput } from './schema.ts';
import { readState } from './state.ts';

/** What notify works with. */
export interface NotifyDeps {
  readonly sns: SNSClient;
  readonly topicArn: string;
  /** The lock table (incident item, notification claims); null when not configured. */
  readonly table: IncidentTable | null;
  readonly namespace: string;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** Backoff between SNS tries (tests pass a no-op). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** notify's output for an announcement. */
export interface NotifyResult {
  readonly messageId: string | null;
  readonly subject: string;
  readonly report: RemediationReport;
}

/** Runs `work`; a failure is logged and becomes `fallback` (bookkeeping never stops a message). */
export async function bestEffort<T>(what: string, work: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    logger.warn(`${what} failed; carrying on without it`, { error: describeError(error) });
    return fallback;
  }
}

/** Announces one outcome of one Remediation execution. */
export async function announce(deps: NotifyDeps, input: AnnounceInput): Promise<NotifyResult> {
  const now = deps.now();
  const state = readState(input.state);
  const { report, details } = buildReport(input.outcome, state, now, {
    ...(input.rung !== undefined ? { rung: input.rung } : {}),
    ...(input.rungs !== undefined ? { rungs: input.rungs } : {}),
  });
  const rendered = renderNotification(report, details, deps.namespace);
  const { context } = state;
  // A dry run writes nothing to the lock table (not even notification claims): it only reports.
  const table = context.dryRun ? null : deps.table;
  const key = notifiedKey(context.executionName, report.outcome);

  // At most once per execution and outcome: a retried Notify returns the earlier message.
  const claim = table
    ? await bestEffort('claiming the notification', () => claimNotification(table, { key, now }, deps), null)
    : null;
  if (claim && !claim.claimed) {
    logger.info('notification already sent for this execution and outcome', {
      key,
      messageId: claim.messageId,
    });
    const audience: Audience = claim.audience === 'pager' ? 'pager' : 'log';
    return {
      messageId: claim.messageId,
      subject: claim.subject ?? rendered.subject,
      report: {
        ...report,
        audience,
        notification: { subject: claim.subject ?? rendered.subject, messageId: claim.messageId },
      },
    };
  }

  const named =
    context.trigger === 'alarm' ? parseRemediationExecutionName(context.executionName) : undefined;
  const incident = named ? { link: named.link, startedAt: toSecond(named.at), attempt: named.attempt } : null;
  const budget = state.budget;
  const pageClaim = pageClaimFor(report.outcome, {
    trigger: context.trigger,
    budgetSpent: budget ? budget.attemptsInWindow >= budget.maxAttemptsPer24h : false,
    pagedHuman: report.rung === 'page',
    cannotAct: budget
      ? state.failure?.attempt === 'withdrawn' &&
        (budget.unchangedFailures ?? 0) + 1 >= budget.maxAttemptsPer24h
      : false,
  });
  let claimResult: ClaimResult | null = null;
  if (pageClaim !== 'none' && incident) {
    claimResult = table
      ? await bestEffort<ClaimResult>(
          'claiming the incident page',
          async () => {
            if (pageClaim === 'end-if-started') {
              const current = await getIncident(table, incident.link, deps);
              if (!current || current.startedAt !== incident.startedAt) return 'untracked';
              if (!current.pagedStartAt) return 'not-started';
            }
            const which = pageClaim === 'start' ? 'start' : 'end';
            return claimPage(table, { ...incident, which, now }, deps);
          },
          'unavailable',
        )
      : 'unavailable';
  }
  const audience = audienceFor(pageClaim, claimResult);

  const messageId = await publishNotification(deps.sns, deps.topicArn, rendered, audience, deps);
  logger.info('notification published', {
    outcome: report.outcome,
    audience,
    messageId,
    pageClaim,
    claimResult,
  });

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
    if (incident && report.outcome !== 'started' && !context.dryRun) {
      await bestEffort(
        'recording the attempt outcome on the incident',
        () =>
          recordOutcome(
            table,
            {
              ...incident,
              outcome: report.outcome,
              close: CLOSING_OUTCOMES.has(report.outcome),
              now: deps.now(),
            },
            deps,
          ),
        false,
      );
    }
  }
  return {
    messageId,
    subject: rendered.subject,
    report: { ...report, audience, notification: { subject: rendered.subject, messageId } },
  };
}
