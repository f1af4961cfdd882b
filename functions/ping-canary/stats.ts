/**
 * Pure figures of a canary run: which attempts count as answered, RTT min/median/max, loss, and the
 * per-target and per-link reports built from them. No I/O, no clock.
 */
import type { LinkCanaryReport, ProbeAttempt, ProbeOutcome, ProbeTarget, TargetReport } from './types.ts';

/** RTT summary in ms; every field null when nothing answered. */
export interface RttSummary {
  readonly minMs: number | null;
  readonly medianMs: number | null;
  readonly maxMs: number | null;
}

/**
 * Whether an outcome proves the path works. A refusal does: the RST came from the remote host, so
 * the packets crossed the VPN both ways (design note 7).
 */
export function isAnswered(outcome: ProbeOutcome): boolean {
  return outcome === 'connected' || outcome === 'refused';
}

/** The median of the values (mean of the two middle ones for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[middle - 1] as number) + upper) / 2;
}

/** Min, median and max of the RTTs of the answered attempts. */
export function summarizeRtt(attempts: readonly ProbeAttempt[]): RttSummary {
  const rtts = answeredRtts(attempts);
  if (rtts.length === 0) return { minMs: null, medianMs: null, maxMs: null };
  return { minMs: Math.min(...rtts), medianMs: median(rtts), maxMs: Math.max(...rtts) };
}

/**
 * Unanswered attempts over all attempts, in percent rounded to two decimals. No attempts at all is
 * 0 %: nothing was sent, so nothing was lost (the config guarantees at least one attempt).
 */
export function lossPercent(attempts: readonly ProbeAttempt[]): number {
  if (attempts.length === 0) return 0;
  const lost = attempts.filter((attempt) => !isAnswered(attempt.outcome)).length;
  return Math.round((lost / attempts.length) * 100 * 100) / 100;
}

/** A target's report: reachable when at least one attempt was answered. */
export function targetReport(target: ProbeTarget, attempts: readonly ProbeAttempt[]): TargetReport {
  const rtt = summarizeRtt(attempts);
  return {
    host: target.host,
    port: target.port,
    reachable: attempts.some((attempt) => isAnswered(attempt.outcome)),
    attempts,
    lossPercent: lossPercent(attempts),
    latencyMs: rtt.medianMs,
    minMs: rtt.minMs,
    maxMs: rtt.maxMs,
  };
}

/**
 * A link's report: success when every target is reachable; latency is the median over the answered
 * attempts of all targets together, loss is over all attempts of all targets.
 */
export function linkReport(link: string, targets: readonly TargetReport[]): LinkCanaryReport {
  const attempts = targets.flatMap((target) => target.attempts);
  const rtt = summarizeRtt(attempts);
  return {
    link,
    success: targets.length > 0 && targets.every((target) => target.reachable),
    latencyMs: rtt.medianMs,
    minMs: rtt.minMs,
    maxMs: rtt.maxMs,
    lossPercent: lossPercent(attempts),
    targets,
  };
}

function answeredRtts(attempts: readonly ProbeAttempt[]): number[] {
  return attempts.flatMap((attempt) =>
    isAnswered(attempt.outcome) && attempt.rttMs !== null ? [attempt.rttMs] : [],
  );
}
