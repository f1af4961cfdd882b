/**
 * DynamoDB, the lock table's part of it: GetItem, BatchGetItem, PutItem, UpdateItem and DeleteItem with real
 * condition and update expressions (ddb-expression.ts), ConditionalCheckFailedException (with the
 * item when asked), ReturnValues, and TTL deletion some time after expiry (as AWS, which deletes
 * expired items "within a few days": an expired item stays readable until then).
 */
import type {
  AttributeValue,
  BatchGetItemCommandInput,
  BatchGetItemCommandOutput,
  DeleteItemCommandInput,
  DeleteItemCommandOutput,
  GetItemCommandInput,
  GetItemCommandOutput,
  PutItemCommandInput,
  PutItemCommandOutput,
  UpdateItemCommandInput,
  UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { awsError, conditionalCheckFailed, UnmodelledCommandError } from './aws-errors.ts';
import {
  ExpressionContext,
  ExpressionValidationError,
  type Item,
  type ParsedCondition,
  parseCondition,
  parseUpdate,
  UnsupportedExpressionError,
} from './ddb-expression.ts';

export interface TableSpec {
  readonly name: string;
  /** Partition key (and optional sort key) attribute names; all strings here. */
  readonly keys: readonly string[];
  readonly ttlAttribute?: string;
}

interface Table {
  readonly spec: TableSpec;
  readonly items: Map<string, Item>;
}

type Output<T> = Omit<T, '$metadata'>;

const validation = (message: string) => awsError('dynamodb', 'ValidationException', message);

/** The call's ConditionExpression, parsed (none: no condition). */
function parseConditionOf(
  input: { ConditionExpression?: string },
  context: ExpressionContext,
): ParsedCondition | undefined {
  return input.ConditionExpression ? parseCondition(input.ConditionExpression, context) : undefined;
}

/** ConditionalCheckFailedException unless the current item passes the condition (with it, if asked). */
function checkCondition(
  condition: ParsedCondition | undefined,
  current: Item | undefined,
  input: { ReturnValuesOnConditionCheckFailure?: string },
): void {
  if (condition && !condition.evaluate(current)) {
    throw conditionalCheckFailed(
      input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && current
        ? structuredClone(current)
        : undefined,
    );
  }
}

/** One Region's DynamoDB tables. */
export class DynamoDbModel {
  private readonly tables = new Map<string, Table>();

  constructor(
    private readonly now: () => number,
    /** Seconds after an item's TTL passes before DynamoDB deletes it. */
    private readonly ttlDeletionLagSeconds: number,
  ) {}

  createTable(spec: TableSpec): void {
    this.tables.set(spec.name, { spec, items: new Map() });
  }

  /** Items of a table, for tests and expectations. */
  items(tableName: string): Item[] {
    return [...(this.tables.get(tableName)?.items.values() ?? [])].map((item) => structuredClone(item));
  }

  /** Writes an item directly (scenario seeding), bypassing the API. */
  seedItem(tableName: string, item: Item): void {
    const table = this.table(tableName);
    table.items.set(this.keyOf(table, item), structuredClone(item));
  }

  /** Deletes items whose TTL passed more than the deletion lag ago (called on the minute). */
  sweepTtl(): number {
    let deleted = 0;
    const nowSeconds = this.now() / 1000;
    for (const table of this.tables.values()) {
      const attribute = table.spec.ttlAttribute;
      if (!attribute) continue;
      for (const [key, item] of table.items) {
        const expires = Number(item[attribute]?.N);
        if (Number.isFinite(expires) && expires + this.ttlDeletionLagSeconds <= nowSeconds) {
          table.items.delete(key);
          deleted += 1;
        }
      }
    }
    return deleted;
  }

  private table(name: string | undefined): Table {
    const table = name ? this.tables.get(name) : undefined;
    if (!table) throw awsError('dynamodb', 'ResourceNotFoundException', 'Requested resource not found');
    return table;
  }

  private keyOf(table: Table, key: Record<string, AttributeValue> | undefined): string {
    if (!key) throw validation('One or more parameter values were invalid: Missing the key');
    const parts = table.spec.keys.map((name) => {
      const value = key[name];
      if (value?.S === undefined) throw validation('The provided key element does not match the schema');
      return value.S;
    });
    return JSON.stringify(parts);
  }

  private checkKeyOnly(table: Table, key: Record<string, AttributeValue> | undefined): void {
    const extra = Object.keys(key ?? {}).filter((name) => !table.spec.keys.includes(name));
    if (extra.length > 0) throw validation('The provided key element does not match the schema');
  }

  private expressions(input: {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, AttributeValue>;
  }): ExpressionContext {
    if (input.ExpressionAttributeValues && Object.keys(input.ExpressionAttributeValues).length === 0) {
      throw validation('ExpressionAttributeValues must not be empty');
    }
    if (input.ExpressionAttributeNames && Object.keys(input.ExpressionAttributeNames).length === 0) {
      throw validation('ExpressionAttributeNames must not be empty');
    }
    return new ExpressionContext(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
  }

  /** Runs `body`, turning expression errors into the service errors AWS answers. */
  private guard<T>(body: () => T): T {
    try {
      return body();
    } catch (error) {
      if (error instanceof ExpressionValidationError) throw validation(error.message);
      if (error instanceof UnsupportedExpressionError) throw new UnmodelledCommandError(error.message);
      throw error;
    }
  }

  private rejectUnmodelled(input: object, fields: readonly string[], command: string): void {
    for (const field of fields) {
      if ((input as Record<string, unknown>)[field] !== undefined) {
        throw new UnmodelledCommandError(`the sandbox's DynamoDB does not model ${command}.${field}`);
      }
    }
  }

  getItem(input: GetItemCommandInput): Output<GetItemCommandOutput> {
    this.rejectUnmodelled(
      input,
      ['ProjectionExpression', 'AttributesToGet', 'ExpressionAttributeNames'],
      'GetItem',
    );
    const table = this.table(input.TableName);
    this.checkKeyOnly(table, input.Key);
    const item = table.items.get(this.keyOf(table, input.Key));
    return item ? { Item: structuredClone(item) } : {};
  }

  /**
   * BatchGetItem as AWS documents it (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html):
   * at most 100 keys in all, no key twice in one table (ValidationException), items found returned
   * in no particular order, keys not found simply absent. The sandbox serves every key at once, so
   * UnprocessedKeys is always empty (AWS may return some: the caller must retry them).
   */
  batchGetItem(input: BatchGetItemCommandInput): Output<BatchGetItemCommandOutput> {
    const requests = Object.entries(input.RequestItems ?? {});
    const total = requests.reduce((sum, [, request]) => sum + (request.Keys?.length ?? 0), 0);
    if (requests.length === 0 || total === 0)
      throw validation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint");
    if (total > 100) throw validation('Too many items requested for the BatchGetItem call');
    const responses: Record<string, Record<string, AttributeValue>[]> = {};
    for (const [name, request] of requests) {
      this.rejectUnmodelled(
        request,
        ['ProjectionExpression', 'AttributesToGet', 'ExpressionAttributeNames'],
        'BatchGetItem',
      );
      const table = this.table(name);
      const seen = new Set<string>();
      const items: Record<string, AttributeValue>[] = [];
      for (const key of request.Keys ?? []) {
        this.checkKeyOnly(table, key);
        const id = this.keyOf(table, key);
        if (seen.has(id)) throw validation('Provided list of item keys contains duplicates');
        seen.add(id);
        const item = table.items.get(id);
        if (item) items.push(structuredClone(item));
      }
      responses[name] = items;
    }
    return { Responses: responses, UnprocessedKeys: {} };
  }

  putItem(input: PutItemCommandInput): Output<PutItemCommandOutput> {
    this.rejectUnmodelled(input, ['Expected', 'ConditionalOperator'], 'PutItem');
    return this.guard(() => {
      const table = this.table(input.TableName);
      if (!input.Item) throw validation('One or more parameter values were invalid: Missing the item');
      const key = this.keyOf(table, input.Item);
      const context = this.expressions(input);
      const condition = parseConditionOf(input, context);
      context.checkAllUsed();
      const current = table.items.get(key);
      checkCondition(condition, current, input);
      table.items.set(key, structuredClone(input.Item));
      if (input.ReturnValues === 'ALL_OLD' && current) return { Attributes: structuredClone(current) };
      if (input.ReturnValues && input.ReturnValues !== 'NONE' && input.ReturnValues !== 'ALL_OLD') {
        throw validation(`ReturnValues ${input.ReturnValues} is not valid for PutItem`);
      }
      return {};
    });
  }

  updateItem(input: UpdateItemCommandInput): Output<UpdateItemCommandOutput> {
    this.rejectUnmodelled(input, ['AttributeUpdates', 'Expected', 'ConditionalOperator'], 'UpdateItem');
    return this.guard(() => {
      const table = this.table(input.TableName);
      this.checkKeyOnly(table, input.Key);
      const key = this.keyOf(table, input.Key);
      if (!input.UpdateExpression) throw new UnmodelledCommandError('UpdateItem without an UpdateExpression');
      const context = this.expressions(input);
      const condition = parseConditionOf(input, context);
      const update = parseUpdate(input.UpdateExpression, context);
      context.checkAllUsed();
      const current = table.items.get(key);
      checkCondition(condition, current, input);
      const base: Item = current ?? { ...structuredClone(input.Key ?? {}) };
      const next = update.apply(base, table.spec.keys);
      table.items.set(key, next);
      switch (input.ReturnValues ?? 'NONE') {
        case 'NONE':
          return {};
        case 'ALL_NEW':
          return { Attributes: structuredClone(next) };
        case 'ALL_OLD':
          return current ? { Attributes: structuredClone(current) } : {};
        case 'UPDATED_NEW':
          return { Attributes: changedAttributes(current, next, next) };
        case 'UPDATED_OLD':
          return current ? { Attributes: changedAttributes(current, next, current) } : {};
        default:
          throw validation(`ReturnValues ${input.ReturnValues} is not valid`);
      }
    });
  }

  deleteItem(input: DeleteItemCommandInput): Output<DeleteItemCommandOutput> {
    this.rejectUnmodelled(input, ['Expected', 'ConditionalOperator'], 'DeleteItem');
    return this.guard(() => {
      const table = this.table(input.TableName);
      this.checkKeyOnly(table, input.Key);
      const key = this.keyOf(table, input.Key);
      const context = this.expressions(input);
      const condition = parseConditionOf(input, context);
      context.checkAllUsed();
      const current = table.items.get(key);
      checkCondition(condition, current, input);
      table.items.delete(key);
      if (input.ReturnValues === 'ALL_OLD' && current) return { Attributes: structuredClone(current) };
      return {};
    });
  }
}

function changedAttributes(before: Item | undefined, after: Item, from: Item): Item {
  const names = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  const changed: Item = {};
  for (const name of names) {
    const a = before?.[name];
    const b = after[name];
    if (JSON.stringify(a) !== JSON.stringify(b) && from[name] !== undefined) {
      changed[name] = structuredClone(from[name] as AttributeValue);
    }
  }
  return changed;
}
