/**
 * An incident (contract shared by start-remediation, notify and the execution-status watch): per
 * link, from the first failing observation to a verified recovery, possibly over several
 * Remediation executions (attempts). Its state lives in the lock table as one item,
 * `pk = incident#<link>`, written only with conditional writes so two triggers converge. Pure: the
 * record, its key and the names derived from it; the DynamoDB calls are in incident-table.ts.
 */
import { remediationExecutionName } from './execution-name.ts';

/** Partition key of a link's incident item. */
export const incidentKey = (link: string): string => `incident#${link}`;

/** Outcomes that end an incident: the link was seen healthy again. */
export const CLOSING_OUTCOMES: ReadonlySet<string> = new Set(['recovered', 'recovered-by-itself']);

/** A link's incident item as stored. */
export interface IncidentRecord {
  readonly link: string;
  /** The incident's start, to the second (ISO `…Z`): the time in every attempt's execution name. */
  readonly startedAt: string;
  readonly status: 'open' | 'closed';
  /** The current attempt (the last one started, or being started). */
  readonly attempt: number;
  /** The current attempt's execution name. */
  readonly executionName: string;
  /** When the current attempt was first started (ISO). */
  readonly attemptStartedAt: string;
  /** How the last attempt that reported an outcome ended (`failed`, `skipped-cooldown`, …). */
  readonly lastOutcome: string | null;
  /** Which attempt reported {@link lastOutcome}. */
  readonly lastOutcomeAttempt: number | null;
  readonly lastOutcomeAt: string | null;
  readonly closedAt: string | null;
  /** What closed it (`recovered`, `recovered-by-itself`, `healthy-ticks`). */
  readonly closedBy: string | null;
  /** When its "link down, remediation started/paged" page went out (null: not yet). */
  readonly pagedStartAt: string | null;
  /** When its "recovered / failed / exhausted" page went out (null: not yet). */
  readonly pagedEndAt: string | null;
  /** Consecutive healthy Monitor ticks while open and no remediation held the lock. */
  readonly healthyTicks: number;
}

/** `2026-11-26T12:01:05.123Z` → `2026-11-26T12:01:05Z` (the precision of an execution name). */
export const toSecond = (at: Date): string => `${at.toISOString().slice(0, 19)}Z`;

/** The execution name of an automatic attempt of the incident that started at `startedAt`. */
export function attemptExecutionName(link: string, startedAt: string, attempt: number): string {
  return remediationExecutionName(link, 'alarm', new Date(startedAt), attempt);
}

/**
 * The execution input of an automatic attempt: derived from the incident alone, so the Monitor's
 * branch and the alarm rule send byte-identical input for the same attempt (StartExecution is then
 * idempotent while it runs, and ExecutionAlreadyExists after).
 */
export function attemptInput(link: string, startedAt: string, attempt: number): string {
  const reason =
    attempt === 1
      ? `link failing since ${startedAt} (incident start), attempt 1`
      : `link still failing, incident since ${startedAt}, attempt ${attempt}`;
  return JSON.stringify({ link, trigger: 'alarm', dryRun: false, reason });
}

/** How long a closed incident's item is kept (for the record and late alarm events). */
export const CLOSED_RETENTION_SECONDS = 24 * 3600;
/** An open incident nobody touches for this long is dropped by the table's TTL. */
export const OPEN_RETENTION_SECONDS = 7 * 24 * 3600;
