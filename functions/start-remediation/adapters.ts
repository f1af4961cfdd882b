/** Thin typed calls: CloudWatch DescribeAlarms (the Outage metric alarms) and Step Functions StartExecution. */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { rethrowAs } from '#shared/errors.ts';
import { RemediationStartError } from './errors.ts';
import type { AlarmState } from './types.ts';

type Options = { signal: AbortSignal };

/** DescribeAlarms takes at most 100 names a call. */
const NAMES_PER_CALL = 100;

/** The states of the named metric alarms (names that do not exist are simply absent). */
export async function describeMetricAlarms(
  client: CloudWatchClient,
  alarmNames: readonly string[],
  { signal }: Options,
): Promise<AlarmState[]> {
  const states: AlarmState[] = [];
  for (let start = 0; start < alarmNames.length; start += NAMES_PER_CALL) {
    const names = alarmNames.slice(start, start + NAMES_PER_CALL);
    let nextToken: string | undefined;
    do {
      const output = await client
        .send(
          new DescribeAlarmsCommand({
            AlarmNames: names,
            AlarmTypes: ['MetricAlarm'],
            NextToken: nextToken,
          }),
          { abortSignal: signal },
        )
        .catch((error: unknown) =>
          rethrowAs(
            error,
            (message, options) => new RemediationStartError(message, options),
            'DescribeAlarms',
          ),
        );
      for (const alarm of output.MetricAlarms ?? []) {
        if (!alarm.AlarmName) continue;
        states.push({
          alarmName: alarm.AlarmName,
          stateValue: alarm.StateValue ?? 'INSUFFICIENT_DATA',
          // StateUpdatedTimestamp also moves when only the reason changes; the transition time
          // is the episode's start.
          enteredAt: alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp ?? null,
        });
      }
      nextToken = output.NextToken;
    } while (nextToken);
  }
  return states;
}

/**
 * Starts the named execution. `already` when Step Functions says the name is taken (the other
 * trigger, or an earlier tick, started this episode): not an error.
 */
export async function startNamedExecution(
  client: SFNClient,
  request: { stateMachineArn: string; name: string; input: string },
  { signal }: Options,
): Promise<{ started: true; executionArn: string | null } | { started: false }> {
  try {
    const output = await client.send(
      new StartExecutionCommand({
        stateMachineArn: request.stateMachineArn,
        name: request.name,
        input: request.input,
      }),
      { abortSignal: signal },
    );
    return { started: true, executionArn: output.executionArn ?? null };
  } catch (error) {
    if (
      error instanceof ExecutionAlreadyExists ||
      (error instanceof Error && error.name === 'ExecutionAlreadyExists')
    ) {
      return { started: false };
    }
    return rethrowAs(
      error,
      (message, options) => new RemediationStartError(message, options),
      `StartExecution ${request.name}`,
    );
  }
}
