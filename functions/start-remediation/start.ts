/** Starting the remediations of unhealthy links: the alarms' states in, StartExecution per episode out. */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { linkAlarmName } from '#shared/alarm-names.ts';
import type { Config } from '#shared/config.ts';
import { AwsThrottledError, describeError, isThrottling } from '#shared/errors.ts';
import { describeCompositeAlarms, startNamedExecution } from './adapters.ts';
import { RemediationStartError } from './errors.ts';
import { planStarts } from './plan.ts';
import type { AlarmState, Skipped, StartResult } from './types.ts';

/** The clients and target of the starts, and the invocation's abort signal. */
export interface StartDeps {
  readonly cloudWatch: CloudWatchClient;
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  readonly signal: AbortSignal;
}

/** The Monitor's branch: every link's Unhealthy composite, read now. */
export async function unhealthyAlarmsNow(
  deps: StartDeps,
  config: Config,
): Promise<{ alarms: AlarmState[]; missing: Skipped[] }> {
  const names = config.links.map((link) => linkAlarmName(config.namespace, link.name, 'Unhealthy'));
  const alarms = await describeCompositeAlarms(deps.cloudWatch, names, { signal: deps.signal });
  const missing = config.links.flatMap((link, index) => {
    const alarmName = names[index] ?? null;
    if (alarms.some((alarm) => alarm.alarmName === alarmName)) return [];
    return [{ link: link.name, alarmName, reason: 'Unhealthy alarm not found (is the stack deployed?)' }];
  });
  return { alarms, missing };
}

/**
 * Starts one execution per link whose Unhealthy alarm is in ALARM. Tries every start; then, if any
 * failed, throws naming them (AwsThrottledError when all were throttled, so the caller retries).
 */
export async function startRemediations(
  deps: StartDeps,
  config: Config,
  alarms: readonly AlarmState[],
  skippedBefore: readonly Skipped[] = [],
): Promise<StartResult> {
  const { starts, skipped } = planStarts(config, alarms);
  const started: StartResult['started'][number][] = [];
  const already: StartResult['already'][number][] = [];
  const failures: { name: string; error: unknown }[] = [];
  for (const start of starts) {
    try {
      const result = await startNamedExecution(
        deps.sfn,
        { stateMachineArn: deps.stateMachineArn, name: start.executionName, input: start.input },
        { signal: deps.signal },
      );
      if (result.started) {
        started.push({
          link: start.link,
          executionName: start.executionName,
          executionArn: result.executionArn,
        });
      } else {
        already.push({ link: start.link, executionName: start.executionName });
      }
    } catch (error) {
      failures.push({ name: start.executionName, error });
    }
  }
  if (failures.length > 0) {
    const detail = failures.map(({ name, error }) => `${name}: ${describeError(error).message}`).join('; ');
    const ok = started.map((s) => s.executionName).join(', ') || 'none';
    const message = `could not start ${failures.length} remediation(s): ${detail}; started: ${ok}`;
    if (failures.every(({ error }) => isThrottling(error) || error instanceof AwsThrottledError)) {
      throw new AwsThrottledError(message);
    }
    throw new RemediationStartError(message);
  }
  return { started, already, skipped: [...skippedBefore, ...skipped] };
}
