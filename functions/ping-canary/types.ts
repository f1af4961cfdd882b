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
