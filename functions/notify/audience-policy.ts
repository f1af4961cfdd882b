/**
 * Who a notification is for, pure (functions/shared/audience.ts is the contract). A phone gets at
 * most two messages per incident: "link down, remediation started/paged" (the incident's *start*
 * page) and "recovered / failed / exhausted" (its *end* page); everything else goes to the `log`
 * audience (e-mail and chat). Which message is the first of its kind is settled by a conditional
 * claim on the incident item (see incident-table.ts); this module says which claim to ask for.
 *
 * - An automatic attempt (`alarm` trigger: the Monitor's branch or the alarm rule):
 *   `started` claims the start page; `recovered` and `exhausted` claim the end page; `failed` claims
 *   it only when no further automatic attempt can follow (the 24 h budget is spent, or the run
 *   paged a human because a precondition refused, or it is the `maxAttemptsPer24h`-th run in a row
 *   that failed before changing anything: VPN Guard cannot act, and its back-off would otherwise
 *   retry in silence), since otherwise the incident's next attempt or its "exhausted" page will say
 *   how it ends; `recovered-by-itself` claims it only when the start
 *   page went out (a phone that heard "link down" hears "recovered"); skips are `log`.
 * - A drill or a manual run announces itself once: its final message is a page, `started` is `log`.
 */
import type { Audience } from '#shared/audience.ts';
import type { Trigger } from '#shared/execution-name.ts';

/** What a notification asks of the incident's pages. */
export type PageClaim = 'start' | 'end' | 'end-if-started' | 'none';

/** Which page an announcement claims. */
export function pageClaimFor(
  outcome: string,
  context: {
    trigger: Trigger;
    /** The budget was spent by this run (attempts in the window ≥ the maximum). */
    budgetSpent: boolean;
    /** The run ended on the "page a human" rung (a precondition refused). */
    pagedHuman: boolean;
    /** This failure completes `maxAttemptsPer24h` runs in a row that failed before changing anything. */
    cannotAct?: boolean;
  },
): PageClaim {
  if (context.trigger !== 'alarm') {
    return outcome === 'started' || outcome.startsWith('skipped-') ? 'none' : 'end';
  }
  switch (outcome) {
    case 'started':
      return 'start';
    case 'recovered':
    case 'exhausted':
      return 'end';
    case 'failed':
      return context.budgetSpent || context.pagedHuman || context.cannotAct ? 'end' : 'none';
    case 'recovered-by-itself':
      return 'end-if-started';
    default:
      return 'none';
  }
}

/** How a page claim on the incident item came out. */
export type ClaimResult = 'claimed' | 'already' | 'untracked' | 'unavailable' | 'not-started';

/**
 * The audience, given the claim's result. When the incident item cannot be read or written
 * (`unavailable`) or does not know the incident (`untracked`), the page is sent: a duplicate page
 * is better than a lost one.
 */
export function audienceFor(claim: PageClaim, result: ClaimResult | null): Audience {
  if (claim === 'none') return 'log';
  if (result === 'already' || result === 'not-started') return 'log';
  return 'pager';
}
