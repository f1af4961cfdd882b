/**
 * The drill summary: one shape for the local sandbox drill and the drill against a deployed stack,
 * printed as text or, with --json, as one JSON object.
 */

import type { RemediationOutcome, RouteChange } from '#shared/remediation-types.ts';

export type { RemediationOutcome, RouteChange };

/** One line of an execution's history, as the Step Functions console lists it. */
export interface HistoryLine {
  readonly timestamp: Date;
  /** e.g. TaskStateEntered, TaskFailed, ExecutionSucceeded. */
  readonly type: string;
  readonly state?: string;
  readonly detail?: string;
}

export interface DrillSummary {
  /** The remediation outcome, or `running`/`aborted` when the drill did not see it end. */
  readonly outcome: RemediationOutcome | 'running' | 'aborted' | 'no-remediation';
  readonly link: string;
  readonly trigger: 'alarm' | 'drill' | 'manual';
  readonly dryRun: boolean;
  readonly executionName: string | null;
  readonly executionArn: string | null;
  readonly consoleUrl: string | null;
  /** From the fault to the Outage alarm (local drills; null against a real stack). */
  readonly timeToDetectSeconds: number | null;
  /** From the start of the remediation to verified recovery. */
  readonly timeToRecoverSeconds: number | null;
  /** True when the durations above are simulated time (the local sandbox). */
  readonly simulatedTime: boolean;
  readonly remediations: number;
  readonly oldInstanceId: string | null;
  readonly newInstanceId: string | null;
  readonly routesChanged: readonly RouteChange[];
  readonly notifications: readonly { readonly kind: string; readonly subject: string }[];
  /** AWS calls that change something (null when not observable, i.e. against a real stack). */
  readonly mutatingCalls: number | null;
  readonly failedState: string | null;
  readonly error: string | null;
  /**
   * The remediation rung that healed the link, or the last one tried (`repair`, `adopt`,
   * `restart-ipsec`, `replace`, `page`; null when none ran), from the RemediationReport. Absent when
   * the report does not carry it (a machine older than the converging remediation).
   */
  readonly rung?: string | null;
  /** Every rung tried, in order (the report's `rungs`); absent like {@link DrillSummary.rung}. */
  readonly rungs?: readonly string[];
  readonly expectations: readonly {
    readonly description: string;
    readonly met: boolean;
    readonly detail?: string;
  }[];
}
