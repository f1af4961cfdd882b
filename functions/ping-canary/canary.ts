/**
 * The canary run: which links this VPC's function probes, and probing them. Targets are probed
 * concurrently (so a link's run lasts about one target's attempts × timeout at worst), the
 * attempts of one target in sequence (so they measure the path, not each other). A link's path is
 * judged k of n (`canary.minTargetsUp` targets answering), not host by host.
 */
import { CanaryError, InvalidInputError } from '#shared/errors.ts';
import { linkReport, pathVerdict, statusOf, targetReport } from './stats.ts';
import type {
  CanaryResult,
  LinkCanaryFailure,
  LinkCanaryReport,
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
    super(
      `canary for link ${link} is inconclusive: ${up.length} of ${targets.length} target(s) answered and ${minTargetsUp} must; ` +
        `${unresolved.length} did not resolve (${names}), so whether the path is up is unknown: ` +
        'fix the name (or list an address) in canary.targets; this is a collection failure, not lost connectivity',
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
): Promise<LinkCanaryReport> {
  const runs = await Promise.allSettled(
    link.canary.targets.map((target) => probeTarget(link, target, probe, signal)),
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
 *
 * @throws CanaryError when a link's run could not complete (an abort: the deadline is the run's),
 * once every link's run has ended.
 */
export async function runCanary(options: {
  readonly vpcId: string;
  readonly links: readonly CanaryLink[];
  readonly probe: Probe;
  readonly signal?: AbortSignal;
  /** When the run started (the result's `probedAt`). */
  readonly startedAt: Date;
}): Promise<CanaryResult> {
  const { vpcId, links, probe, signal, startedAt } = options;
  const runs = await Promise.allSettled(links.map((link) => runLinkCanary(link, probe, signal)));
  const reports: LinkCanaryReport[] = [];
  const failures: LinkCanaryFailure[] = [];
  for (const run of runs) {
    if (run.status === 'fulfilled') reports.push(run.value);
    else if (run.reason instanceof CanaryInconclusiveError) {
      const { link, message, targets } = run.reason;
      failures.push({ link, error: 'CanaryError', message, targets });
    } else throw run.reason;
  }
  return { vpcId, probedAt: startedAt.toISOString(), links: reports, failures };
}

async function probeTarget(
  link: CanaryLink,
  target: ProbeTarget,
  probe: Probe,
  signal: AbortSignal | undefined,
): Promise<TargetReport> {
  const attempts: ProbeAttempt[] = [];
  for (let attempt = 0; attempt < link.canary.attempts; attempt += 1) {
    if (signal?.aborted) {
      throw new CanaryError(`canary for link ${link.name} aborted after ${attempts.length} attempt(s)`, {
        cause: signal.reason,
      });
    }
    attempts.push(await probe(target, { timeoutMs: link.canary.timeoutMs, signal }));
  }
  return targetReport(target, attempts);
}

function asCanaryError(reason: unknown, link: string): CanaryError {
  if (reason instanceof CanaryError) return reason;
  const message = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  return new CanaryError(`canary for link ${link} could not complete: ${message}`, { cause: reason });
}
