/**
 * The canary run: which links this VPC's function probes, and probing them. A link's path is
 * judged k of n (`canary.minTargetsUp` targets answering), not host by host.
 *
 * What an attempt is: one TCP handshake to a target (a SYN answered by a SYN-ACK or a RST), given
 * the link's whole `canary.timeoutMs` to answer; no answer by then is one lost attempt. A target's
 * `canary.attempts` attempts are separate connections (each its own source port, so its own SYN
 * and retransmissions). The next attempt starts when the previous one has ended, or at the latest
 * {@link attemptSpacingMs} after it started: a target that answers is probed one attempt after
 * another, as before, while a silent target's attempts overlap, all started within the first tenth
 * of the timeout. Targets run concurrently, so a run lasts at most about 1.1 × the timeout whatever
 * the number of attempts or silent targets (it used to be attempts × timeout for a silent one).
 * Loss is unanswered attempts over attempts sent and latency the median handshake round trip of the
 * answered ones, as before; a silent target's attempts now sample the path over a tenth of the
 * timeout instead of attempts × timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CanaryError, InvalidInputError } from '#shared/errors.ts';
import { capMessage, FAILURE_MESSAGE_MAX_CHARS } from '#shared/state-size.ts';
import { linkFigures, linkReport, pathVerdict, statusOf, targetReport } from './stats.ts';
import type {
  CanaryRun,
  LinkCanaryDetail,
  LinkCanaryFailureDetail,
  Probe,
  ProbeAttempt,
  ProbeTarget,
  TargetReport,
} from './types.ts';

/** What the canary needs of a configured link (a `LinkConfig` is one). */
export interface CanaryLink {
  readonly name: string;
  readonly canary: {
    readonly vpcId: string;
    readonly targets: readonly ProbeTarget[];
    readonly attempts: number;
    readonly timeoutMs: number;
    /** Targets that must answer for the path to be up (k of n); default 1. */
    readonly minTargetsUp?: number;
  };
}

/** The share of the timeout within which all of a target's attempts have started. */
export const STAGGER_SHARE = 0.1;

/**
 * The longest a target's next attempt waits for the previous one: {@link STAGGER_SHARE} of the
 * timeout shared between the attempts after the first, so the last one starts at the latest
 * STAGGER_SHARE × timeout into the run and, with the full timeout of its own, ends by
 * (1 + STAGGER_SHARE) × timeout.
 */
export function attemptSpacingMs(attempts: number, timeoutMs: number): number {
  return attempts <= 1 ? 0 : (STAGGER_SHARE * timeoutMs) / (attempts - 1);
}

/** Waits `ms`, or less when `signal` aborts (then it may reject); injectable so tests need not wait. */
export type Delay = (ms: number, signal: AbortSignal) => Promise<void>;

const realDelay: Delay = (ms, signal) => sleep(ms, undefined, { signal });

/**
 * The link's path could not be judged: targets whose names did not resolve decide the verdict. Its
 * `name` is `CanaryError` (the state machines' contract); the class only lets {@link runCanary}
 * keep it to this link instead of failing the whole run.
 */
export class CanaryInconclusiveError extends CanaryError {
  constructor(
    readonly link: string,
    readonly targets: readonly TargetReport[],
    minTargetsUp: number,
  ) {
    const up = targets.filter((target) => statusOf(target) === 'reachable');
    const unresolved = targets.filter((target) => statusOf(target) === 'unresolved');
    const names = unresolved.map((target) => `${target.host}:${target.port}`).join(', ');
    // Capped (it travels in the Monitor's state, once per link, and the names may be many): the
    // verdict and the fix first, the names last. The log's failure detail lists every target.
    super(
      capMessage(
        `inconclusive: ${up.length} of ${targets.length} targets answered (min ${minTargetsUp}) and ${unresolved.length} did not resolve, ` +
          `so the path is unknown (a collection failure, not lost connectivity): fix canary.targets of ${link}: ${names}`,
        FAILURE_MESSAGE_MAX_CHARS,
      ),
    );
  }
}

/**
 * The links this VPC's canary probes: the ones named (in order, once each), or by default every link
 * whose canary lives in `vpcId`.
 *
 * @throws InvalidInputError when a named link is not configured or its canary is in another VPC.
 * @throws CanaryError when no link at all is configured in `vpcId` (a deployment mistake).
 */
export function selectLinks<L extends CanaryLink>(
  configured: readonly L[],
  vpcId: string,
  requested?: readonly string[],
): L[] {
  if (requested === undefined) {
    const inVpc = configured.filter((link) => link.canary.vpcId === vpcId);
    if (inVpc.length === 0) {
      throw new CanaryError(
        `no configured link has canary.vpcId ${vpcId}: this function was deployed for a VPC the config no longer names`,
      );
    }
    return inVpc;
  }
  return [...new Set(requested)].map((name) => {
    const link = configured.find((each) => each.name === name);
    if (!link) {
      const known = configured.map((each) => each.name).join(', ');
      throw new InvalidInputError(`unknown link "${name}": the configured links are ${known}`);
    }
    if (link.canary.vpcId !== vpcId) {
      throw new InvalidInputError(
        `link "${name}" has its canary in ${link.canary.vpcId}, not in this function's VPC ${vpcId}: invoke that VPC's canary function`,
      );
    }
    return link;
  });
}

/**
 * Probes every target of one link and reports it: success when at least `minTargetsUp` targets
 * answer.
 *
 * @throws CanaryInconclusiveError (a CanaryError) when unresolved target names decide the verdict.
 * @throws CanaryError when `signal` aborts (or the probe fails in a way it should not): the run
 * could not be completed, which must never be published as "connectivity lost". It throws only
 * after every attempt in flight has ended, so no socket outlives the run.
 */
export async function runLinkCanary(
  link: CanaryLink,
  probe: Probe,
  signal?: AbortSignal,
  delay: Delay = realDelay,
): Promise<LinkCanaryDetail> {
  const runs = await Promise.allSettled(
    link.canary.targets.map((target) => probeTarget(link, target, probe, signal, delay)),
  );
  const targets: TargetReport[] = [];
  for (const run of runs) {
    if (run.status === 'rejected') throw asCanaryError(run.reason, link.name);
    targets.push(run.value);
  }
  const minTargetsUp = link.canary.minTargetsUp ?? 1;
  if (pathVerdict(targets, minTargetsUp) === 'unknown') {
    throw new CanaryInconclusiveError(link.name, targets, minTargetsUp);
  }
  return linkReport(link.name, targets, minTargetsUp);
}

/**
 * Probes several links concurrently (they share nothing but the Lambda's deadline). A link that
 * could not be judged (unresolved names decide it) goes to `failures`; the other links still report.
 * Returns the result (figures per link, what the state machine gets) and the per-target reports
 * (for the log).
 *
 * @throws CanaryError when a link's run could not complete (an abort: the deadline is the run's),
 * once every link's run has ended; and when no link at all could be judged: a collection that
 * collected nothing failed, and its invocation's error is how the canary collection's failure is
 * counted (AWS/Lambda `Errors` of this VPC's function, `CANARY_COLLECTION_METRICS`).
 */
export async function runCanary(options: {
  readonly vpcId: string;
  readonly links: readonly CanaryLink[];
  readonly probe: Probe;
  readonly signal?: AbortSignal;
  /** When the run started (the result's `probedAt`). */
  readonly startedAt: Date;
  /** How to wait between a target's attempts (tests pass one that does not wait). */
  readonly delay?: Delay;
}): Promise<CanaryRun> {
  const { vpcId, links, probe, signal, startedAt, delay } = options;
  const runs = await Promise.allSettled(links.map((link) => runLinkCanary(link, probe, signal, delay)));
  const reports: LinkCanaryDetail[] = [];
  const failures: LinkCanaryFailureDetail[] = [];
  for (const run of runs) {
    if (run.status === 'fulfilled') reports.push(run.value);
    else if (run.reason instanceof CanaryInconclusiveError) {
      const { link, message, targets } = run.reason;
      failures.push({ link, error: 'CanaryError', message, targets });
    } else throw run.reason;
  }
  if (reports.length === 0 && failures.length > 0) {
    // Its message may be long (one part per link): taskHandler caps what leaves the function.
    throw new CanaryError(
      `canary for VPC ${vpcId} judged none of its ${failures.length} link(s): ${failures.map((failure) => `${failure.link}: ${failure.message}`).join('; ')}`,
    );
  }
  // The result carries each link's figures only; the targets and attempts stay in `details` and
  // `failures` for the log.
  const result = {
    vpcId,
    probedAt: startedAt.toISOString(),
    links: reports.map(linkFigures),
    failures: failures.map(({ link, error, message }) => ({ link, error, message })),
  };
  return { result, details: reports, failures };
}

/**
 * A target's attempts: the next one starts as soon as the previous one has ended or
 * {@link attemptSpacingMs} after it started, whichever comes first. A target that answers is
 * probed one attempt after another (the attempts measure the path, not each other); a silent one
 * has its attempts overlap, so it costs about one timeout, not attempts × timeout.
 */
async function probeTarget(
  link: CanaryLink,
  target: ProbeTarget,
  probe: Probe,
  signal: AbortSignal | undefined,
  delay: Delay,
): Promise<TargetReport> {
  const { attempts, timeoutMs } = link.canary;
  const spacingMs = attemptSpacingMs(attempts, timeoutMs);
  const inFlight: Promise<ProbeAttempt>[] = [];
  for (let index = 0; index < attempts; index += 1) {
    const previous = inFlight[index - 1];
    if (previous) await previousEndsOrSpacing(previous, spacingMs, delay, signal);
    if (signal?.aborted) break;
    inFlight.push(probe(target, { timeoutMs, signal }));
  }
  // Every attempt started settles before the target reports (or fails): no socket outlives the run.
  const runs = await Promise.allSettled(inFlight);
  const failed = runs.find((run): run is PromiseRejectedResult => run.status === 'rejected');
  if (failed) throw failed.reason;
  if (inFlight.length < attempts) {
    throw new CanaryError(`canary for link ${link.name} aborted after ${inFlight.length} attempt(s)`, {
      cause: signal?.reason,
    });
  }
  return targetReport(
    target,
    runs.map((run) => (run as PromiseFulfilledResult<ProbeAttempt>).value),
  );
}

/** Resolves when `previous` settles or `spacingMs` has passed (or `signal` aborts), whichever is first. */
async function previousEndsOrSpacing(
  previous: Promise<unknown>,
  spacingMs: number,
  delay: Delay,
  signal: AbortSignal | undefined,
): Promise<void> {
  const stop = new AbortController();
  const wait = signal ? AbortSignal.any([stop.signal, signal]) : stop.signal;
  const ignore = () => undefined;
  await Promise.race([previous.then(ignore, ignore), delay(spacingMs, wait).then(ignore, ignore)]);
  stop.abort(); // the timer of the wait that lost the race
}

function asCanaryError(reason: unknown, link: string): CanaryError {
  if (reason instanceof CanaryError) return reason;
  const message = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  return new CanaryError(`canary for link ${link} could not complete: ${message}`, { cause: reason });
}
