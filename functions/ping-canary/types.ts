/** ping-canary's output: TCP handshake results per link and target. */

/**
 * How one handshake attempt ended. `refused` still proves the path: the remote host answered.
 * `unresolved`: the target's DNS name did not resolve, so nothing was sent; it is neither an answer
 * nor a loss (a collection failure when it decides the verdict).
 */
export type ProbeOutcome = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'error' | 'unresolved';

/**
 * How a target counts toward its link's verdict: `reachable` (at least one attempt answered),
 * `silent` (no answer to anything sent: a host down, a security group that drops, or the path),
 * `unresolved` (never answered and its name did not resolve: no evidence either way).
 */
export type TargetStatus = 'reachable' | 'silent' | 'unresolved';

export interface ProbeAttempt {
  readonly outcome: ProbeOutcome;
  /** Handshake round trip in ms (to connect or to the refusal); null when nothing answered. */
  readonly rttMs: number | null;
  readonly detail?: string;
}

export interface TargetReport {
  readonly host: string;
  readonly port: number;
  /** At least one attempt answered (connected or refused). */
  readonly reachable: boolean;
  /**
   * Added with k-of-n: reachable, silent or unresolved (see {@link TargetStatus}). Always set by
   * ping-canary; optional so results built before it (fixtures, other producers) still type-check.
   */
  readonly status?: TargetStatus;
  readonly attempts: readonly ProbeAttempt[];
  /** Unanswered attempts over the attempts sent (unresolved ones were not sent), %. */
  readonly lossPercent: number;
  /** Median handshake RTT over this target's answered attempts, ms; null when none answered. */
  readonly latencyMs: number | null;
  readonly minMs: number | null;
  readonly maxMs: number | null;
}

export interface LinkCanaryReport {
  readonly link: string;
  /**
   * The path is up: at least `minTargetsUp` targets reachable (k of n). One silent host among
   * several is that host's problem, not the VPN's.
   */
  readonly success: boolean;
  /** Added with k-of-n: how many targets were reachable (always set by ping-canary). */
  readonly targetsUp?: number;
  /** Added with k-of-n: the link's `canary.minTargetsUp` this verdict used (always set by ping-canary). */
  readonly minTargetsUp?: number;
  /** Median handshake RTT over all answered attempts (of the reachable targets), ms; null when none answered. */
  readonly latencyMs: number | null;
  readonly minMs: number | null;
  readonly maxMs: number | null;
  /**
   * Unanswered attempts over attempts sent, %: over the reachable targets when the path is up (what
   * the working path loses, not a dead host's silence), over every target sent to when it is down.
   */
  readonly lossPercent: number;
  readonly targets: readonly TargetReport[];
}

/**
 * A link the canary could not judge: targets whose names did not resolve decide the verdict
 * (without them too few answered, with them enough might have). A collection failure, not a loss.
 */
export interface LinkCanaryFailure {
  readonly link: string;
  /** The error name the state machines match: always `CanaryError`. */
  readonly error: 'CanaryError';
  readonly message: string;
  readonly targets: readonly TargetReport[];
}

export interface CanaryResult {
  readonly vpcId: string;
  readonly probedAt: string;
  /** Every link judged (its path up or down). A link in `failures` is not here. */
  readonly links: readonly LinkCanaryReport[];
  /**
   * Added with k-of-n: the links that could not be judged this run (collection failures). Always
   * set by ping-canary (empty when every link was judged); absent means none.
   */
  readonly failures?: readonly LinkCanaryFailure[];
}

/** Where a probe knocks: a host across the VPN and a TCP port on it. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

/** Limits of one handshake attempt. */
export interface ProbeOptions {
  /** Give up after this long; the attempt is then a `timeout` (loss). */
  readonly timeoutMs: number;
  /** Aborting rejects the attempt with a CanaryError: an aborted attempt is not loss. */
  readonly signal?: AbortSignal;
}

/**
 * One TCP handshake. Resolves with how it ended; rejects only when aborted, because an attempt
 * cut short by the Lambda's deadline says nothing about the path.
 */
export type Probe = (target: ProbeTarget, options: ProbeOptions) => Promise<ProbeAttempt>;
