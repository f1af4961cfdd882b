/**
 * CloudWatch closer to AWS: late datapoints seen by the next evaluation, the Monitor's own alarms
 * evaluated from the AWS/States metrics the world derives from its executions; and SNS delivering
 * through the subscriptions' filter policies, its faults reaching alarm notifications too.
 */
import { readFileSync } from 'node:fs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it } from 'vitest';
import { applyOverrides } from '#sandbox/scenario/load.ts';
import { evaluateMetricAlarm, type Sample } from '#sandbox/world/alarm-eval.ts';
import { matchesFilterPolicy } from '#sandbox/world/sns.ts';
import { HOME_REGION, TOPIC_ARN, World } from '#sandbox/world/world.ts';
import { PAGER_FILTER_POLICY } from '#shared/audience.ts';

const baseConfig = JSON.parse(
  readFileSync(new URL('../../scenarios/configs/one-link.json', import.meta.url), 'utf8'),
);
const withSubscribers = applyOverrides(baseConfig, {
  notifications: { emails: ['ops@example.com'], smsNumbers: ['+14155550100'] },
});

let world: World | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

const minute = 60_000;
const one = (at: number): Sample => ({ timestamp: at, count: 1, sum: 1, min: 1, max: 1 });
const failedOnce = {
  statistic: 'Sum',
  periodSeconds: 60,
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  comparison: 'GreaterThanOrEqualToThreshold',
  threshold: 1,
  treatMissingData: 'notBreaching',
} as const;

describe('CloudWatch evaluation range', () => {
  it('sees a datapoint published just after an evaluation at the next one', () => {
    // Prepare: evaluated at 10:50; the datapoint of minute 10 arrives at 10:51.
    const late = [one(10 * minute + 51_000)];
    // Act
    const before = evaluateMetricAlarm(failedOnce, [], 10 * minute + 50_000, 'OK');
    const next = evaluateMetricAlarm(failedOnce, late, 11 * minute + 50_000, 'OK');
    // Assess
    expect(before.state).toBe('OK');
    expect(next.state).toBe('ALARM');
  });

  it('evaluates the current period once it has data', () => {
    const samples = [one(10 * minute + 5000), one(11 * minute + 5000)];
    const result = evaluateMetricAlarm(failedOnce, samples, 11 * minute + 50_000, 'OK');
    expect(result.periods.map((p) => p.start)).toEqual([11 * minute]);
  });
});

describe('the Monitor execution alarms', () => {
  it('alarm from AWS/States ExecutionsFailed when Monitor executions fail 3 minutes of 5, and notify the topic', async () => {
    // Prepare: a tunnel API that fails every call fails every tick.
    world = await World.create({ config: withSubscribers, remoteHosts: true });
    world.inject({ type: 'api-unavailable', service: 'ec2', region: 'vpn', link: 'home-to-west' });
    // Act
    await world.runUntil(6 * 60);
    // Assess
    const name = 'VpnGuard-MonitorExecutionsFailed';
    expect(world.monitorExecutions().filter((m) => m.status === 'FAILED').length).toBeGreaterThanOrEqual(3);
    expect(world.cloudwatch.stateOf(name)).toBe('ALARM');
    expect(world.cloudwatch.stateOf('VpnGuard-MonitorExecutionsTimedOut')).toBe('OK');
    const message = world.sns.messages.find((m) => m.alarm?.name === name);
    expect(message?.alarm?.state).toBe('ALARM');
    // CloudWatch's notification has no attributes: e-mail gets it, the pager (SMS) does not.
    expect(message?.deliveries.map((d) => d.protocol)).toEqual(['email']);
  });
});

describe('SNS subscriptions and filter policies', () => {
  it('matches a message only when it carries an accepted attribute value', () => {
    expect(matchesFilterPolicy(PAGER_FILTER_POLICY, { audience: 'pager' })).toBe(true);
    expect(matchesFilterPolicy(PAGER_FILTER_POLICY, { audience: 'log' })).toBe(false);
    expect(matchesFilterPolicy(PAGER_FILTER_POLICY, {})).toBe(false);
    expect(matchesFilterPolicy(undefined, {})).toBe(true);
  });

  it('delivers a pager message to SMS and e-mail, a log message to e-mail only', async () => {
    // Prepare
    world = await World.create({
      config: withSubscribers,
      monitor: false,
      alarms: false,
      remoteHosts: false,
    });
    const sns = new SNSClient({ region: HOME_REGION });
    const send = (audience: string) =>
      sns.send(
        new PublishCommand({
          TopicArn: TOPIC_ARN,
          Message: `a ${audience} message`,
          MessageAttributes: { audience: { DataType: 'String', StringValue: audience } },
        }),
      );
    // Act
    await send('pager');
    await send('log');
    // Assess
    expect(world.sns.messages.map((m) => m.deliveries.map((d) => d.protocol))).toEqual([
      ['email', 'sms'],
      ['email'],
    ]);
  });

  it('refuses a message attribute without a value, as SNS does', async () => {
    world = await World.create({
      config: withSubscribers,
      monitor: false,
      alarms: false,
      remoteHosts: false,
    });
    await expect(
      new SNSClient({ region: HOME_REGION, maxAttempts: 1 }).send(
        new PublishCommand({
          TopicArn: TOPIC_ARN,
          Message: 'x',
          MessageAttributes: { audience: { DataType: 'String' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameter' });
  });

  it('loses alarm notifications while SNS is unavailable (the faults reach CloudWatch too)', async () => {
    // Prepare
    world = await World.create({ config: withSubscribers, remoteHosts: true });
    world.inject({ type: 'api-unavailable', service: 'sns' });
    world.inject({ type: 'tunnel-down', link: 'home-to-west' });
    // Act
    await world.runUntil(5 * 60);
    // Assess: the alarms transitioned, no notification reached the topic.
    expect(world.cloudwatch.transitions.some((t) => t.to === 'ALARM')).toBe(true);
    expect(world.sns.messages.filter((m) => m.kind === 'alarm')).toEqual([]);
  });
});
