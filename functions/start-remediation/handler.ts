/**
 * start-remediation: starts the Remediation machine for links whose Unhealthy alarm is in ALARM,
 * from the Monitor (after each tick) or the alarm's EventBridge rule; both name the execution after
 * the alarm episode, so one episode is one execution. Config: runtimeConfig() (bundled).
 * Env: REMEDIATION_STATE_MACHINE_ARN.
 */
import { cloudWatchClient, sfnClient } from '#shared/clients.ts';
import { taskHandler } from '#shared/middleware.ts';
import { requireEnv, runtimeConfig } from '#shared/runtime-config.ts';
import { StartInputSchema } from './schema.ts';
import { type StartDeps, startRemediations, unhealthyAlarmsNow } from './start.ts';

/** The Lambda entry point (Monitor Task or EventBridge target). */
export const handler = taskHandler(StartInputSchema, async (input, { signal }) => {
  const config = runtimeConfig();
  const deps: StartDeps = {
    cloudWatch: cloudWatchClient(),
    sfn: sfnClient(),
    stateMachineArn: requireEnv('REMEDIATION_STATE_MACHINE_ARN'),
    signal,
  };
  if (input.source === 'monitor') {
    const { alarms, missing } = await unhealthyAlarmsNow(deps, config);
    return startRemediations(deps, config, alarms, missing);
  }
  const { alarmName, state } = input.detail;
  return startRemediations(deps, config, [
    { alarmName, stateValue: state.value, enteredAt: new Date(state.timestamp) },
  ]);
});
