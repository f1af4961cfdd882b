/**
 * notify's status-change action (the remediation-watch rule's target): an execution that ended
 * FAILED, TIMED_OUT or ABORTED is announced once with its console link and last state, and its
 * lock released only if it still holds it; a bad input refused at ValidateInput stays silent.
 */
import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '#functions/notify/handler.ts';
import type { WatchResult } from '#functions/notify/watch.ts';
import { localLambdaContext } from '#sandbox/local-sfn.ts';
import { twoLinkConfig } from '../fixtures/config.ts';

const sns = mockClient(SNSClient);
const dynamo = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const context = localLambdaContext('arn:aws:lambda:us-east-1:111111111111:function:notify');
const invoke = (event: unknown) => handler(event, context) as Promise<WatchResult>;
const MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:vpn-guard-remediation';
const NAME = 'home-to-west-alarm-20261126T120105';
const EXECUTION = `${MACHINE.replace(':stateMachine:', ':execution:')}:${NAME}`;

const statusChange = (status: string, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'e-1',
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  account: '111111111111',
  time: '2026-11-26T12:40:00Z',
  region: 'us-east-1',
  resources: [EXECUTION],
  detail: {
    executionArn: EXECUTION,
    stateMachineArn: MACHINE,
    name: NAME,
    status,
    startDate: 1_795_000_000_000,
    stopDate: 1_795_000_100_000,
    input: JSON.stringify({ link: 'home-to-west', trigger: 'alarm', dryRun: false }),
    output: null,
    error: status === 'TIMED_OUT' ? 'States.Timeout' : null,
    cause: null,
    ...extra,
  },
});

describe('the status-change action', () => {
  beforeEach(() => {
    sns.reset();
    dynamo.reset();
    sfn.reset();
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(twoLinkConfig()));
    vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:us-east-1:111111111111:topic');
    vi.stubEnv('LOCK_TABLE_NAME', 'locks');
    sns.on(PublishCommand).resolves({ MessageId: 'm-9' });
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    dynamo.on(DeleteItemCommand).resolves({});
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 9, type: 'ExecutionTimedOut', timestamp: new Date() },
        {
          id: 8,
          type: 'WaitStateEntered',
          timestamp: new Date(),
          stateEnteredEventDetails: { name: 'WaitForReplacement' },
        },
      ],
    });
  });
  afterEach(() => vi.unstubAllEnvs());

  it('announces a timed-out run with the console link and its last state, and releases its lock only if it holds it', async () => {
    // Act
    const result = await invoke(statusChange('TIMED_OUT'));
    // Assess
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input).toMatchObject({
      executionArn: EXECUTION,
      reverseOrder: true,
    });
    const [deleted] = dynamo.commandCalls(DeleteItemCommand).map((c) => c.args[0].input);
    expect(deleted).toMatchObject({
      Key: { pk: { S: 'lock#home-to-west' } },
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeValues: { ':holder': { S: EXECUTION } },
    });
    const [published] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published?.Subject).toBe('[VpnGuard] home-to-west remediation TIMED_OUT at WaitForReplacement');
    const body = JSON.parse(published?.Message ?? '{}');
    expect(body.default).toContain('Last state: WaitForReplacement');
    expect(body.default).toContain(`#/v2/executions/details/${EXECUTION}`);
    expect(body.default).toContain('Lock: this execution still held it; released now.');
    // An automatic attempt's end is not the incident's end: the next attempt (or "exhausted") pages.
    expect(published?.MessageAttributes?.audience?.StringValue).toBe('log');
    expect(result).toMatchObject({
      outcome: 'timed-out',
      lockReleased: true,
      lastState: 'WaitForReplacement',
      messageId: 'm-9',
    });
    const record = dynamo
      .commandCalls(UpdateItemCommand)
      .map((c) => c.args[0].input)
      .find((u) => u.ExpressionAttributeNames?.['#lastOutcome']);
    expect(record?.ExpressionAttributeValues?.[':set_lastOutcome']).toEqual({ S: 'timed-out' });
  });

  it("does not release another execution's lock", async () => {
    dynamo.on(DeleteItemCommand).rejects(
      Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
      }),
    );
    const result = await invoke(statusChange('ABORTED'));
    expect(result.lockReleased).toBe(false);
    expect(JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}').default).toContain(
      'Lock: not held by this execution',
    );
  });

  it('pages the end of a drill that was aborted: it has no next attempt', async () => {
    await invoke(
      statusChange('ABORTED', {
        name: 'home-to-west-drill-20261126T120105',
        input: JSON.stringify({ link: 'home-to-west', trigger: 'drill' }),
      }),
    );
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.MessageAttributes?.audience?.StringValue).toBe(
      'pager',
    );
  });

  it('says nothing twice: a FAILED run that notified its own failure is not announced again', async () => {
    dynamo.on(PutItemCommand).rejects(
      Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
        Item: { state: { S: 'sent' }, messageId: { S: 'm-1' } },
      }),
    );
    const result = await invoke(statusChange('FAILED', { error: 'GatewayUpdateError', cause: 'x' }));
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(result.skipped).toBe('already announced by the execution itself');
  });

  it('stays silent for an input refused at ValidateInput (nothing was touched, no lock taken)', async () => {
    const result = await invoke(
      statusChange('FAILED', { error: 'InvalidInputError', input: '{"link":"nope"}' }),
    );
    expect(sns.calls()).toHaveLength(0);
    expect(dynamo.calls()).toHaveLength(0);
    expect(result.skipped).toMatch(/bad input/);
  });

  it('refuses a status it is not wired for, naming the field', async () => {
    await expect(invoke(statusChange('SUCCEEDED'))).rejects.toThrow(/detail\.status/);
  });
});
