/**
 * The remediation-guard handler as Lambda runs it: env, input parsing, and the exact DynamoDB calls
 * of the lock and budget (aws-sdk-client-mock), dry runs writing nothing.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '#functions/remediation-guard/handler.ts';
import { localLambdaContext } from '#sandbox/local-sfn.ts';
import { AwsThrottledError, InvalidInputError } from '#shared/errors.ts';
import { twoLinkConfig } from '../fixtures/config.ts';

const dynamo = mockClient(DynamoDBClient);
const context = localLambdaContext(
  'arn:aws:lambda:us-east-1:111111111111:function:vpn-guard-remediation-guard',
);
const invoke = (event: unknown) => handler(event, context) as unknown as Promise<Record<string, unknown>>;

const TABLE = 'vpn-guard-locks';
const NOW = new Date('2026-11-26T12:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const ME =
  'arn:aws:states:us-east-1:111111111111:execution:vpn-guard-remediation:home-to-west-drill-20261126T120000';
const OTHER =
  'arn:aws:states:us-east-1:111111111111:execution:vpn-guard-remediation:home-to-west-alarm-20261126T115800';
const base = { executionId: ME, link: 'home-to-west' };

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
const conditionFailed = (Item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(Item ? { Item } : {}),
  } as never);

/** What the stack substitutes into ValidateInput's payload: one vpcId=functionArn pair per canary VPC. */
const CANARY_FUNCTIONS = 'vpc-0a1b2c3d4e5f60718=arn:aws:lambda:us-east-1:111111111111:function:canary-a';

describe('the remediation-guard handler', () => {
  beforeEach(() => {
    dynamo.reset();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(twoLinkConfig()));
    vi.stubEnv('LOCK_TABLE_NAME', TABLE);
    vi.stubEnv('LOCK_TTL_SECONDS', '2400');
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  describe('validate', () => {
    it('resolves the context without any AWS call', async () => {
      // Act
      const output = await invoke({
        action: 'validate',
        canaryFunctions: CANARY_FUNCTIONS,
        executionId: ME,
        executionName: 'home-to-west-drill-20261126T120000',
        startedAt: NOW.toISOString(),
        input: { link: 'home-to-west', trigger: 'drill', dryRun: true },
      });
      // Assess
      expect(output).toMatchObject({ link: 'home-to-west', trigger: 'drill', dryRun: true, confirm: false });
      expect(dynamo.calls()).toHaveLength(0);
    });

    it('throws InvalidInputError for a bad input, without any AWS call', async () => {
      const call = invoke({
        action: 'validate',
        canaryFunctions: CANARY_FUNCTIONS,
        executionId: ME,
        executionName: 'x',
        startedAt: NOW.toISOString(),
        input: { link: 'nowhere', trigger: 'drill' },
      });
      await expect(call).rejects.toBeInstanceOf(InvalidInputError);
      expect(dynamo.calls()).toHaveLength(0);
    });
  });

  describe('acquire-lock', () => {
    it('takes the lock with a conditional put that admits only a free, expired or own lock', async () => {
      // Prepare
      dynamo.on(PutItemCommand).resolves({});
      // Act
      const output = await invoke({ action: 'acquire-lock', ...base, dryRun: false });
      // Assess
      expect(dynamo.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Item: {
            pk: { S: 'lock#home-to-west' },
            holder: { S: ME },
            acquiredAt: { S: NOW.toISOString() },
            expiresAt: { N: String(NOW_S + 2400) },
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now OR #holder = :holder',
          ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt', '#holder': 'holder' },
          ExpressionAttributeValues: { ':now': { N: String(NOW_S) }, ':holder': { S: ME } },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      ]);
      expect(output).toMatchObject({
        proceed: true,
        acquired: true,
        decision: 'acquired',
        holder: ME,
        expiresAt: '2026-11-26T12:40:00.000Z',
      });
    });

    it('is harmless when retried by the same execution', async () => {
      dynamo.on(PutItemCommand).resolves({
        Attributes: {
          pk: { S: 'lock#home-to-west' },
          holder: { S: ME },
          expiresAt: { N: String(NOW_S + 2000) },
        },
      });
      const output = await invoke({ action: 'acquire-lock', ...base, dryRun: false });
      expect(output).toMatchObject({ proceed: true, acquired: true, decision: 'reacquired' });
    });

    it('reports the lock as not acquired, naming the holder, when the condition fails', async () => {
      dynamo.on(PutItemCommand).rejects(
        conditionFailed({
          pk: { S: 'lock#home-to-west' },
          holder: { S: OTHER },
          expiresAt: { N: String(NOW_S + 900) },
        }),
      );
      const output = await invoke({ action: 'acquire-lock', ...base, dryRun: false });
      expect(output).toMatchObject({
        proceed: false,
        acquired: false,
        decision: 'held-by-other',
        holder: OTHER,
        expiresAt: '2026-11-26T12:15:00.000Z',
      });
    });

    it('recognises a failed condition by its error name, as a simulated DynamoDB throws it', async () => {
      dynamo.on(PutItemCommand).rejects(
        Object.assign(new Error('The conditional request failed'), {
          name: 'ConditionalCheckFailedException',
        }),
      );
      const output = await invoke({ action: 'acquire-lock', ...base, dryRun: false });
      expect(output).toMatchObject({
        proceed: false,
        acquired: false,
        decision: 'held-by-other',
        holder: null,
      });
    });

    it('only reads the lock in a dry run', async () => {
      dynamo.on(GetItemCommand).resolves({
        Item: {
          pk: { S: 'lock#home-to-west' },
          holder: { S: OTHER },
          expiresAt: { N: String(NOW_S + 900) },
        },
      });
      const output = await invoke({ action: 'acquire-lock', ...base, dryRun: true });
      expect(dynamo.commandCalls(GetItemCommand).map((c) => c.args[0].input)).toEqual([
        { TableName: TABLE, Key: { pk: { S: 'lock#home-to-west' } }, ConsistentRead: true },
      ]);
      expect(dynamo.calls()).toHaveLength(1);
      expect(output).toMatchObject({
        proceed: true,
        acquired: false,
        decision: 'would-skip-locked',
        holder: OTHER,
      });
    });

    it('turns DynamoDB throttling into AwsThrottledError for the ASL to retry', async () => {
      dynamo.on(PutItemCommand).rejects(throttled());
      await expect(invoke({ action: 'acquire-lock', ...base, dryRun: false })).rejects.toBeInstanceOf(
        AwsThrottledError,
      );
    });

    it('fails with LockTableError on any other DynamoDB error', async () => {
      dynamo
        .on(PutItemCommand)
        .rejects(
          Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }),
        );
      await expect(invoke({ action: 'acquire-lock', ...base, dryRun: false })).rejects.toMatchObject({
        name: 'LockTableError',
        message: 'PutItem lock#home-to-west: ResourceNotFoundException: Requested resource not found',
      });
    });
  });

  describe('check-budget', () => {
    const budgetItem = (attempts: Record<string, string>, version: number, lastCompletedAt?: string) => ({
      Item: {
        pk: { S: 'budget#home-to-west' },
        attempts: { M: Object.fromEntries(Object.entries(attempts).map(([id, at]) => [id, { S: at }])) },
        version: { N: String(version) },
        expiresAt: { N: '1' },
        ...(lastCompletedAt ? { lastCompletedAt: { S: lastCompletedAt } } : {}),
      },
    });

    it('records the attempt with an update conditioned on the version it read', async () => {
      // Prepare
      dynamo
        .on(GetItemCommand)
        .resolves(budgetItem({ a: '2026-11-26T08:00:00.000Z', old: '2026-11-25T08:00:00.000Z' }, 3));
      dynamo.on(UpdateItemCommand).resolves({});
      // Act
      const output = await invoke({ action: 'check-budget', ...base, trigger: 'drill', dryRun: false });
      // Assess
      expect(dynamo.commandCalls(UpdateItemCommand).map((c) => c.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: 'budget#home-to-west' } },
          UpdateExpression:
            'SET #attempts = :attempts, #failedUnchanged = :failedUnchanged, #version = :next, #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#pk) OR #version = :version',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#attempts': 'attempts',
            '#failedUnchanged': 'failedUnchanged',
            '#version': 'version',
            '#expiresAt': 'expiresAt',
          },
          ExpressionAttributeValues: {
            ':attempts': { M: { a: { S: '2026-11-26T08:00:00.000Z' }, [ME]: { S: NOW.toISOString() } } },
            ':failedUnchanged': { M: {} },
            ':version': { N: '3' },
            ':next': { N: '4' },
            ':expiresAt': { N: String(NOW_S + 24 * 3600 + 15 * 60) },
          },
        },
      ]);
      expect(output).toMatchObject({
        proceed: true,
        decision: 'proceed',
        recorded: true,
        attemptsInWindow: 2,
      });
    });

    it('re-reads and re-decides when another writer changed the budget in between', async () => {
      dynamo
        .on(GetItemCommand)
        .resolvesOnce(budgetItem({}, 1))
        .resolves(
          budgetItem(
            { a: '2026-11-26T10:00:00.000Z', b: '2026-11-26T11:00:00.000Z', c: '2026-11-26T11:30:00.000Z' },
            2,
          ),
        );
      dynamo.on(UpdateItemCommand).rejects(conditionFailed());
      const output = await invoke({ action: 'check-budget', ...base, trigger: 'alarm', dryRun: false });
      expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(1);
      expect(output).toMatchObject({ proceed: false, decision: 'exhausted' });
    });

    it('writes nothing when the budget is exhausted, or in a dry run', async () => {
      dynamo
        .on(GetItemCommand)
        .resolves(
          budgetItem(
            { a: '2026-11-26T10:00:00.000Z', b: '2026-11-26T11:00:00.000Z', c: '2026-11-26T11:30:00.000Z' },
            5,
          ),
        );
      expect(
        await invoke({ action: 'check-budget', ...base, trigger: 'manual', dryRun: false }),
      ).toMatchObject({ proceed: false, decision: 'exhausted' });
      dynamo.on(GetItemCommand).resolves({});
      expect(await invoke({ action: 'check-budget', ...base, trigger: 'alarm', dryRun: true })).toMatchObject(
        { proceed: true, recorded: false },
      );
      expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
    });

    it('stops an alarm run in the cooldown without writing', async () => {
      dynamo
        .on(GetItemCommand)
        .resolves(budgetItem({ a: '2026-11-26T11:40:00.000Z' }, 2, '2026-11-26T11:50:00.000Z'));
      const output = await invoke({ action: 'check-budget', ...base, trigger: 'alarm', dryRun: false });
      expect(output).toMatchObject({
        proceed: false,
        decision: 'cooldown',
        cooldownUntil: '2026-11-26T12:05:00.000Z',
      });
      expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
    });
  });

  describe('release-lock', () => {
    it('starts the cooldown for a completed attempt and deletes the lock only if this execution holds it', async () => {
      // Prepare
      dynamo.on(GetItemCommand).resolves({
        Item: {
          pk: { S: 'budget#home-to-west' },
          attempts: { M: { [ME]: { S: '2026-11-26T11:40:00.000Z' } } },
          version: { N: '6' },
        },
      });
      dynamo.on(UpdateItemCommand).resolves({});
      dynamo.on(DeleteItemCommand).resolves({});
      // Act
      const output = await invoke({ action: 'release-lock', ...base, dryRun: false, attempt: 'completed' });
      // Assess
      expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input).toMatchObject({
        UpdateExpression:
          'SET #attempts = :attempts, #failedUnchanged = :failedUnchanged, #version = :next, #expiresAt = :expiresAt, #lastCompletedAt = :lastCompletedAt, #lastExecutionId = :lastExecutionId',
        ConditionExpression: 'attribute_not_exists(#pk) OR #version = :version',
        ExpressionAttributeValues: expect.objectContaining({
          ':lastCompletedAt': { S: NOW.toISOString() },
          ':lastExecutionId': { S: ME },
          ':version': { N: '6' },
          ':next': { N: '7' },
        }),
      });
      expect(dynamo.commandCalls(DeleteItemCommand).map((c) => c.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: 'lock#home-to-west' } },
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': 'holder' },
          ExpressionAttributeValues: { ':holder': { S: ME } },
        },
      ]);
      expect(output).toEqual({
        released: true,
        budget: 'cooldown-started',
        releaseError: null,
        notes: ['Lock: released; cooldown started'],
      });
    });

    it('withdraws the attempt when nothing was changed', async () => {
      dynamo.on(GetItemCommand).resolves({
        Item: {
          pk: { S: 'budget#home-to-west' },
          attempts: {
            M: { other: { S: '2026-11-26T10:00:00.000Z' }, [ME]: { S: '2026-11-26T11:40:00.000Z' } },
          },
          version: { N: '2' },
        },
      });
      dynamo.on(UpdateItemCommand).resolves({});
      dynamo.on(DeleteItemCommand).resolves({});
      const output = await invoke({ action: 'release-lock', ...base, dryRun: false, attempt: 'withdrawn' });
      expect(
        dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':attempts'],
      ).toEqual({
        M: { other: { S: '2026-11-26T10:00:00.000Z' } },
      });
      expect(output).toMatchObject({ released: true, budget: 'attempt-withdrawn' });
    });

    it('leaves a lock held by another execution alone and touches no budget when asked for none', async () => {
      dynamo.on(DeleteItemCommand).rejects(conditionFailed());
      const output = await invoke({ action: 'release-lock', ...base, dryRun: false, attempt: 'none' });
      expect(output).toMatchObject({ released: false, budget: 'unchanged' });
      expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
      expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
    });

    it('does nothing at all in a dry run', async () => {
      const output = await invoke({ action: 'release-lock', ...base, dryRun: true, attempt: 'completed' });
      expect(output).toMatchObject({ released: false, budget: 'unchanged' });
      expect(dynamo.calls()).toHaveLength(0);
    });
  });

  it('rejects an unknown action as InvalidInputError', async () => {
    await expect(invoke({ action: 'explode', ...base })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
