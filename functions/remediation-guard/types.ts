/**
 * remediation-guard's outputs, one per action. Every field is always present (null when it does not
 * apply) because the Remediation ASL selects them by path and a missing path is a runtime error.
 */
import type { LinkConfig, RemediationSettings } from '#shared/config.ts';
import type { Trigger } from '#shared/execution-name.ts';

/** `validate`: the resolved execution context every later state reads from `$.context`. */
export interface RemediationContext {
  readonly link: string;
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  /** Why the remediation was asked for (the input's reason, or a default per trigger). */
  readonly reason: string;
  readonly executionId: string;
  readonly executionName: string;
  /** The execution's start time (ISO), the origin of the time to recover. */
  readonly startedAt: string;
  /** Whether ConfirmUnhealthy re-probes the link first (alarm) or skips it (drill, manual). */
  readonly confirm: boolean;
  /** The ping-canary function of the link's VPC. */
  readonly canaryFunctionArn: string;
  readonly linkConfig: LinkConfig;
  readonly settings: RemediationSettings;
  readonly deadlines: {
    readonly replacementTimeoutMinutes: number;
    readonly verifyTimeoutMinutes: number;
  };
}

/** `acquire-lock`. */
export interface LockOutcome {
  /** The ASL goes on (always true in a dry run: it reports the decision instead of acting on it). */
  readonly proceed: boolean;
  /** This execution holds the lock now. */
  readonly acquired: boolean;
  readonly decision: 'acquired' | 'reacquired' | 'held-by-other' | 'would-acquire' | 'would-skip-locked';
  /** Execution id (ARN) of the holder, when known. */
  readonly holder: string | null;
  /** When the holder's lock expires (ISO), when known. */
  readonly expiresAt: string | null;
  readonly notes: readonly string[];
}

/** `check-budget`. */
export interface BudgetOutcome {
  readonly proceed: boolean;
  /** What a real run does: go on, stop for the cooldown, or stop because the 24 h budget is spent. */
  readonly decision: 'proceed' | 'cooldown' | 'exhausted';
  /** This execution's attempt is recorded (now, or by an earlier try of the same state). */
  readonly recorded: boolean;
  /** Attempts in the last 24 h, this one included when recorded (or, in a dry run, when it would be). */
  readonly attemptsInWindow: number;
  readonly maxAttemptsPer24h: number;
  /** When the cooldown ends (ISO), if one is running. */
  readonly cooldownUntil: string | null;
  /** When exhausted: when the oldest attempt leaves the 24 h window (ISO). */
  readonly nextAttemptAt: string | null;
  /** Runs in a row (24 h) that failed before changing anything, before this one. */
  readonly unchangedFailures: number;
  readonly notes: readonly string[];
}

/** Before replacing (confirm) or after repairing (verify). */
export type HealthPhase = 'confirm' | 'verify';

/** The link's tunnels as one probe saw them; `unknown` when they could not be read. */
export interface TunnelsVerdict {
  readonly state: 'up' | 'down' | 'unknown';
  readonly up: number | null;
  readonly total: number | null;
  readonly minUp: number | null;
  readonly detail: string;
}

/** The link's canary as one probe saw it; `unknown` when it could not run. */
export interface CanaryVerdict {
  readonly state: 'pass' | 'fail' | 'unknown';
  readonly reachable: number | null;
  readonly targets: number | null;
  readonly latencyMs: number | null;
  readonly detail: string;
}

/** `evaluate-health`. */
export interface HealthOutcome {
  readonly phase: HealthPhase;
  readonly status: 'healthy' | 'unhealthy' | 'unknown';
  /** confirm: go on with the replacement (a real run only when there is evidence of failure). */
  readonly proceed: boolean;
  /** verify: stop polling (recovered, or a dry run's single read). */
  readonly done: boolean;
  readonly decision:
    | 'replace'
    | 'recovered-by-itself'
    | 'inconclusive'
    | 'recovered'
    | 'keep-waiting'
    | 'would-wait';
  readonly tunnels: TunnelsVerdict;
  readonly canary: CanaryVerdict;
  readonly checkedAt: string;
  /** verify: when VerifyRecovery gives up (ISO). */
  readonly deadlineAt: string | null;
  /** verify, once recovered: seconds from the execution's start. */
  readonly timeToRecoverSeconds: number | null;
  readonly notes: readonly string[];
}

/**
 * What a finished run does to its budget attempt: `completed` keeps it and starts the cooldown,
 * `withdrawn` removes it (nothing in AWS was changed), `none` leaves the budget alone.
 */
export const ATTEMPT_COMPLETIONS = ['completed', 'withdrawn', 'none'] as const;
/** See {@link ATTEMPT_COMPLETIONS}. */
export type AttemptCompletion = (typeof ATTEMPT_COMPLETIONS)[number];

/** `release-lock`. */
export interface ReleaseOutcome {
  readonly released: boolean;
  readonly budget: 'cooldown-started' | 'attempt-withdrawn' | 'unchanged';
  /**
   * Set when the table could not be written after a few tries: the lock then falls back to its
   * expiry (release-lock does not throw for it, so a verified recovery stays "recovered").
   */
  readonly releaseError: string | null;
  readonly notes: readonly string[];
}
