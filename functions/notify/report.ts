/**
 * The RemediationReport (docs/contracts.md): how a remediation ended, built from the execution's
 * state. It is the Remediation machine's output on every path that does not fail, and the record
 * inside every notification. Pure.
 */
import type { Trigger } from '#shared/execution-name.ts';
import type { RemediationOutcome, RouteChange } from '#shared/remediation-types.ts';
import { describeStepError } from './format.ts';
import type { RemediationState } from './state.ts';

/** Outcomes the ASL asks notify to announce (a dry run's turns into `dry-run-plan`). */
export const NOTIFY_OUTCOMES = [
  'started',
  'recovered',
  'failed',
  'skipped-locked',
  'skipped-cooldown',
  'exhausted',
  'recovered-by-itself',
] as const;
/** See {@link NOTIFY_OUTCOMES}. */
export type NotifyOutcome = (typeof NOTIFY_OUTCOMES)[number];

/** What a notification can announce. */
export type NotifiedOutcome = NotifyOutcome | 'dry-run-plan';

/** The rungs of the remediation ladder (docs/contracts.md), least invasive first. */
export const RUNGS = ['repair', 'adopt', 'restart-ipsec', 'replace', 'page'] as const;
/** See {@link RUNGS}. */
export type Rung = (typeof RUNGS)[number];

/** The Remediation machine's output (contract with the CLI summary). */
export interface RemediationReport {
  /** `started` only in the report of the "remediation started" announcement, never an execution's output. */
  readonly outcome: RemediationOutcome | 'started';
  readonly link: string;
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  readonly executionName: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** From the execution's start to verified recovery; null unless recovered. */
  readonly timeToRecoverSeconds: number | null;
  readonly oldInstanceId: string | null;
  readonly newInstanceId: string | null;
  /** The link's Elastic IP (the customer gateway's address). */
  readonly elasticIp: string | null;
  /** Every configured route table × remote CIDR and what was (or, in a dry run, would be) done to it. */
  readonly routes: readonly RouteChange[];
  /** A dry run's plan: one line per decision and per change it would have made. Empty otherwise. */
  readonly plan: readonly string[];
  /** Why the remediation was started (the input's reason or the trigger's default). */
  readonly reason: string;
  /** The rung that healed, or the last one tried; null when no rung ran (or the ASL did not say). */
  readonly rung: Rung | null;
  /** Every rung tried, in order. */
  readonly rungs: readonly string[];
  /** Who the notification was for (functions/shared/audience.ts). */
  readonly audience: 'pager' | 'log';
  readonly notification: { readonly subject: string; readonly messageId: string | null };
}

/** The report before its notification is sent. */
export type BuiltReport = Omit<RemediationReport, 'notification' | 'outcome' | 'audience'> & {
  readonly outcome: NotifiedOutcome;
};

/** Everything a notification says beyond the report. */
export interface ReportDetails {
  readonly executionArn: string;
  /** Every step's notes, in execution order. */
  readonly steps: readonly string[];
  readonly failure: { readonly state: string; readonly error: string; readonly message: string } | null;
  /** Dry run: how many changes a real run would make. */
  readonly plannedChanges: number;
  readonly lockHolder: string | null;
  readonly cooldownUntil: string | null;
  readonly nextAttemptAt: string | null;
  readonly attempts: { readonly used: number; readonly max: number } | null;
}

const STEP_ORDER = [
  'lock',
  'budget',
  'health',
  'before',
  'replace',
  'replacement',
  'configure',
  'repoint',
  'verify',
] as const;

/** The outcome a notification announces: a dry run that did not fail announces its plan. */
export function effectiveOutcome(outcome: NotifyOutcome, dryRun: boolean): NotifiedOutcome {
  return dryRun && outcome !== 'failed' && outcome !== 'started' ? 'dry-run-plan' : outcome;
}

/**
 * The gateway the link had before: the first observation's instance, or the one the run terminated.
 * On the adopt rung the group replaced it before the first observation, so it is the instance the
 * group terminated last (its activity history), never the adopted replacement itself.
 */
function previousGateway(
  state: RemediationState,
  rung: Rung | null,
  newInstanceId: string | null,
): string | null {
  const before = state.before;
  if (rung === 'adopt') {
    const seen = before?.instanceId && before.instanceId !== newInstanceId ? before.instanceId : null;
    return before?.lastTerminatedInstanceId ?? seen;
  }
  return before?.instanceId ?? state.replace?.oldInstanceId ?? null;
}

/** The report (its notification still to fill in) and the details a notification adds. */
export function buildReport(
  requested: NotifyOutcome,
  state: RemediationState,
  now: Date,
  ladder: { rung?: Rung | null; rungs?: readonly string[] } = {},
): { report: BuiltReport; details: ReportDetails } {
  const { context } = state;
  const outcome = effectiveOutcome(requested, context.dryRun);
  const steps = STEP_ORDER.flatMap((key) => state[key]?.notes ?? []);
  const failure =
    requested === 'failed'
      ? {
          state: state.failure?.failedState ?? 'unknown state',
          ...(() => {
            const { name, message } = describeStepError(state.error ?? {});
            return { error: name, message };
          })(),
        }
      : null;
  const routes = state.repoint?.routes ?? [];
  const plannedChanges =
    (state.replace?.action === 'would-terminate' ? 1 : 0) +
    (state.configure?.sourceDestCheck.action === 'would-disable' ? 1 : 0) +
    (state.configure?.elasticIp.action === 'would-associate' ? 1 : 0) +
    routes.filter((route) => route.action !== 'unchanged').length;
  const newInstanceId = state.replacement?.newInstanceId ?? state.configure?.instanceId ?? null;
  const report = {
    outcome,
    link: context.link,
    trigger: context.trigger,
    dryRun: context.dryRun,
    executionName: context.executionName,
    startedAt: context.startedAt,
    finishedAt: now.toISOString(),
    timeToRecoverSeconds: outcome === 'recovered' ? (state.verify?.timeToRecoverSeconds ?? null) : null,
    oldInstanceId: previousGateway(state, ladder.rung ?? null, newInstanceId),
    newInstanceId,
    elasticIp: state.configure?.elasticIp.publicIp ?? state.before?.elasticIp.publicIp ?? null,
    routes,
    plan: context.dryRun ? steps : [],
    reason: context.reason,
    rung: ladder.rung ?? null,
    rungs: ladder.rungs ?? (ladder.rung ? [ladder.rung] : []),
  };
  const budget = state.budget;
  return {
    report,
    details: {
      executionArn: context.executionId,
      steps,
      failure,
      plannedChanges,
      lockHolder: state.lock?.holder ?? null,
      cooldownUntil: budget?.cooldownUntil ?? null,
      nextAttemptAt: budget?.nextAttemptAt ?? null,
      attempts: budget ? { used: budget.attemptsInWindow, max: budget.maxAttemptsPer24h } : null,
    },
  };
}
