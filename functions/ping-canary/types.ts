/** ping-canary's output: TCP handshake results per link and target. */

/** How one handshake attempt ended. `refused` still proves the path: the remote host answered. */
export type ProbeOutcome = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'error';

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
  readonly attempts: readonly ProbeAttempt[];
  readonly lossPercent: number;
  /** Median handshake RTT over this target's answered attempts, ms; null when none answered. */
  readonly latencyMs: number | null;
  readonly minMs: number | null;
  readonly maxMs: number | null;
}

export interface LinkCanaryReport {
  readonly link: string;
  /** Every target reachable. */
  readonly success: boolean;
  /** Median handshake RTT over all answered attempts of all targets, ms; null when none answered. */
  readonly latencyMs: number | null;
  readonly minMs: number | null;
  readonly maxMs: number | null;
  /** Unanswered attempts over all attempts, %. */
  readonly lossPercent: number;
  readonly targets: readonly TargetReport[];
}

export interface CanaryResult {
  readonly vpcId: string;
  readonly probedAt: string;
  readonly links: readonly LinkCanaryReport[];
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
