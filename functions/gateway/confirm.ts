/**
 * ConfirmUnhealthy, pure: an alarm's failure is confirmed only when the evidence holds for
 * `remediation.confirmSeconds` of re-probes, so a blip changes nothing. A passing canary at any
 * probe means the link works (recovered by itself); no evidence either way never replaces anything.
 */
import { canaryVerdict, tunnelsVerdict } from '#functions/remediation-guard/health.ts';
import type { Probe } from '#functions/remediation-guard/schema.ts';
import type { CanaryVerdict, TunnelsVerdict } from '#functions/remediation-guard/types.ts';
import { CanaryError } from '#shared/errors.ts';

/** One ConfirmUnhealthy verdict (the `$.health` section the notification reads). */
export interface ConfirmOutcome {
  readonly phase: 'confirm';
  readonly status: 'healthy' | 'unhealthy' | 'unknown';
  /** Go on to the gateway: the failure is confirmed (a dry run always goes on). */
  readonly proceed: boolean;
  /** The confirmation window is over (false: probe again). */
  readonly done: boolean;
  readonly decision: 'replace' | 'confirming' | 'recovered-by-itself' | 'inconclusive';
  readonly tunnels: TunnelsVerdict;
  readonly canary: CanaryVerdict;
  readonly checkedAt: string;
  /** When the confirmation window ends (ISO). */
  readonly deadlineAt: string;
  readonly timeToRecoverSeconds: null;
  readonly notes: readonly string[];
}

/** The confirmation verdict of one probe, `startedAt + confirmSeconds` being the window's end. */
export function confirmUnhealthy(request: {
  readonly link: string;
  readonly dryRun: boolean;
  readonly tunnels: Probe;
  readonly canary: Probe;
  readonly startedAt: string;
  readonly confirmSeconds: number;
  readonly now: Date;
}): ConfirmOutcome {
  const tunnels = tunnelsVerdict(request.tunnels, request.link);
  const canary = canaryVerdict(request.canary, request.link);
  const seen = `tunnels ${tunnels.detail}; canary ${canary.detail}`;
  const end = new Date(new Date(request.startedAt).getTime() + request.confirmSeconds * 1000);
  const base = {
    phase: 'confirm' as const,
    tunnels,
    canary,
    checkedAt: request.now.toISOString(),
    deadlineAt: end.toISOString(),
    timeToRecoverSeconds: null,
  };
  if (canary.state === 'pass') {
    const stop = request.dryRun ? '; a real run would stop here (recovered-by-itself)' : '';
    return {
      ...base,
      status: 'healthy',
      proceed: request.dryRun,
      done: true,
      decision: 'recovered-by-itself',
      notes: [`Health before changing anything: ${seen}: the link works, nothing to change${stop}`],
    };
  }
  if (tunnels.state === 'down' || canary.state === 'fail') {
    if (!request.dryRun && request.now < end) {
      return {
        ...base,
        status: 'unhealthy',
        proceed: false,
        done: false,
        decision: 'confirming',
        notes: [`Health at ${base.checkedAt}: ${seen}: failing; re-probing until ${base.deadlineAt}`],
      };
    }
    return {
      ...base,
      status: 'unhealthy',
      proceed: true,
      done: true,
      decision: 'replace',
      notes: [
        `Health before changing anything: ${seen}: unhealthy${request.dryRun ? '' : ` for ${request.confirmSeconds} s of re-probes`}, remediating`,
      ],
    };
  }
  const why = `cannot confirm the link is unhealthy: ${seen}; a read failure never changes anything`;
  if (!request.dryRun) throw new CanaryError(why);
  return {
    ...base,
    status: 'unknown',
    proceed: true,
    done: true,
    decision: 'inconclusive',
    notes: [
      `Health before changing anything: ${why}; a real run would stop here (CanaryError at ConfirmUnhealthy)`,
    ],
  };
}
