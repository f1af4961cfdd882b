import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbModel } from '#sandbox/world/dynamodb.ts';

const TABLE = 'locks';
const model = (now = 1_000_000_000) => {
  const clock = { now };
  const db = new DynamoDbModel(() => clock.now, 3600);
  db.createTable({ name: TABLE, keys: ['pk'], ttlAttribute: 'expiresAt' });
  return { db, clock };
};

const lockPut = (holder: string, now: number) => ({
  TableName: TABLE,
  Item: { pk: { S: 'lock#a' }, holder: { S: holder }, expiresAt: { N: String(now + 600) } },
  ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now OR #holder = :holder',
  ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt', '#holder': 'holder' },
  ExpressionAttributeValues: { ':now': { N: String(now) }, ':holder': { S: holder } },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

describe('sandbox DynamoDB', () => {
  it('BatchGetItem returns the items found, leaves out the missing, and refuses duplicates or more than 100 keys', () => {
    const { db } = model();
    db.putItem(lockPut('exec-1', 100));
    const keys = (...pks: string[]) => ({
      RequestItems: { [TABLE]: { Keys: pks.map((pk) => ({ pk: { S: pk } })) } },
    });
    expect(db.batchGetItem(keys('lock#a', 'lock#b'))).toEqual({
      Responses: { [TABLE]: [expect.objectContaining({ pk: { S: 'lock#a' }, holder: { S: 'exec-1' } })] },
      UnprocessedKeys: {},
    });
    expect(() => db.batchGetItem(keys('lock#a', 'lock#a'))).toThrow(/duplicates/);
    expect(() => db.batchGetItem(keys(...Array.from({ length: 101 }, (_, i) => `incident#l${i}`)))).toThrow(
      /Too many items/,
    );
  });

  it('lets one holder take a lock, refuses another with the current item, and lets the holder re-take it', () => {
    const { db } = model();
    db.putItem(lockPut('exec-1', 100));
    let refused: unknown;
    try {
      db.putItem(lockPut('exec-2', 100));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ConditionalCheckFailedException);
    expect((refused as ConditionalCheckFailedException).Item?.holder?.S).toBe('exec-1');
    expect(() => db.putItem(lockPut('exec-1', 200))).not.toThrow();
  });

  it('lets another holder take an expired lock (the condition compares numbers, not strings)', () => {
    const { db } = model();
    db.putItem(lockPut('exec-1', 100));
    expect(() => db.putItem(lockPut('exec-2', 1000))).not.toThrow();
    expect(db.items(TABLE)[0]?.holder?.S).toBe('exec-2');
  });

  it('evaluates NOT, AND and parentheses', () => {
    const { db } = model();
    db.seedItem(TABLE, { pk: { S: 'x' }, n: { N: '5' }, s: { S: 'b' } });
    const del = (condition: string, values: Record<string, { N: string } | { S: string }>) =>
      db.deleteItem({
        TableName: TABLE,
        Key: { pk: { S: 'x' } },
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
      });
    expect(() =>
      del('NOT (n > :five) AND (s = :a OR s = :c)', {
        ':five': { N: '5' },
        ':a': { S: 'a' },
        ':c': { S: 'c' },
      }),
    ).toThrow(ConditionalCheckFailedException);
    expect(() =>
      del('NOT (n > :five) AND (s = :a OR s = :b)', {
        ':five': { N: '5' },
        ':a': { S: 'a' },
        ':b': { S: 'b' },
      }),
    ).not.toThrow();
    expect(db.items(TABLE)).toEqual([]);
  });

  it('applies SET with arithmetic, if_not_exists and list_append, REMOVE and ADD as DynamoDB does', () => {
    const { db } = model();
    db.seedItem(TABLE, { pk: { S: 'x' }, count: { N: '1' }, list: { L: [{ S: 'a' }] }, gone: { S: 'y' } });
    const out = db.updateItem({
      TableName: TABLE,
      Key: { pk: { S: 'x' } },
      UpdateExpression:
        'SET #c = #c + :one, list = list_append(list, :more), fresh = if_not_exists(fresh, :zero) REMOVE gone ADD total :two',
      ExpressionAttributeNames: { '#c': 'count' },
      ExpressionAttributeValues: {
        ':one': { N: '1' },
        ':more': { L: [{ S: 'b' }] },
        ':zero': { N: '0' },
        ':two': { N: '2' },
      },
      ReturnValues: 'ALL_NEW',
    });
    expect(out.Attributes).toEqual({
      pk: { S: 'x' },
      count: { N: '2' },
      list: { L: [{ S: 'a' }, { S: 'b' }] },
      fresh: { N: '0' },
      total: { N: '2' },
    });
  });

  it('rejects what AWS rejects: unused placeholders and updating the key (ValidationException)', () => {
    const { db } = model();
    expect(() =>
      db.putItem({
        TableName: TABLE,
        Item: { pk: { S: 'x' } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ExpressionAttributeValues: { ':unused': { S: 'u' } },
      }),
    ).toThrow(/unused in expressions: keys: \{:unused\}/);
    expect(() =>
      db.updateItem({
        TableName: TABLE,
        Key: { pk: { S: 'x' } },
        UpdateExpression: 'SET pk = :v',
        ExpressionAttributeValues: { ':v': { S: 'y' } },
      }),
    ).toThrow(/part of the key/);
  });

  it('fails loudly on expression syntax it does not model', () => {
    const { db } = model();
    expect(() =>
      db.putItem({
        TableName: TABLE,
        Item: { pk: { S: 'x' } },
        ConditionExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': { S: 'x' } },
      }),
    ).toThrow(expect.objectContaining({ name: 'UnmodelledCommandError' }));
    expect(() =>
      db.putItem({
        TableName: TABLE,
        Item: { pk: { S: 'x' } },
        ConditionExpression: 'n BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':a': { N: '1' }, ':b': { N: '2' } },
      }),
    ).toThrow(expect.objectContaining({ name: 'UnmodelledCommandError' }));
  });

  it('keeps an expired item readable until the TTL deletion lag has passed', () => {
    const { db, clock } = model(1_000_000_000);
    db.seedItem(TABLE, { pk: { S: 'x' }, expiresAt: { N: String(1_000_000) } });
    clock.now = 1_000_000_000 + 1000;
    db.sweepTtl();
    expect(db.getItem({ TableName: TABLE, Key: { pk: { S: 'x' } } }).Item).toBeDefined();
    clock.now = (1_000_000 + 3600) * 1000;
    db.sweepTtl();
    expect(db.getItem({ TableName: TABLE, Key: { pk: { S: 'x' } } }).Item).toBeUndefined();
  });
});
