/**
 * Thin DynamoDB calls for the lock and budget items (low-level client, one call each), returning our
 * domain types. Attribute names go through ExpressionAttributeNames so no reserved word can bite.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { rethrowAs } from '#shared/errors.ts';
import type { BudgetRecord } from './budget.ts';
import { LockTableError } from './errors.ts';
import type { LockItem } from './lock.ts';

/** Where the lock and budget items live. */
export interface LockTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

type Options = { signal: AbortSignal };
type Item = Record<string, AttributeValue>;

/**
 * A failed condition, by name (the SDK's ConditionalCheckFailedException, or any error with its
 * name, as a simulated DynamoDB may throw), with the item AWS returned when asked for ALL_OLD.
 */
function conditionFailed(error: unknown): { item: Item | undefined } | null {
  if (!(error instanceof Error) || error.name !== 'ConditionalCheckFailedException') return null;
  return { item: (error as { Item?: Item }).Item };
}

const fail = (context: string) => (error: unknown) =>
  rethrowAs(error, (message, options) => new LockTableError(message, options), context);

function toLockItem(item: Item | undefined): LockItem | null {
  const holder = item?.holder?.S;
  const expiresAt = Number(item?.expiresAt?.N);
  if (!holder || !Number.isFinite(expiresAt)) return null;
  return { holder, acquiredAt: item?.acquiredAt?.S ?? null, expiresAt };
}

/** The lock item, read consistently; null when there is none. */
export async function getLock(table: LockTable, pk: string, { signal }: Options): Promise<LockItem | null> {
  const output = await table.client
    .send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }), {
      abortSignal: signal,
    })
    .catch(fail(`GetItem ${pk}`));
  return toLockItem(output.Item);
}

/**
 * Takes the lock for `holder` unless another live holder has it. Re-taking our own lock succeeds
 * (extends it), so a retried AcquireLock is harmless.
 */
export async function putLock(
  table: LockTable,
  lock: { pk: string; holder: string; acquiredAt: string; expiresAt: number; now: number },
  { signal }: Options,
): Promise<{ acquired: true; previous: LockItem | null } | { acquired: false; current: LockItem | null }> {
  try {
    const output = await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: {
          pk: { S: lock.pk },
          holder: { S: lock.holder },
          acquiredAt: { S: lock.acquiredAt },
          expiresAt: { N: String(lock.expiresAt) },
        },
        ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now OR #holder = :holder',
        ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt', '#holder': 'holder' },
        ExpressionAttributeValues: { ':now': { N: String(lock.now) }, ':holder': { S: lock.holder } },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal: signal },
    );
    return { acquired: true, previous: toLockItem(output.Attributes) };
  } catch (error) {
    const failed = conditionFailed(error);
    if (failed) return { acquired: false, current: toLockItem(failed.item) };
    return fail(`PutItem ${lock.pk}`)(error);
  }
}

/** Deletes the lock only if `holder` holds it; false when it did not (expired and taken, or never ours). */
export async function deleteLock(
  table: LockTable,
  lock: { pk: string; holder: string },
  { signal }: Options,
): Promise<boolean> {
  try {
    await table.client.send(
      new DeleteItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: lock.pk } },
        ConditionExpression: '#holder = :holder',
        ExpressionAttributeNames: { '#holder': 'holder' },
        ExpressionAttributeValues: { ':holder': { S: lock.holder } },
      }),
      { abortSignal: signal },
    );
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    return fail(`DeleteItem ${lock.pk}`)(error);
  }
}

/** The budget item, read consistently; null when there is none. */
export async function getBudget(
  table: LockTable,
  pk: string,
  { signal }: Options,
): Promise<BudgetRecord | null> {
  const output = await table.client
    .send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }), {
      abortSignal: signal,
    })
    .catch(fail(`GetItem ${pk}`));
  const item = output.Item;
  if (!item) return null;
  const stamps = (map: Item[string] | undefined): Record<string, string> =>
    Object.fromEntries(
      Object.entries(map?.M ?? {}).flatMap(([id, value]) => (value.S ? [[id, value.S]] : [])),
    );
  return {
    attempts: stamps(item.attempts),
    failedUnchanged: stamps(item.failedUnchanged),
    lastCompletedAt: item.lastCompletedAt?.S ?? null,
    lastExecutionId: item.lastExecutionId?.S ?? null,
    version: Number(item.version?.N ?? 0),
  };
}

/**
 * Writes the budget record if nobody wrote it since we read version `expectedVersion` (0: there was
 * no item). False when someone did: the caller reads again and re-decides.
 */
export async function writeBudget(
  table: LockTable,
  pk: string,
  write: { record: BudgetRecord; expectedVersion: number; expiresAt: number },
  { signal }: Options,
): Promise<boolean> {
  const { record } = write;
  const names: Record<string, string> = {
    '#pk': 'pk',
    '#attempts': 'attempts',
    '#failedUnchanged': 'failedUnchanged',
    '#version': 'version',
    '#expiresAt': 'expiresAt',
  };
  const values: Item = {
    ':attempts': {
      M: Object.fromEntries(Object.entries(record.attempts).map(([id, at]) => [id, { S: at }])),
    },
    ':failedUnchanged': {
      M: Object.fromEntries(Object.entries(record.failedUnchanged).map(([id, at]) => [id, { S: at }])),
    },
    ':version': { N: String(write.expectedVersion) },
    ':next': { N: String(record.version) },
    ':expiresAt': { N: String(write.expiresAt) },
  };
  const sets = [
    '#attempts = :attempts',
    '#failedUnchanged = :failedUnchanged',
    '#version = :next',
    '#expiresAt = :expiresAt',
  ];
  if (record.lastCompletedAt) {
    names['#lastCompletedAt'] = 'lastCompletedAt';
    values[':lastCompletedAt'] = { S: record.lastCompletedAt };
    sets.push('#lastCompletedAt = :lastCompletedAt');
  }
  if (record.lastExecutionId) {
    names['#lastExecutionId'] = 'lastExecutionId';
    values[':lastExecutionId'] = { S: record.lastExecutionId };
    sets.push('#lastExecutionId = :lastExecutionId');
  }
  try {
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: pk } },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_not_exists(#pk) OR #version = :version',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
      { abortSignal: signal },
    );
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    return fail(`UpdateItem ${pk}`)(error);
  }
}
