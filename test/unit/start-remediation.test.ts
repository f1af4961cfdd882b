/**
 * start-remediation: both triggers (the Monitor after a tick, the alarm's EventBridge event) start
 * the same execution for one alarm episode, with byte-identical input.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '#functions/start-remediation/handler.ts';
import { planStarts } from '#functions/start-remediation/plan.ts';
import type { StartResult } from '#functions/start-remediation/types.ts';
import { localLambdaContext } from '#sandbox/local-sfn.ts';
import { type Config, parseConfig } from '#shared/config.ts';
import { AwsThrottledError } from '#shared/errors.ts';
import { twoLinkConfig } from '../fixtures/config.ts';

const cloudWatch = mockClient(CloudWatchClient);
const sfn = mockClient(SFNClient);
const context = localLambdaContext(
  'arn:aws:lambda:us-east-1:111111111111:function:vpn-guard-start-remediation',
);
const invoke = (event: unknown) => handler(event, context) as Promise<StartResult>;

const STATE_MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:vpn-guard-remediation';
const ENTERED = new Date('2026-11-26T11:58:00.412Z');
const WEST_INPUT = JSON.stringify({
  link: 'home-to-west',
  trigger: 'alarm',
  dryRun: false,
  reason: 'Unhealthy alarm in ALARM since 2026-11-26T11:58:00Z',
});

const alarmEvent = (alarmName: string, value: string, timestamp: string) => ({
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '111111111111',
  time: '2026-11-26T11:58:01Z',
  region: 'us-east-1',
  resources: [`arn:aws:cloudwatch:us-east-1:111111111111:alarm:${alarmName}`],
  detail: {
    alarmName,
    state: { value, reason: 'TunnelsDown in ALARM', timestamp },
    previousState: { value: 'OK', reason: '', timestamp: '2026-11-26T10:00:00.000+0000' },
    configuration: { alarmRule: 'ALARM(x) OR ALARM(y)' },
  },
});

function withRemediationOff(config: Config, link: string): Config {
  const raw = structuredClone(config) as unknown as {
    links: { name: string; remediation?: { enabled: boolean } }[];
  };
  for (const entry of raw.links) if (entry.name === link) entry.remediation = { enabled: false };
  return parseConfig(raw, 'test');
}

describe('planStarts', () => {
  it('names the execution after the time the alarm entered ALARM and skips what should not start, saying why', () => {
    const config = withRemediationOff(twoLinkConfig(), 'home-to-eu');
    const plan = planStarts(config, [
      { alarmName: 'VpnGuard-home-to-west-Unhealthy', stateValue: 'ALARM', enteredAt: ENTERED },
      { alarmName: 'VpnGuard-home-to-eu-Unhealthy', stateValue: 'ALARM', enteredAt: ENTERED },
      { alarmName: 'VpnGuard-home-to-west-Unhealthy', stateValue: 'OK', enteredAt: ENTERED },
      { alarmName: 'VpnGuard-home-to-mars-Unhealthy', stateValue: 'ALARM', enteredAt: ENTERED },
      { alarmName: 'Other-alarm', stateValue: 'ALARM', enteredAt: ENTERED },
    ]);
    expect(plan.starts).toEqual([
      {
        link: 'home-to-west',
        alarmName: 'VpnGuard-home-to-west-Unhealthy',
        executionName: 'home-to-west-alarm-20261126T115800',
        input: WEST_INPUT,
      },
    ]);
    expect(plan.skipped.map((s) => s.reason)).toEqual([
      'automatic remediation is disabled for this link',
      'Unhealthy alarm is OK',
      'not the Unhealthy alarm of a configured link',
      'not the Unhealthy alarm of a configured link',
    ]);
  });
});

describe('the start-remediation handler', () => {
  beforeEach(() => {
    cloudWatch.reset();
    sfn.reset();
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(twoLinkConfig()));
    vi.stubEnv('REMEDIATION_STATE_MACHINE_ARN', STATE_MACHINE);
  });
  afterEach(() => vi.unstubAllEnvs());

  it("after a tick, reads every link's Unhealthy composite and starts the one in ALARM", async () => {
    // Prepare
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      CompositeAlarms: [
        {
          AlarmName: 'VpnGuard-home-to-west-Unhealthy',
          StateValue: 'ALARM',
          StateTransitionedTimestamp: ENTERED,
          StateUpdatedTimestamp: new Date('2026-11-26T12:03:00Z'),
        },
        { AlarmName: 'VpnGuard-home-to-eu-Unhealthy', StateValue: 'OK', StateTransitionedTimestamp: ENTERED },
      ],
    });
    sfn.on(StartExecutionCommand).resolves({
      executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:home-to-west-alarm-20261126T115800`,
      startDate: new Date(),
    });
    // Act
    const result = await invoke({
      source: 'monitor',
      executionId: 'arn:aws:states:us-east-1:111111111111:execution:monitor:tick',
    });
    // Assess
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      {
        AlarmNames: ['VpnGuard-home-to-west-Unhealthy', 'VpnGuard-home-to-eu-Unhealthy'],
        AlarmTypes: ['CompositeAlarm'],
        NextToken: undefined,
      },
    ]);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE, name: 'home-to-west-alarm-20261126T115800', input: WEST_INPUT },
    ]);
    expect(result.started).toEqual([
      {
        link: 'home-to-west',
        executionName: 'home-to-west-alarm-20261126T115800',
        executionArn: expect.stringContaining(':execution:'),
      },
    ]);
    expect(result.skipped).toEqual([
      { link: 'home-to-eu', alarmName: 'VpnGuard-home-to-eu-Unhealthy', reason: 'Unhealthy alarm is OK' },
    ]);
  });

  it("starts the very same execution from the alarm's EventBridge event", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    await invoke(alarmEvent('VpnGuard-home-to-west-Unhealthy', 'ALARM', '2026-11-26T11:58:00.412+0000'));
    expect(cloudWatch.calls()).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE, name: 'home-to-west-alarm-20261126T115800', input: WEST_INPUT },
    ]);
  });

  it('counts ExecutionAlreadyExists as already started for this episode, not as an error', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const result = await invoke(
      alarmEvent('VpnGuard-home-to-west-Unhealthy', 'ALARM', '2026-11-26T11:58:00.000+0000'),
    );
    expect(result).toEqual({
      started: [],
      already: [{ link: 'home-to-west', executionName: 'home-to-west-alarm-20261126T115800' }],
      skipped: [],
    });
  });

  it('starts nothing for an alarm leaving ALARM or for a link whose remediation is off', async () => {
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(withRemediationOff(twoLinkConfig(), 'home-to-eu')));
    const ok = await invoke(
      alarmEvent('VpnGuard-home-to-west-Unhealthy', 'OK', '2026-11-26T12:20:00.000+0000'),
    );
    const off = await invoke(
      alarmEvent('VpnGuard-home-to-eu-Unhealthy', 'ALARM', '2026-11-26T12:20:00.000+0000'),
    );
    expect(ok.skipped[0]?.reason).toBe('Unhealthy alarm is OK');
    expect(off.skipped[0]?.reason).toBe('automatic remediation is disabled for this link');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('reports a link whose Unhealthy alarm does not exist', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({ CompositeAlarms: [] });
    const result = await invoke({ source: 'monitor' });
    expect(result.skipped.map((s) => s.link)).toEqual(['home-to-west', 'home-to-eu']);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('turns throttling of DescribeAlarms or StartExecution into AwsThrottledError', async () => {
    cloudWatch
      .on(DescribeAlarmsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(invoke({ source: 'monitor' })).rejects.toBeInstanceOf(AwsThrottledError);
    sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(
      invoke(alarmEvent('VpnGuard-home-to-west-Unhealthy', 'ALARM', '2026-11-26T11:58:00.000+0000')),
    ).rejects.toBeInstanceOf(AwsThrottledError);
  });

  it('tries every start and then fails naming the one that could not start', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      CompositeAlarms: ['home-to-west', 'home-to-eu'].map((link) => ({
        AlarmName: `VpnGuard-${link}-Unhealthy`,
        StateValue: 'ALARM',
        StateTransitionedTimestamp: ENTERED,
      })),
    });
    sfn
      .on(StartExecutionCommand, { name: 'home-to-west-alarm-20261126T115800' })
      .rejects(
        Object.assign(new Error('State Machine Does Not Exist'), { name: 'StateMachineDoesNotExist' }),
      );
    sfn
      .on(StartExecutionCommand, { name: 'home-to-eu-alarm-20261126T115800' })
      .resolves({ executionArn: 'arn:eu', startDate: new Date() });
    await expect(invoke({ source: 'monitor' })).rejects.toMatchObject({
      name: 'RemediationStartError',
      message:
        'could not start 1 remediation(s): home-to-west-alarm-20261126T115800: StartExecution home-to-west-alarm-20261126T115800: StateMachineDoesNotExist: State Machine Does Not Exist; started: home-to-eu-alarm-20261126T115800',
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });
});
