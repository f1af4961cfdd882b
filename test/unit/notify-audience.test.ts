/**
 * notify's audience: at most two pager messages per incident (start and end, each claimed once on
 * the incident item), a drill announces itself once, everything else to the log audience; at most
 * one message per execution and outcome; transient SNS errors retried; bookkeeping failures never
 * stop the message.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { isTransientPublishError } from '#functions/notify/adapters.ts';
import { announce, type NotifyDeps } from '#functions/notify/announce.ts';
import { audienceFor, pageClaimFor } from '#functions/notify/audience-policy.ts';
import type { AnnounceInput } from '#functions/notify/schema.ts';
import { NotificationError } from '#shared/errors.ts';

describe('pageClaimFor and audienceFor', () => {
  const auto = { trigger: 'alarm' as const, budgetSpent: false, pagedHuman: false };
  it.each([
    ['started', auto, 'start'],
    ['recovered', auto, 'end'],
    ['exhausted', auto, 'end'],
    ['failed', auto, 'none'],
    ['failed', { ...auto, budgetSpent: true }, 'end'],
    ['failed', { ...auto, pagedHuman: true }, 'end'],
    ['failed', { ...auto, cannotAct: true }, 'end'],
    ['recovered-by-itself', auto, 'end-if-started'],
    ['skipped-cooldown', auto, 'none'],
    ['skipped-locked', auto, 'none'],
    ['started', { ...auto, trigger: 'drill' as const }, 'none'],
    ['recovered', { ...auto, trigger: 'drill' as const }, 'end'],
    ['dry-run-plan', { ...auto, trigger: 'drill' as const }, 'end'],
    ['failed', { ...auto, trigger: 'manual' as const }, 'end'],
  ])('%s (%o) claims %s', (outcome, context, claim) => {
    expect(pageClaimFor(outcome, context)).toBe(claim);
  });

  it('pages only a claim won, or one that cannot be checked; never one already sent', () => {
    expect(audienceFor('end', 'claimed')).toBe('pager');
    expect(audienceFor('end', 'already')).toBe('log');
    expect(audienceFor('end-if-started', 'not-started')).toBe('log');
    expect(audienceFor('start', 'unavailable')).toBe('pager');
    expect(audienceFor('end', 'untracked')).toBe('pager');
    expect(audienceFor('none', 'claimed')).toBe('log');
  });
});

describe('announce', () => {
  const sns = mockClient(SNSClient);
  const dynamo = mockClient(DynamoDBClient);
  const NAME = 'home-to-west-alarm-20261126T120105-a2';
  const deps = (): NotifyDeps => ({
    sns: new SNSClient({ region: 'us-east-1' }),
    topicArn: 'arn:aws:sns:us-east-1:111111111111:topic',
    table: { client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 'locks' },
    namespace: 'VpnGuard',
    signal: new AbortController().signal,
    now: () => new Date('2026-11-26T12:20:00.000Z'),
    sleep: async () => {},
  });
  const input = (
    outcome: AnnounceInput['outcome'],
    budget = { attemptsInWindow: 2, maxAttemptsPer24h: 3 },
  ): AnnounceInput => ({
    outcome,
    state: {
      context: {
        link: 'home-to-west',
        trigger: 'alarm',
        dryRun: false,
        reason: 'link still failing',
        executionId: `arn:aws:states:us-east-1:111111111111:execution:m:${NAME}`,
        executionName: NAME,
        startedAt: '2026-11-26T12:16:00.000Z',
      },
      budget: { decision: 'proceed', cooldownUntil: null, nextAttemptAt: null, notes: [], ...budget },
    },
  });
  const audienceOf = () =>
    sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes?.audience?.StringValue);
  const conditionFailed = (item: Record<string, unknown>) =>
    Object.assign(new Error('The conditional request failed'), {
      name: 'ConditionalCheckFailedException',
      Item: item,
    });

  beforeEach(() => {
    sns.reset();
    dynamo.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    dynamo.on(GetItemCommand).resolves({});
  });

  it("pages the incident's end once: the first recovered claims it, records the outcome and closes the incident", async () => {
    const result = await announce(deps(), input('recovered'));
    expect(audienceOf()).toEqual(['pager']);
    expect(result.report.audience).toBe('pager');
    const updates = dynamo.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(updates[0]?.ConditionExpression).toBe('#startedAt = :startedAt AND attribute_not_exists(#paged)');
    expect(updates[0]?.ExpressionAttributeNames?.['#paged']).toBe('pagedEndAt');
    expect(updates[0]?.ExpressionAttributeValues?.[':startedAt']).toEqual({ S: '2026-11-26T12:01:05Z' });
    const record = updates.find((u) => u.ExpressionAttributeNames?.['#lastOutcome']);
    expect(record?.ExpressionAttributeValues?.[':set_lastOutcome']).toEqual({ S: 'recovered' });
    expect(record?.ExpressionAttributeValues?.[':set_lastOutcomeAttempt']).toEqual({ N: '2' });
    expect(record?.ExpressionAttributeValues?.[':set_status']).toEqual({ S: 'closed' });
  });

  it('sends an end page already claimed to the log audience', async () => {
    dynamo
      .on(UpdateItemCommand)
      .rejects(conditionFailed({ startedAt: { S: '2026-11-26T12:01:05Z' }, pagedEndAt: { S: 'x' } }));
    await announce(deps(), input('exhausted'));
    expect(audienceOf()).toEqual(['log']);
  });

  it('keeps a failure with attempts left off the phone; pages it when the budget is spent', async () => {
    await announce(deps(), input('failed'));
    await announce(deps(), input('failed', { attemptsInWindow: 3, maxAttemptsPer24h: 3 }));
    expect(audienceOf()).toEqual(['log', 'pager']);
  });

  it('publishes at most once per execution and outcome: a retried Notify returns the earlier message', async () => {
    dynamo.on(PutItemCommand).rejects(
      conditionFailed({
        state: { S: 'sent' },
        messageId: { S: 'm-0' },
        audience: { S: 'pager' },
        subject: { S: 's' },
      }),
    );
    const result = await announce(deps(), input('recovered'));
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(result.messageId).toBe('m-0');
  });

  it('still publishes (as a page) when DynamoDB is down', async () => {
    dynamo.on(PutItemCommand).rejects(Object.assign(new Error('down'), { name: 'InternalServerError' }));
    dynamo.on(UpdateItemCommand).rejects(Object.assign(new Error('down'), { name: 'InternalServerError' }));
    const result = await announce(deps(), input('recovered'));
    expect(audienceOf()).toEqual(['pager']);
    expect(result.messageId).toBe('m-1');
  });

  it('retries a transient SNS error inside the invocation, and gives up with NotificationError after its tries', async () => {
    const unavailable = Object.assign(new Error('unavailable'), { name: 'InternalErrorException' });
    sns.on(PublishCommand).rejectsOnce(unavailable).resolves({ MessageId: 'm-2' });
    expect((await announce(deps(), input('recovered'))).messageId).toBe('m-2');
    sns.reset();
    sns.on(PublishCommand).rejects(unavailable);
    await expect(announce(deps(), input('recovered'))).rejects.toBeInstanceOf(NotificationError);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(3);
    expect(isTransientPublishError(Object.assign(new Error('x'), { name: 'AuthorizationError' }))).toBe(
      false,
    );
  });
});
