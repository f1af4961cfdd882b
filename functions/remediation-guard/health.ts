/**
 * Whether a link is healthy, from one check-tunnel result and one canary result. Pure.
 *
 * A probe that could not run (the Lambda failed, the Region's API failed, no entry for the link) is
 * "unknown", never "failing": design rule 6, a read failure never triggers a replacement by itself.
 *
 * - confirm (before replacing): replace only on evidence of failure (tunnels below minimum, or the
 *   canary could not reach its targets). The canary passing proves the data path even when the
 *   tunnel API is unreadable, so that is "recovered by itself". With no failure and no canary
 *   verdict (canary unknown, tunnels UP or unknown) nothing proves a failure: a real run stops with
 *   a CanaryError so a human looks, and changes nothing.
 * - verify (after repairing): recovered only when the tunnels are UP *and* the canary passes (design
 *   rule 4, "InService is not working"); anything else keeps polling until the deadline.
 */
import * as z from 'zod';
import { describeStepError, formatDuration } from '#functions/notify/format.ts';
import { CanaryError, DeadlineExceededError } from '#shared/errors.ts';
import type { Probe } from './schema.ts';
import type { CanaryVerdict, HealthOutcome, HealthPhase, TunnelsVerdict } from './types.ts';

const LinkTunnelsSchema = z.union([
  z.object({
    link: z.string(),
    ok: z.literal(true),
    tunnelsUp: z.number(),
    tunnelsTotal: z.number(),
    minTunnelsUp: z.number(),
    healthy: z.boolean(),
  }),
  z.object({
    link: z.string(),
    ok: z.literal(false),
    region: z.string(),
    error: z.object({ name: z.string(), message: z.string() }),
  }),
]);
const TunnelCheckSchema = z.object({ links: z.array(z.unknown()) });

/** One link's figures as ping-canary returns them (`LinkCanaryReport`): counts, not targets. */
const LinkCanarySchema = z.object({
  link: z.string(),
  success: z.boolean(),
  targetsUp: z.number(),
  targetsTotal: z.number(),
  latencyMs: z.number().nullable(),
  lossPercent: z.number(),
});
const CanaryResultSchema = z.object({ links: z.array(z.unknown()) });

/** The link's tunnel verdict from a check-tunnel probe. */
export function tunnelsVerdict(probe: Probe, link: string): TunnelsVerdict {
  const unknown = (detail: string): TunnelsVerdict => ({
    state: 'unknown',
    up: null,
    total: null,
    minUp: null,
    detail,
  });
  if (!probe.ok) {
    const { name, message } = describeStepError({ Error: probe.error, Cause: probe.cause });
    return unknown(`tunnel check failed (${name}: ${message})`);
  }
  const result = TunnelCheckSchema.safeParse(probe.result);
  if (!result.success) return unknown('tunnel check returned an unexpected result');
  const entries = result.data.links.map((entry) => LinkTunnelsSchema.safeParse(entry));
  const entry = entries.find((parsed) => parsed.success && parsed.data.link === link)?.data;
  if (!entry) return unknown(`tunnel check has no result for ${link}`);
  if (!entry.ok) {
    return unknown(
      `tunnel status unreadable: ${entry.region} API failed (${entry.error.name}: ${entry.error.message})`,
    );
  }
  return {
    state: entry.healthy ? 'up' : 'down',
    up: entry.tunnelsUp,
    total: entry.tunnelsTotal,
    minUp: entry.minTunnelsUp,
    detail: `${entry.tunnelsUp}/${entry.tunnelsTotal} UP (minimum ${entry.minTunnelsUp})`,
  };
}

/** The link's canary verdict from a ping-canary probe. */
export function canaryVerdict(probe: Probe, link: string): CanaryVerdict {
  const unknown = (detail: string): CanaryVerdict => ({
    state: 'unknown',
    reachable: null,
    targets: null,
    latencyMs: null,
    detail,
  });
  if (!probe.ok) {
    const { name, message } = describeStepError({ Error: probe.error, Cause: probe.cause });
    return unknown(`canary did not run (${name}: ${message})`);
  }
  const result = CanaryResultSchema.safeParse(probe.result);
  if (!result.success) return unknown('canary returned an unexpected result');
  const entry = result.data.links
    .map((item) => LinkCanarySchema.safeParse(item))
    .find((parsed) => parsed.success && parsed.data.link === link)?.data;
  if (!entry) return unknown(`canary has no result for ${link}`);
  const reachable = entry.targetsUp;
  const latency = entry.latencyMs === null ? '' : `, median ${Math.round(entry.latencyMs)} ms`;
  return {
    state: entry.success ? 'pass' : 'fail',
    reachable,
    targets: entry.targetsTotal,
    latencyMs: entry.latencyMs,
    detail: `${reachable}/${entry.targetsTotal} targets reachable${latency}, ${entry.lossPercent}% loss`,
  };
}

/** One evaluate-health invocation, its clock included. */
export interface HealthRequest {
  readonly phase: HealthPhase;
  readonly link: string;
  readonly dryRun: boolean;
  readonly tunnels: Probe;
  readonly canary: Probe;
  readonly now: Date;
  /** The execution's start, for the time to recover. */
  readonly startedAt: string;
  /** verify: when the repair finished. */
  readonly since: string | null;
  readonly verifyTimeoutMinutes: number;
}

/**
 * The health verdict for one phase.
 * @throws CanaryError (confirm, real run) when nothing proves a failure and the canary gave no verdict.
 * @throws DeadlineExceededError (verify, real run) when not recovered `verifyTimeoutMinutes` after `since`.
 */
export function evaluateHealth(request: HealthRequest): HealthOutcome {
  const tunnels = tunnelsVerdict(request.tunnels, request.link);
  const canary = canaryVerdict(request.canary, request.link);
  const failing = tunnels.state === 'down' || canary.state === 'fail';
  const seen = `tunnels ${tunnels.detail}; canary ${canary.detail}`;
  const checkedAt = request.now.toISOString();
  const base = { tunnels, canary, checkedAt, deadlineAt: null, timeToRecoverSeconds: null };

  if (request.phase === 'confirm') {
    if (failing) {
      return {
        ...base,
        phase: 'confirm',
        status: 'unhealthy',
        proceed: true,
        done: true,
        decision: 'replace',
        notes: [`Health before replacing: ${seen}: unhealthy, replacing the gateway`],
      };
    }
    if (canary.state === 'pass') {
      const stop = request.dryRun ? '; a real run would stop here (recovered-by-itself)' : '';
      return {
        ...base,
        phase: 'confirm',
        status: 'healthy',
        proceed: request.dryRun,
        done: true,
        decision: 'recovered-by-itself',
        notes: [`Health before replacing: ${seen}: the link works, nothing to replace${stop}`],
      };
    }
    const why = `cannot confirm the link is unhealthy: ${seen}; a read failure never triggers a replacement`;
    if (!request.dryRun) throw new CanaryError(why);
    return {
      ...base,
      phase: 'confirm',
      status: 'unknown',
      proceed: true,
      done: true,
      decision: 'inconclusive',
      notes: [`Health before replacing: ${why}; a real run would stop here (failed at ConfirmUnhealthy)`],
    };
  }

  const recovered = tunnels.state === 'up' && canary.state === 'pass';
  const status = recovered ? 'healthy' : failing ? 'unhealthy' : 'unknown';
  const since = new Date(request.since ?? request.now.toISOString());
  const deadline = new Date(since.getTime() + request.verifyTimeoutMinutes * 60_000);
  const deadlineAt = deadline.toISOString();
  if (request.dryRun) {
    return {
      ...base,
      phase: 'verify',
      status,
      proceed: true,
      done: true,
      decision: 'would-wait',
      deadlineAt,
      notes: [
        `Verify: now ${seen}; a real run would poll until tunnels are UP and the canary passes, for up to ${request.verifyTimeoutMinutes} min after the repair`,
      ],
    };
  }
  if (recovered) {
    const seconds = Math.max(
      0,
      Math.round((request.now.getTime() - new Date(request.startedAt).getTime()) / 1000),
    );
    return {
      ...base,
      phase: 'verify',
      status,
      proceed: true,
      done: true,
      decision: 'recovered',
      deadlineAt,
      timeToRecoverSeconds: seconds,
      notes: [`Verified at ${checkedAt}: ${seen}; recovered ${formatDuration(seconds)} after the start`],
    };
  }
  if (request.now >= deadline) {
    throw new DeadlineExceededError(
      `not recovered ${request.verifyTimeoutMinutes} min after the repair (deadline ${deadlineAt}): ${seen}`,
    );
  }
  return {
    ...base,
    phase: 'verify',
    status,
    proceed: true,
    done: false,
    decision: 'keep-waiting',
    deadlineAt,
    notes: [`Not recovered yet at ${checkedAt}: ${seen}; polling until ${deadlineAt}`],
  };
}
