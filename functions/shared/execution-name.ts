/**
 * Remediation execution names (design contract): `<link>-<trigger>-<UTC yyyymmddTHHMMSS>` for an
 * incident's first attempt and `<link>-<trigger>-<UTC yyyymmddTHHMMSS>-a<N>` for its N-th (N ≥ 2),
 * so the Step Functions console list reads like an incident log and every attempt has its own name.
 * For automatic runs the time is the incident's start, so both triggers (the Monitor's branch and
 * the Unhealthy alarm's rule) compute the same name for the same attempt and Step Functions' name
 * uniqueness makes them one execution.
 */

export const TRIGGERS = ['alarm', 'drill', 'manual'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** The highest attempt number a name can carry (far above any sane `maxAttemptsPer24h`). */
export const MAX_ATTEMPT = 999;

/** `2026-11-26T20:29:38.123Z` → `20261126T202938`. */
export function compactUtc(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace(/[-:]/g, '');
}

/**
 * The execution name for a remediation attempt. For `alarm`, pass the incident's start so every
 * trigger of one attempt computes the same name (Step Functions then starts it only once).
 * @param attempt 1 (default) for the incident's first attempt: no suffix; N ≥ 2 adds `-aN`.
 */
export function remediationExecutionName(link: string, trigger: Trigger, at: Date, attempt = 1): string {
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > MAX_ATTEMPT) {
    throw new RangeError(`attempt must be a whole number from 1 to ${MAX_ATTEMPT}, got ${attempt}`);
  }
  const base = `${link}-${trigger}-${compactUtc(at)}`;
  return attempt === 1 ? base : `${base}-a${attempt}`;
}

const NAME_PATTERN =
  /^([a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?)-(alarm|drill|manual)-(\d{8}T\d{6})(?:-a([2-9]|[1-9]\d{1,2}))?$/;

/** A parsed remediation execution name. */
export interface ParsedExecutionName {
  readonly link: string;
  readonly trigger: Trigger;
  /** The incident's start (automatic runs) or the start of a drill/manual run. */
  readonly at: Date;
  /** 1 for a name without `-aN`. */
  readonly attempt: number;
}

/** Parses a name produced by {@link remediationExecutionName}; undefined for any other name. */
export function parseRemediationExecutionName(name: string): ParsedExecutionName | undefined {
  const match = NAME_PATTERN.exec(name);
  if (!match) return undefined;
  const [, link = '', trigger = '', stamp = '', attempt] = match;
  const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`;
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return undefined;
  return { link, trigger: trigger as Trigger, at, attempt: attempt ? Number(attempt) : 1 };
}

/** The execution name of an execution ARN (its last `:` segment). */
export function executionNameOfArn(arn: string): string {
  return arn.split(':').at(-1) ?? arn;
}
