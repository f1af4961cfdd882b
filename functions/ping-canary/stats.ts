/**
 * Pure figures of a canary run: which attempts count as answered, RTT min/median/max, loss, the
 * k-of-n path verdict, and the per-target and per-link reports built from them. No I/O, no clock.
 */
import type {
  LinkCanaryDetail,
  LinkCanaryReport,
  ProbeAttempt,
  ProbeOutcome,
  ProbeTarget,
  TargetReport,
  TargetStatus,
} from './types.ts';

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

/** Whether an attempt put a packet on the wire: a name that did not resolve sends nothing. */
export function wasSent(outcome: ProbeOutcome): boolean {
  return outcome !== 'unresolved';
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
 * Unanswered attempts over the attempts sent, in percent rounded to two decimals. An attempt whose
 * name did not resolve was not sent, so it is not lost either. Nothing sent is 0 %: nothing was lost.
 */
export function lossPercent(attempts: readonly ProbeAttempt[]): number {
  const sent = attempts.filter((attempt) => wasSent(attempt.outcome));
  if (sent.length === 0) return 0;
  const lost = sent.filter((attempt) => !isAnswered(attempt.outcome)).length;
  return Math.round((lost / sent.length) * 100 * 100) / 100;
}

/**
 * How a target counts: reachable when any attempt was answered; silent when something was sent and
 * nothing answered; unresolved only when its name never resolved (nothing was sent at all).
 */
export function targetStatus(attempts: readonly ProbeAttempt[]): TargetStatus {
  if (attempts.some((attempt) => isAnswered(attempt.outcome))) return 'reachable';
  if (attempts.some((attempt) => wasSent(attempt.outcome))) return 'silent';
  return attempts.length > 0 ? 'unresolved' : 'silent';
}

/** A target's report: reachable when at least one attempt was answered. */
export function targetReport(target: ProbeTarget, attempts: readonly ProbeAttempt[]): TargetReport {
  const rtt = summarizeRtt(attempts);
  const status = targetStatus(attempts);
  return {
    host: target.host,
    port: target.port,
    reachable: status === 'reachable',
    status,
    attempts,
    lossPercent: lossPercent(attempts),
    latencyMs: rtt.medianMs,
    minMs: rtt.minMs,
    maxMs: rtt.maxMs,
  };
}

/** A target's status; a report without one (built before k-of-n) counts by `reachable`. */
export function statusOf(target: TargetReport): TargetStatus {
  return target.status ?? (target.reachable ? 'reachable' : 'silent');
}

/** The path's state from its targets: `unknown` when the unresolved ones decide it. */
export type PathVerdict = 'up' | 'down' | 'unknown';

/**
 * k of n: the path is up when at least `minTargetsUp` targets are reachable, down when even every
 * unresolved target answering would leave fewer than that, and unknown in between (the targets
 * whose names did not resolve decide it: a collection failure, never a loss).
 */
export function pathVerdict(targets: readonly TargetReport[], minTargetsUp: number): PathVerdict {
  const up = targets.filter((target) => statusOf(target) === 'reachable').length;
  const unresolved = targets.filter((target) => statusOf(target) === 'unresolved').length;
  if (up >= minTargetsUp) return 'up';
  if (up + unresolved < minTargetsUp) return 'down';
  return 'unknown';
}

/** A latency as the result carries it: rounded to 0.1 ms (its JSON at most 7 characters below 100 s). */
export function roundMs(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 10) / 10;
}

/**
 * A link's report: success when at least `minTargetsUp` targets are reachable (k of n). Latency is
 * the median over the answered attempts of all targets together (only reachable targets answer),
 * rounded to 0.1 ms. Loss is over the reachable targets' attempts when the path is up, so one host
 * that a security group silently drops does not report the working path as lossy; when the path is
 * down it is over every attempt sent. For a verdict of `unknown` (see {@link pathVerdict}) the
 * caller reports a collection failure instead of this report. The report keeps every target (for
 * the log); {@link linkFigures} is what the function returns.
 */
export function linkReport(
  link: string,
  targets: readonly TargetReport[],
  minTargetsUp = 1,
): LinkCanaryDetail {
  const attempts = targets.flatMap((target) => target.attempts);
  const rtt = summarizeRtt(attempts);
  const success = pathVerdict(targets, minTargetsUp) === 'up';
  const judged = success ? targets.filter((target) => statusOf(target) === 'reachable') : targets;
  return {
    link,
    success,
    targetsUp: targets.filter((target) => statusOf(target) === 'reachable').length,
    targetsTotal: targets.length,
    minTargetsUp,
    latencyMs: roundMs(rtt.medianMs),
    minMs: roundMs(rtt.minMs),
    maxMs: roundMs(rtt.maxMs),
    lossPercent: lossPercent(judged.flatMap((target) => target.attempts)),
    targets,
  };
}

/**
 * The link's figures without its targets: what ping-canary returns (the Monitor's state). Built
 * field by field, not by dropping `targets`, so a field added to the report stays in the log until
 * someone decides the state needs it (and updates the state-size bound).
 */
export function linkFigures(report: LinkCanaryReport): LinkCanaryReport {
  return {
    link: report.link,
    success: report.success,
    targetsUp: report.targetsUp,
    targetsTotal: report.targetsTotal,
    minTargetsUp: report.minTargetsUp,
    latencyMs: report.latencyMs,
    minMs: report.minMs,
    maxMs: report.maxMs,
    lossPercent: report.lossPercent,
  };
}

function answeredRtts(attempts: readonly ProbeAttempt[]): number[] {
  return attempts.flatMap((attempt) =>
    isAnswered(attempt.outcome) && attempt.rttMs !== null ? [attempt.rttMs] : [],
  );
}
