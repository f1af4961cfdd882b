/**
 * The world's fixed identity (Region, account, resource names, default start) and its simulated
 * durations, with the defaults the sandbox README documents.
 */
import type { Config } from '#shared/config.ts';
import { type AsgTiming, DEFAULT_ASG_TIMING } from './autoscaling.ts';

/** The home Region (the Region the stack and the gateway live in). */
export const HOME_REGION = 'us-east-1';
export const ACCOUNT = '111111111111';
export const LOCK_TABLE_NAME = 'vpn-guard-locks';
export const TOPIC_ARN = `arn:aws:sns:${HOME_REGION}:${ACCOUNT}:vpn-guard-alarms`;
export const DEFAULT_START = '2026-11-26T12:00:00Z';

/** Simulated durations of the world (seconds unless said otherwise). */
export interface WorldTiming {
  /** Seconds past each minute at which the scheduler starts the Monitor. */
  readonly tickOffsetSeconds: number;
  /** Seconds past each minute at which CloudWatch evaluates the alarms. */
  readonly alarmEvaluationOffsetSeconds: number;
  /** From the gateway being able to negotiate to the first tunnel UP. */
  readonly tunnelUpSeconds: number;
  /** Each further tunnel comes up this much later. */
  readonly tunnelUpStaggerSeconds: number;
  /**
   * From the gateway failing to the tunnels reported DOWN (dead-peer detection): AWS's tunnel option
   * DPDTimeoutSeconds, default 40 s, at least 30 s ("a DPD timeout of 40 seconds means that the VPN
   * endpoint will consider the peer dead 30 seconds after the first failed keep-alive",
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpnTunnelOptionsSpecification.html).
   */
  readonly tunnelDownSeconds: number;
  readonly asg: AsgTiming;
  /** DynamoDB deletes an expired item this long after its TTL (AWS: "within a few days"). */
  readonly ttlDeletionLagSeconds: number;
  /**
   * The waits before Lambda's retries of an asynchronous invocation that failed with a function
   * error: one minute, then two ("with a one-minute wait between the first two attempts, and two
   * minutes between the second and third": https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
   * How many are taken is the function's MaximumRetryAttempts (async-delivery.ts).
   */
  readonly asyncRetrySeconds: readonly number[];
  /** Real milliseconds a slow path keeps a SYN unanswered (its retransmission is answered). */
  readonly slowHandshakeReopenMs: number;
}

export const DEFAULT_TIMING: WorldTiming = {
  tickOffsetSeconds: 5,
  alarmEvaluationOffsetSeconds: 50,
  tunnelUpSeconds: 30,
  tunnelUpStaggerSeconds: 10,
  tunnelDownSeconds: 40,
  asg: DEFAULT_ASG_TIMING,
  ttlDeletionLagSeconds: 48 * 3600,
  asyncRetrySeconds: [60, 120],
  slowHandshakeReopenMs: 250,
};

export type TimingOverrides = Partial<Omit<WorldTiming, 'asg'>> & { readonly asg?: Partial<AsgTiming> };

/** The defaults with `overrides` applied (the Auto Scaling timings merged field by field). */
export function mergeTiming(overrides: TimingOverrides | undefined): WorldTiming {
  return { ...DEFAULT_TIMING, ...overrides, asg: { ...DEFAULT_ASG_TIMING, ...overrides?.asg } };
}

/** The remediation machine's top-level timeout (docs/contracts.md: the stack's formula). */
export function remediationTimeoutSeconds(config: Config): number {
  return (config.remediation.replacementTimeoutMinutes + config.remediation.verifyTimeoutMinutes + 20) * 60;
}
