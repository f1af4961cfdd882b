/** ping-canary's output (figures per link) and its log's detail (per target and attempt). */

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

/**
 * One judged link's figures: what the Monitor's next states (publish-metric, start-remediation) and
 * the Remediation machine's verify need, and nothing more, so the state stays the same size however
 * many targets and attempts a link has (Step Functions' 256 KiB state limit). The per-target and
 * per-attempt detail goes to the function's log ({@link LinkCanaryDetail}), the way check-tunnel
 * returns `LinkTunnelsOk` and logs `LinkTunnelDetail`. Latencies are rounded to 0.1 ms and loss to
 * 0.01 %, so each figure's JSON has a bounded size (functions/shared/state-size.ts counts it).
 */
export interface LinkCanaryReport {
  readonly link: string;
  /**
   * The path is up: at least `minTargetsUp` targets reachable (k of n). One silent host among
   * several is that host's problem, not the VPN's.
   */
  readonly success: boolean;
  /** How many targets were reachable (at least one attempt answered). */
  readonly targetsUp: number;
  /** How many targets the link has (`canary.targets`): "targetsUp of targetsTotal answered". */
  readonly targetsTotal: number;
  /** The link's `canary.minTargetsUp` this verdict used. */
  readonly minTargetsUp: number;
  /** Median handshake RTT over all answered attempts (of the reachable targets), ms (0.1); null when none answered. */
  readonly latencyMs: number | null;
  readonly minMs: number | null;
  readonly maxMs: number | null;
  /**
   * Unanswered attempts over attempts sent, % (0.01): over the reachable targets when the path is
   * up (what the working path loses, not a dead host's silence), over every target sent to when it
   * is down.
   */
  readonly lossPercent: number;
}

/** A judged link's figures with every target and attempt: logged (`canary` / `report`), never returned. */
export interface LinkCanaryDetail extends LinkCanaryReport {
  readonly targets: readonly TargetReport[];
}

/**
 * A link the canary could not judge: targets whose names did not resolve decide the verdict
 * (without them too few answered, with them enough might have). A collection failure, not a loss.
 * Its message is capped (`ERROR_MESSAGE_MAX_CHARS`, functions/shared/state-size.ts); the targets
 * are in the log ({@link LinkCanaryFailureDetail}).
 */
export interface LinkCanaryFailure {
  readonly link: string;
  /** The error name the state machines match: always `CanaryError`. */
  readonly error: 'CanaryError';
  readonly message: string;
}

/** A failure with its targets: logged (`canary inconclusive`), never returned. */
export interface LinkCanaryFailureDetail extends LinkCanaryFailure {
  readonly targets: readonly TargetReport[];
}

/** What ping-canary returns: one VPC's links, figures only. */
export interface CanaryResult {
  readonly vpcId: string;
  readonly probedAt: string;
  /** Every link judged (its path up or down). A link in `failures` is not here. */
  readonly links: readonly LinkCanaryReport[];
  /**
   * The links that could not be judged this run (collection failures). Always set by ping-canary
   * (empty when every link was judged); absent means none.
   */
  readonly failures?: readonly LinkCanaryFailure[];
}

/** One canary run: what is returned, and the per-target detail of every link for the log. */
export interface CanaryRun {
  readonly result: CanaryResult;
  readonly details: readonly LinkCanaryDetail[];
  readonly failures: readonly LinkCanaryFailureDetail[];
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
