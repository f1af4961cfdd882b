/**
 * The remediation's outcome vocabulary and route records: shared by the functions that produce
 * them, the drill CLI that summarises them and the sandbox that checks them.
 */

/** How a remediation ended, as its notification names it. */
export type RemediationOutcome =
  | 'recovered'
  | 'failed'
  | 'skipped-locked'
  | 'skipped-cooldown'
  | 'exhausted'
  | 'recovered-by-itself'
  | 'dry-run-plan'
  | 'rejected';

/** A route the remediation changed (or, in a dry run, would change). */
export interface RouteChange {
  readonly routeTableId: string;
  readonly destinationCidrBlock: string;
  /** What the route pointed to before (ENI or instance id), its state, or null when it was missing. */
  readonly from: { readonly target: string | null; readonly state: string | null } | null;
  readonly to: { readonly networkInterfaceId: string };
  readonly action: 'replace' | 'create' | 'unchanged';
}
