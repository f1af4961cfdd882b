/** The notify handler: one SNS Publish per outcome, JSON message structure, the report returned. */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler, type NotifyResult } from '#functions/notify/handler.ts';
import { localLambdaContext } from '#sandbox/local-sfn.ts';
import { AwsThrottledError, InvalidInputError, NotificationError } from '#shared/errors.ts';
import { twoLinkConfig } from '../fixtures/config.ts';

const sns = mockClient(SNSClient);
const context = localLambdaContext('arn:aws:lambda:us-east-1:111111111111:function:vpn-guard-notify');
const invoke = (event: unknown) => handler(event, context) as Promise<NotifyResult>;

const TOPIC = 'arn:aws:sns:us-east-1:111111111111:vpn-guard-alarms';
const EXECUTION =
  'arn:aws:states:us-east-1:111111111111:execution:vpn-guard-remediation:home-to-west-alarm-20261126T115800';
const NOW = new Date('2026-11-26T12:05:00.000Z');
const event = {
  outcome: 'recovered-by-itself',
  executionId: EXECUTION,
  link: 'home-to-west',
  state: {
    link: 'home-to-west',
    context: {
      link: 'home-to-west',
      trigger: 'alarm',
      dryRun: false,
      reason: 'Unhealthy alarm in ALARM since 2026-11-26T11:58:00Z',
      executionId: EXECUTION,
      executionName: 'home-to-west-alarm-20261126T115800',
      startedAt: '2026-11-26T12:00:00.000Z',
      canaryFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:canary',
    },
    health: { notes: ['Health before replacing: the link works'], status: 'healthy' },
  },
};

describe('the notify handler', () => {
  beforeEach(() => {
    sns.reset();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(twoLinkConfig()));
    vi.stubEnv('TOPIC_ARN', TOPIC);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it('publishes one message with a subject, the full text for email and default, and one short line for SMS', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'msg-42' });
    // Act
    const result = await invoke(event);
    // Assess
    const calls = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(1);
    const [input] = calls;
    expect(input).toMatchObject({
      TopicArn: TOPIC,
      Subject: '[VpnGuard] home-to-west recovered by itself, nothing changed',
      MessageStructure: 'json',
    });
    const message = JSON.parse(input?.Message ?? '{}');
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'sms']);
    expect(message.email).toBe(message.default);
    expect(message.default).toMatch(
      /^home-to-west: the link recovered by itself before any replacement\. Nothing was changed\.\n/,
    );
    expect(message.sms).toBe('VpnGuard home-to-west recovered by itself, nothing changed');
    expect(result).toEqual({
      messageId: 'msg-42',
      subject: '[VpnGuard] home-to-west recovered by itself, nothing changed',
      report: expect.objectContaining({
        outcome: 'recovered-by-itself',
        link: 'home-to-west',
        finishedAt: NOW.toISOString(),
        notification: {
          subject: '[VpnGuard] home-to-west recovered by itself, nothing changed',
          messageId: 'msg-42',
        },
      }),
    });
  });

  it('fails with NotificationError when SNS refuses, and AwsThrottledError when it throttles', async () => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('Topic does not exist'), { name: 'NotFound' }));
    await expect(invoke(event)).rejects.toBeInstanceOf(NotificationError);
    sns.reset();
    sns.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(invoke(event)).rejects.toBeInstanceOf(AwsThrottledError);
  });

  it('rejects an outcome it does not know without publishing', async () => {
    await expect(invoke({ ...event, outcome: 'rejected' })).rejects.toBeInstanceOf(InvalidInputError);
    expect(sns.calls()).toHaveLength(0);
  });
});
