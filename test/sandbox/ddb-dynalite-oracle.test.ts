/**
 * dynalite (a maintained DynamoDB implementation, Apache-2.0) as the oracle of the sandbox's own
 * DynamoDB evaluator (dynamodb.ts + ddb-expression.ts): every call the product makes, and the
 * expression features around them, must end the same in both (success or the same error name,
 * the same item afterwards). dynalite runs in-process on a loopback port with its in-memory
 * backend; its on-disk backend (classic-level, a native module) is kept out of the process.
 * Why the sandbox does not serve from dynalite itself: docs/notes/world-platform.md.
 */

import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbModel } from '#sandbox/world/dynamodb.ts';

const require = createRequire(import.meta.url);
const TABLE = 'locks';

interface Server {
  listen(port: number, host: string, done: () => void): void;
  address(): AddressInfo;
  close(done: () => void): void;
}

let server: Server;
let endpoint: string;

/** Loads dynalite with `level` (whose only export is the native on-disk backend) replaced. */
function loadDynalite(): (options: object) => Server {
  const dir = require.resolve('dynalite');
  const levelPath = require.resolve('level', { paths: [dir] });
  require.cache[levelPath] = {
    id: levelPath,
    filename: levelPath,
    loaded: true,
    exports: {
      Level: class {
        constructor() {
          throw new Error('the on-disk backend is not used');
        }
      },
    },
  } as unknown as NodeJS.Module;
  return require('dynalite');
}

async function oracle(
  target: string,
  body: object,
): Promise<{ error?: string; output?: Record<string, unknown>; raw: Record<string, unknown> }> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `DynamoDB_20120810.${target}`,
      'X-Amz-Date': '20261126T120000Z',
      Authorization:
        'AWS4-HMAC-SHA256 Credential=sandbox/20261126/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
    },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200)
    return { error: String(json.__type).split('#').at(-1) ?? 'unknown', raw: json };
  return { output: json, raw: json };
}

function evaluator(model: DynamoDbModel, target: string, body: object): { error?: string } {
  try {
    const call = {
      PutItem: 'putItem',
      UpdateItem: 'updateItem',
      DeleteItem: 'deleteItem',
      GetItem: 'getItem',
    }[target] as 'putItem' | 'updateItem' | 'deleteItem' | 'getItem';
    // biome-ignore lint/suspicious/noExplicitAny: each case's body is that command's input
    model[call](body as any);
    return {};
  } catch (error) {
    return { error: (error as Error).name };
  }
}

beforeAll(async () => {
  const dynalite = loadDynalite();
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${server.address().port}/`;
  await oracle('CreateTable', {
    TableName: TABLE,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const S = (value: string) => ({ S: value });
const N = (value: number) => ({ N: String(value) });
const lockPut = (holder: string, now: number) => ({
  TableName: TABLE,
  Item: { pk: S('lock#a'), holder: S(holder), expiresAt: N(now + 100) },
  ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now OR #holder = :holder',
  ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt', '#holder': 'holder' },
  ExpressionAttributeValues: { ':now': N(now), ':holder': S(holder) },
});

/** Sequences of calls (one key each), as the product and its edge cases make them. */
const CASES: { name: string; key: string; calls: [string, object][] }[] = [
  {
    name: 'the lock: acquire, refused to another holder, re-acquired by the same, taken over once expired',
    key: 'lock#a',
    calls: [
      ['PutItem', lockPut('exec-1', 1000)],
      ['PutItem', lockPut('exec-2', 1010)],
      ['PutItem', lockPut('exec-1', 1020)],
      ['PutItem', lockPut('exec-2', 5000)],
    ],
  },
  {
    name: 'the lock release: only its holder deletes it',
    key: 'lock#b',
    calls: [
      ['PutItem', { TableName: TABLE, Item: { pk: S('lock#b'), holder: S('exec-1') } }],
      [
        'DeleteItem',
        {
          TableName: TABLE,
          Key: { pk: S('lock#b') },
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': 'holder' },
          ExpressionAttributeValues: { ':holder': S('exec-2') },
        },
      ],
      [
        'DeleteItem',
        {
          TableName: TABLE,
          Key: { pk: S('lock#b') },
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': 'holder' },
          ExpressionAttributeValues: { ':holder': S('exec-1') },
        },
      ],
    ],
  },
  ...[0, 1].map((expected) => ({
    name: `the budget write, optimistic on version ${expected}`,
    key: `budget#${expected}`,
    calls: [
      [
        'UpdateItem',
        {
          TableName: TABLE,
          Key: { pk: S(`budget#${expected}`) },
          UpdateExpression: 'SET #attempts = :attempts, #version = :next, #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#pk) OR #version = :version',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#attempts': 'attempts',
            '#version': 'version',
            '#expiresAt': 'expiresAt',
          },
          ExpressionAttributeValues: {
            ':attempts': { M: { 'exec-1': S('2026-11-26T12:00:00Z') } },
            ':version': N(expected),
            ':next': N(expected + 1),
            ':expiresAt': N(2000),
          },
        },
      ],
      [
        'UpdateItem',
        {
          TableName: TABLE,
          Key: { pk: S(`budget#${expected}`) },
          UpdateExpression: 'SET #version = :next',
          ConditionExpression: 'attribute_not_exists(#pk) OR #version = :version',
          ExpressionAttributeNames: { '#pk': 'pk', '#version': 'version' },
          ExpressionAttributeValues: { ':version': N(expected), ':next': N(expected + 2) },
        },
      ],
    ] as [string, object][],
  })),
  {
    name: 'arithmetic, if_not_exists, list_append, REMOVE and ADD',
    key: 'misc#1',
    calls: [
      [
        'UpdateItem',
        {
          TableName: TABLE,
          Key: { pk: S('misc#1') },
          UpdateExpression:
            'SET n = if_not_exists(n, :zero) + :one, l = list_append(if_not_exists(l, :empty), :l) ADD c :one',
          ExpressionAttributeValues: {
            ':zero': N(0),
            ':one': N(1),
            ':empty': { L: [] },
            ':l': { L: [S('x')] },
          },
        },
      ],
      [
        'UpdateItem',
        {
          TableName: TABLE,
          Key: { pk: S('misc#1') },
          UpdateExpression: 'SET n = n - :one REMOVE l ADD c :one',
          ConditionExpression: 'n > :zero AND (attribute_exists(l) OR NOT attribute_exists(c))',
          ExpressionAttributeValues: { ':zero': N(0), ':one': N(1) },
        },
      ],
    ],
  },
  {
    name: 'validation: an unused placeholder, overlapping paths, updating the key',
    key: 'bad#1',
    calls: [
      [
        'UpdateItem',
        {
          TableName: TABLE,
          Key: { pk: S('bad#1') },
          UpdateExpression: 'SET a = :a',
          ExpressionAttributeValues: { ':a': N(1), ':unused': N(2) },
        },
      ],
      [
        'UpdateItem',
        {
          TableName: TABLE,
          Key: { pk: S('bad#1') },
          UpdateExpression: 'SET a = :a, a = :a',
          ExpressionAttributeValues: { ':a': N(1) },
        },
      ],
      [
        'UpdateItem',
        {
          TableName: TABLE,
          Key: { pk: S('bad#1') },
          UpdateExpression: 'SET pk = :a',
          ExpressionAttributeValues: { ':a': S('other') },
        },
      ],
    ],
  },
];

describe('the sandbox DynamoDB evaluator agrees with dynalite', () => {
  for (const testCase of CASES) {
    it(testCase.name, async () => {
      // Prepare
      const model = new DynamoDbModel(() => 0, 0);
      model.createTable({ name: TABLE, keys: ['pk'], ttlAttribute: 'expiresAt' });
      for (const [target, body] of testCase.calls) {
        // Act
        const real = await oracle(target, body);
        const ours = evaluator(model, target, body);
        // Assess: the same outcome of every call, the same item after it.
        expect(ours.error, `${target} ${JSON.stringify(body)}`).toBe(real.error);
        const stored = await oracle('GetItem', {
          TableName: TABLE,
          Key: { pk: S(testCase.key) },
          ConsistentRead: true,
        });
        const mine = model.getItem({ TableName: TABLE, Key: { pk: S(testCase.key) }, ConsistentRead: true });
        expect(mine.Item ?? null).toEqual((stored.output?.Item as object | undefined) ?? null);
      }
    });
  }

  it('is where dynalite falls short: no Item on ConditionalCheckFailed with ReturnValuesOnConditionCheckFailure ALL_OLD', async () => {
    // AWS returns the item (API_PutItem, ReturnValuesOnConditionCheckFailure); the product's
    // AcquireLock reads the holder from it. dynalite 4 ignores the parameter.
    await oracle('PutItem', lockPut('exec-1', 1000));
    const refused = await oracle('PutItem', {
      ...lockPut('exec-9', 1000),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(refused.error).toBe('ConditionalCheckFailedException');
    expect(refused.raw.Item).toBeUndefined();
  });
});
