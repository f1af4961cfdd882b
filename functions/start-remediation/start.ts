/**
 * Starting the remediations of failing links: observations in (a Monitor tick's figures, or the
 * Outage alarm's event), the incident item read and moved with conditional writes, StartExecution
 * per attempt out. Both triggers run the same decision over the same item, so they converge on one
 * incident and one execution per attempt.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { getBudget, getLock } from '#functions/remediation-guard/adapters.ts';
import { budgetKey } from '#functions/remediation-guard/budget.ts';
import { lockKey } from '#functions/remediation-guard/lock.ts';
import { linkAlarmName, linkOfOutageAlarm } from '#shared/alarm-names.ts';
import { type Config, findLink, remediationEnabledFor } from '#shared/config.ts';
import { AwsThrottledError, describeError, isThrottling } from '#shared/errors.ts';
import type { IncidentRecord } from '#shared/incident.ts';
import { attemptInput } from '#shared/incident.ts';
import {
  advanceAttempt,
  getIncident,
  getIncidents,
  type IncidentTable,
  openIncident,
  recordHealthyTick,
} from '#shared/incident-table.ts';
import { logger } from '#shared/powertools.ts';
import { describeMetricAlarms, startNamedExecution } from './adapters.ts';
import { decideStart, type LinkItems } from './decide.ts';
import { RemediationStartError } from './errors.ts';
import type { AlarmState, LinkDecision, Observation, Skipped, StartResult } from './types.ts';

/** The clients and target of the starts, and the invocation's abort signal. */
export interface StartDeps {
  readonly cloudWatch: CloudWatchClient;
  readonly sfn: SFNClient;
  readonly table: IncidentTable;
  readonly stateMachineArn: string;
  readonly signal: AbortSignal;
  readonly now: () => Date;
}

/** Re-read and re-decide this many times when another trigger moved the incident under us. */
const DECIDE_TRIES = 3;

/** The Monitor's branch without telemetry: every link's Outage alarm (a metric-math alarm), read now. */
export async function outageAlarmsNow(
  deps: StartDeps,
  config: Config,
): Promise<{ alarms: AlarmState[]; missing: Skipped[] }> {
  const names = config.links.map((link) => linkAlarmName(config.namespace, link.name, 'Outage'));
  const alarms = await describeMetricAlarms(deps.cloudWatch, names, { signal: deps.signal });
  const missing = config.links.flatMap((link, index) => {
    const alarmName = names[index] ?? null;
    if (alarms.some((alarm) => alarm.alarmName === alarmName)) return [];
    return [{ link: link.name, alarmName, reason: 'Outage alarm not found (is the stack deployed?)' }];
  });
  return { alarms, missing };
}

/**
 * Alarm states as observations: ALARM is a failing observation at the time it entered ALARM; any
 * other state observes nothing (the alarm lags the figures: it never closes an incident).
 */
export function alarmObservations(
  config: Config,
  alarms: readonly AlarmState[],
  now: Date,
): { observations: Observation[]; skipped: Skipped[] } {
  const observations: Observation[] = [];
  const skipped: Skipped[] = [];
  for (const alarm of alarms) {
    const name = linkOfOutageAlarm(config.namespace, alarm.alarmName);
    const link = name ? findLink(config, name) : undefined;
    if (!link) {
      skipped.push({
        link: name ?? null,
        alarmName: alarm.alarmName,
        reason: 'not the Outage alarm of a configured link',
      });
      continue;
    }
    if (alarm.stateValue !== 'ALARM') {
      skipped.push({
        link: link.name,
        alarmName: alarm.alarmName,
        reason: `Outage alarm is ${alarm.stateValue}`,
      });
      continue;
    }
    observations.push({
      link: link.name,
      state: 'failing',
      at: alarm.enteredAt ?? now,
      source: 'alarm',
      severity: 'outage',
      detail: `Outage alarm in ALARM since ${(alarm.enteredAt ?? now).toISOString()}`,
    });
  }
  return { observations, skipped };
}

/**
 * The items deciding one link. `prefetched` is the incident read by the tick's batch (first round
 * only; a re-decision re-reads it). The lock and budget gate a start, so they are read for a failing
 * link, and for a healthy one only while its incident is open (decide.ts reads them for nothing else).
 */
async function readItems(
  deps: StartDeps,
  observation: Observation,
  prefetched?: { incident: IncidentRecord | null },
): Promise<LinkItems> {
  const options = { signal: deps.signal };
  const link = observation.link;
  const incident = prefetched ? prefetched.incident : await getIncident(deps.table, link, options);
  const needGates =
    observation.state === 'failing' || (observation.state === 'healthy' && incident?.status === 'open');
  if (!needGates) return { incident, lock: null, budget: null };
  const [lock, budget] = await Promise.all([
    getLock(deps.table, lockKey(link), options),
    getBudget(deps.table, budgetKey(link), options),
  ]);
  return { incident, lock, budget };
}

type Outcome =
  | { kind: 'started'; executionName: string; executionArn: string | null }
  | { kind: 'already'; executionName: string };

async function start(deps: StartDeps, executionName: string, input: string): Promise<Outcome> {
  const result = await startNamedExecution(
    deps.sfn,
    { stateMachineArn: deps.stateMachineArn, name: executionName, input },
    { signal: deps.signal },
  );
  return result.started
    ? { kind: 'started', executionName, executionArn: result.executionArn }
    : { kind: 'already', executionName };
}

/** One link's observation through the incident: decide, write conditionally, start. */
async function handleLink(
  deps: StartDeps,
  config: Config,
  observation: Observation,
  prefetched?: { incident: IncidentRecord | null },
): Promise<{ decision: LinkDecision; outcome: Outcome | null }> {
  const base = { link: observation.link, observed: observation.state, severity: observation.severity };
  const settings = config.remediation;
  for (let round = 1; round <= DECIDE_TRIES; round++) {
    const now = deps.now();
    const items = await readItems(deps, observation, round === 1 ? prefetched : undefined);
    const decision = decideStart(observation, items, settings, now);
    const incident = items.incident;
    switch (decision.kind) {
      case 'none':
      case 'wait':
        return {
          decision: {
            ...base,
            decision: decision.kind === 'wait' ? 'waiting' : 'none',
            incident: incident?.status === 'open' ? incident.startedAt : null,
            attempt: incident?.status === 'open' ? incident.attempt : null,
            executionName: null,
            detail: decision.detail,
          },
          outcome: null,
        };
      case 'healthy-tick': {
        if (!incident) break;
        const written = await recordHealthyTick(
          deps.table,
          {
            link: observation.link,
            startedAt: incident.startedAt,
            healthyTicks: decision.healthyTicks,
            close: decision.close,
            now,
          },
          { signal: deps.signal },
        );
        if (!written) continue;
        return {
          decision: {
            ...base,
            decision: decision.close ? 'closed' : 'healthy-tick',
            incident: incident.startedAt,
            attempt: incident.attempt,
            executionName: null,
            detail: decision.detail,
          },
          outcome: null,
        };
      }
      case 'open': {
        const opened = await openIncident(
          deps.table,
          {
            link: observation.link,
            startedAt: decision.startedAt,
            executionName: decision.executionName,
            now,
          },
          { signal: deps.signal },
        );
        if (!opened.opened) continue;
        const outcome = await start(
          deps,
          decision.executionName,
          attemptInput(observation.link, decision.startedAt, 1),
        );
        return {
          decision: {
            ...base,
            decision: 'opened',
            incident: decision.startedAt,
            attempt: 1,
            executionName: decision.executionName,
            detail: decision.detail,
          },
          outcome,
        };
      }
      case 'start': {
        if (!incident) break;
        // Sent even while it runs: Step Functions' name uniqueness is what makes every trigger of
        // one attempt the same execution (same name and input while running: the same execution).
        const sent = await start(
          deps,
          decision.executionName,
          attemptInput(observation.link, incident.startedAt, decision.attempt),
        );
        const outcome: Outcome = decision.running
          ? { kind: 'already', executionName: decision.executionName }
          : sent;
        return {
          decision: {
            ...base,
            decision: outcome.kind === 'started' ? 'started' : 'already',
            incident: incident.startedAt,
            attempt: decision.attempt,
            executionName: decision.executionName,
            detail: decision.detail,
          },
          outcome,
        };
      }
      case 'advance': {
        if (!incident) break;
        const moved = await advanceAttempt(
          deps.table,
          {
            link: observation.link,
            startedAt: incident.startedAt,
            from: decision.from,
            executionName: decision.executionName,
            now,
          },
          { signal: deps.signal },
        );
        if (!moved) continue;
        const outcome = await start(
          deps,
          decision.executionName,
          attemptInput(observation.link, incident.startedAt, decision.attempt),
        );
        return {
          decision: {
            ...base,
            decision: 'advanced',
            incident: incident.startedAt,
            attempt: decision.attempt,
            executionName: decision.executionName,
            detail: decision.detail,
          },
          outcome,
        };
      }
    }
  }
  throw new RemediationStartError(
    `${observation.link}: the incident item kept changing under us (${DECIDE_TRIES} tries)`,
  );
}

/**
 * Runs every observation through its link's incident. Tries every link; then, if any failed,
 * throws naming them (AwsThrottledError when all were throttled, so the caller retries).
 */
export async function processObservations(
  deps: StartDeps,
  config: Config,
  observations: readonly Observation[],
  skippedBefore: readonly Skipped[] = [],
): Promise<StartResult> {
  const started: StartResult['started'][number][] = [];
  const already: StartResult['already'][number][] = [];
  const skipped: Skipped[] = [...skippedBefore];
  const decisions: LinkDecision[] = [];
  const failures: { link: string; error: unknown }[] = [];
  // One batched read of every observed link's incident (a tick observes every link): a few calls
  // per tick however many links, instead of one GetItem each.
  const observed = observations.filter((observation) => {
    const link = findLink(config, observation.link);
    return link !== undefined && remediationEnabledFor(config, link);
  });
  const incidents =
    observed.length > 1
      ? await getIncidents(
          deps.table,
          observed.map((observation) => observation.link),
          { signal: deps.signal },
        )
      : undefined;
  for (const observation of observations) {
    const link = findLink(config, observation.link);
    if (!link) continue;
    if (!remediationEnabledFor(config, link)) {
      if (observation.state === 'failing') {
        skipped.push({
          link: link.name,
          alarmName: null,
          reason: 'automatic remediation is disabled for this link',
        });
      }
      continue;
    }
    try {
      const prefetched = incidents ? { incident: incidents.get(link.name) ?? null } : undefined;
      const { decision, outcome } = await handleLink(deps, config, observation, prefetched);
      decisions.push(decision);
      logger.info('incident decision', { ...decision });
      if (outcome?.kind === 'started') {
        started.push({
          link: link.name,
          executionName: outcome.executionName,
          executionArn: outcome.executionArn,
        });
      } else if (outcome?.kind === 'already') {
        already.push({ link: link.name, executionName: outcome.executionName });
      } else if (observation.state === 'failing') {
        skipped.push({ link: link.name, alarmName: null, reason: decision.detail });
      }
    } catch (error) {
      failures.push({ link: link.name, error });
    }
  }
  if (failures.length > 0) {
    const detail = failures.map(({ link, error }) => `${link}: ${describeError(error).message}`).join('; ');
    const ok = started.map((s) => s.executionName).join(', ') || 'none';
    const message = `could not process ${failures.length} link(s): ${detail}; started: ${ok}`;
    if (failures.every(({ error }) => isThrottling(error) || error instanceof AwsThrottledError)) {
      throw new AwsThrottledError(message);
    }
    throw new RemediationStartError(message);
  }
  return { started, already, skipped, decisions };
}
