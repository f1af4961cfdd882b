/**
 * Which remediations to start, pure. Both triggers (the Monitor after each tick, the alarm's
 * EventBridge rule) go through here and name the execution after the time the Unhealthy alarm
 * entered ALARM, with identical input, so one alarm episode is one execution.
 */
import { linkOfUnhealthyAlarm } from '#shared/alarm-names.ts';
import { type Config, findLink, remediationEnabledFor } from '#shared/config.ts';
import { remediationExecutionName } from '#shared/execution-name.ts';
import type { AlarmState, PlannedStart, Skipped } from './types.ts';

/** `2026-11-26T11:58:00.123Z` → `2026-11-26T11:58:00Z`: the precision of the execution name. */
const toSecond = (at: Date): string => `${at.toISOString().slice(0, 19)}Z`;

/** The starts (and the reasons for not starting) for a set of Unhealthy alarm states. */
export function planStarts(
  config: Config,
  alarms: readonly AlarmState[],
): { starts: PlannedStart[]; skipped: Skipped[] } {
  const starts: PlannedStart[] = [];
  const skipped: Skipped[] = [];
  for (const alarm of alarms) {
    const name = linkOfUnhealthyAlarm(config.namespace, alarm.alarmName);
    const link = name ? findLink(config, name) : undefined;
    if (!link) {
      skipped.push({
        link: name ?? null,
        alarmName: alarm.alarmName,
        reason: 'not the Unhealthy alarm of a configured link',
      });
      continue;
    }
    if (alarm.stateValue !== 'ALARM') {
      skipped.push({
        link: link.name,
        alarmName: alarm.alarmName,
        reason: `Unhealthy alarm is ${alarm.stateValue}`,
      });
      continue;
    }
    if (!remediationEnabledFor(config, link)) {
      skipped.push({
        link: link.name,
        alarmName: alarm.alarmName,
        reason: 'automatic remediation is disabled for this link',
      });
      continue;
    }
    if (!alarm.enteredAt) {
      skipped.push({
        link: link.name,
        alarmName: alarm.alarmName,
        reason: 'the alarm does not say when it entered ALARM',
      });
      continue;
    }
    const input = {
      link: link.name,
      trigger: 'alarm',
      dryRun: false,
      reason: `Unhealthy alarm in ALARM since ${toSecond(alarm.enteredAt)}`,
    };
    starts.push({
      link: link.name,
      alarmName: alarm.alarmName,
      executionName: remediationExecutionName(link.name, 'alarm', alarm.enteredAt),
      input: JSON.stringify(input),
    });
  }
  return { starts, skipped };
}
