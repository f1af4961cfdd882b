/**
 * start-remediation: runs each observation of a link through its incident and starts the attempt
 * the incident is due, from the Monitor (after each tick, with the tick's figures) or the Outage
 * alarm's EventBridge rule (the backup trigger). Both name an attempt after the incident's start
 * and its number, so one attempt is one execution. Config: runtimeConfig() (bundled).
 * Env: REMEDIATION_STATE_MACHINE_ARN, LOCK_TABLE_NAME.
 */
import { cloudWatchClient, dynamoClient, sfnClient } from '#shared/clients.ts';
import { taskHandler } from '#shared/middleware.ts';
import { logger } from '#shared/powertools.ts';
import { requireEnv, runtimeConfig } from '#shared/runtime-config.ts';
import { MONITOR_ERROR_BOUND } from '#shared/state-size.ts';
import { observeTick } from './observe.ts';
import { StartInputSchema } from './schema.ts';
import { alarmObservations, outageAlarmsNow, processObservations, type StartDeps } from './start.ts';
import type { StartResult } from './types.ts';

/**
 * What the Monitor keeps of a tick's result, and all it is given: Step Functions limits a task's
 * raw result to 256 KiB before its ResultSelector drops anything, and the per-link decisions
 * (already logged as "incident decision") and skipped links would grow it by up to ~0.8 KB a failing
 * link, outside the Monitor's state bound (functions/shared/state-size.ts counts started/already).
 */
function forMonitor(result: StartResult): Pick<StartResult, 'started' | 'already'> {
  if (result.skipped.length > 0) logger.info('links not started', { skipped: result.skipped });
  return { started: result.started, already: result.already };
}

/** The Lambda entry point (Monitor Task or EventBridge target). */
export const handler = taskHandler(
  StartInputSchema,
  async (input, { signal }) => {
    const config = runtimeConfig();
    const deps: StartDeps = {
      cloudWatch: cloudWatchClient(),
      sfn: sfnClient(),
      table: { client: dynamoClient(), tableName: requireEnv('LOCK_TABLE_NAME') },
      stateMachineArn: requireEnv('REMEDIATION_STATE_MACHINE_ARN'),
      signal,
      now: () => new Date(),
    };
    if (input.source === 'monitor') {
      if (input.tunnels && input.canaries) {
        const observations = observeTick(config.links, input.tunnels, input.canaries, new Date());
        return forMonitor(await processObservations(deps, config, observations));
      }
      const { alarms, missing } = await outageAlarmsNow(deps, config);
      const { observations, skipped } = alarmObservations(config, alarms, new Date());
      return forMonitor(await processObservations(deps, config, observations, [...missing, ...skipped]));
    }
    const { alarmName, state } = input.detail;
    const { observations, skipped } = alarmObservations(
      config,
      [{ alarmName, stateValue: state.value, enteredAt: new Date(state.timestamp) }],
      new Date(),
    );
    return processObservations(deps, config, observations, skipped);
  },
  // A caught Cause sits in the Monitor's state (functions/shared/state-size.ts).
  { errors: MONITOR_ERROR_BOUND },
);
