/**
 * Remediation execution names: `<link>-<trigger>-<UTC yyyymmddTHHMMSS>` (design contract), so the
 * Step Functions console list reads like an incident log.
 */

export const TRIGGERS = ['alarm', 'drill', 'manual'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** `2026-11-26T20:29:38.123Z` → `20261126T202938`. */
export function compactUtc(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace(/[-:]/g, '');
}

/**
 * The execution name for a remediation. For `alarm`, pass the time the alarm entered ALARM so every
 * trigger of one alarm episode computes the same name (Step Functions then starts it only once).
 */
export function remediationExecutionName(link: string, trigger: Trigger, at: Date): string {
  return `${link}-${trigger}-${compactUtc(at)}`;
}

const NAME_PATTERN = /^([a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?)-(alarm|drill|manual)-(\d{8}T\d{6})$/;

/** Parses a name produced by {@link remediationExecutionName}; undefined for any other name. */
export function parseRemediationExecutionName(
  name: string,
): { link: string; trigger: Trigger; at: Date } | undefined {
  const match = NAME_PATTERN.exec(name);
  if (!match) return undefined;
  const [, link = '', trigger = '', stamp = ''] = match;
  const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`;
  return { link, trigger: trigger as Trigger, at: new Date(iso) };
}
