/**
 * Thin DynamoDB calls for the incident item (`incident#<link>`) and the notification claims
 * (`notified#<execution>#<outcome>`) in the lock table. Every write is conditional, so two writers
 * (the Monitor's branch and the alarm rule; a retried notify) converge instead of clobbering.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { AwsThrottledError, rethrowAs, VpnGuardError } from './errors.ts';
import {
  CLOSED_RETENTION_SECONDS,
  type IncidentRecord,
  incidentKey,
  OPEN_RETENTION_SECONDS,
} from './incident.ts';

/** The incident item or a notification claim could not be read or written (other than throttling). */
export class IncidentTableError extends VpnGuardError {
  override readonly name = 'IncidentTableError';
}

/** Where the items live (the lock table). */
export interface IncidentTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

type Options = { signal: AbortSignal };
type Item = Record<string, AttributeValue>;

const fail = (context: string) => (error: unknown) =>
  rethrowAs(error, (message, options) => new IncidentTableError(message, options), context);

function conditionFailed(error: unknown): { item: Item | undefined } | null {
  if (!(error instanceof Error) || error.name !== 'ConditionalCheckFailedException') return null;
  return { item: (error as { Item?: Item }).Item };
}

const s = (item: Item | undefined, key: string): string | null => item?.[key]?.S ?? null;
const n = (item: Item | undefined, key: string): number | null => {
  const value = item?.[key]?.N;
  return value === undefined ? null : Number(value);
};
const epoch = (at: Date): number => Math.floor(at.getTime() / 1000);

/** The stored item as a record; null when it is missing or not an incident item. */
export function toIncident(item: Item | undefined): IncidentRecord | null {
  const link = s(item, 'link');
  const startedAt = s(item, 'startedAt');
  const status = s(item, 'status');
  const attempt = n(item, 'attempt');
  if (!link || !startedAt || (status !== 'open' && status !== 'closed') || !attempt) return null;
  return {
    link,
    startedAt,
    status,
    attempt,
    executionName: s(item, 'executionName') ?? '',
    attemptStartedAt: s(item, 'attemptStartedAt') ?? startedAt,
    lastOutcome: s(item, 'lastOutcome'),
    lastOutcomeAttempt: n(item, 'lastOutcomeAttempt'),
    lastOutcomeAt: s(item, 'lastOutcomeAt'),
    closedAt: s(item, 'closedAt'),
    closedBy: s(item, 'closedBy'),
    pagedStartAt: s(item, 'pagedStartAt'),
    pagedEndAt: s(item, 'pagedEndAt'),
    healthyTicks: n(item, 'healthyTicks') ?? 0,
  };
}

/** The link's incident item, read consistently; null when there is none. */
export async function getIncident(
  table: IncidentTable,
  link: string,
  { signal }: Options,
): Promise<IncidentRecord | null> {
  const pk = incidentKey(link);
  const output = await table.client
    .send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }), {
      abortSignal: signal,
    })
    .catch(fail(`GetItem ${pk}`));
  return toIncident(output.Item);
}

/** BatchGetItem's limit of keys per call (API_BatchGetItem). */
const BATCH_GET_KEYS = 100;
/** Rounds of UnprocessedKeys re-requested before giving up as throttled. */
const UNPROCESSED_ROUNDS = 3;

/**
 * The incident items of `links`, read consistently with one BatchGetItem per 100 links (a Monitor
 * tick's reads stay a few calls at hundreds of links); links without an incident are absent. Keys
 * DynamoDB leaves unprocessed (throughput) are asked again, then reported as throttling.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
 */
export async function getIncidents(
  table: IncidentTable,
  links: readonly string[],
  { signal }: Options,
): Promise<Map<string, IncidentRecord>> {
  const byKey = new Map([...new Set(links)].map((link) => [incidentKey(link), link]));
  const found = new Map<string, IncidentRecord>();
  const keys = [...byKey.keys()];
  for (let start = 0; start < keys.length; start += BATCH_GET_KEYS) {
    let pending: Item[] = keys.slice(start, start + BATCH_GET_KEYS).map((pk) => ({ pk: { S: pk } }));
    for (let round = 0; pending.length > 0; round++) {
      if (round > UNPROCESSED_ROUNDS) {
        throw new AwsThrottledError(`BatchGetItem left ${pending.length} incident key(s) unprocessed`);
      }
      const output = await table.client
        .send(
          new BatchGetItemCommand({
            RequestItems: { [table.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
          { abortSignal: signal },
        )
        .catch(fail(`BatchGetItem of ${pending.length} incident(s)`));
      for (const item of output.Responses?.[table.tableName] ?? []) {
        const link = byKey.get(item.pk?.S ?? '');
        const incident = toIncident(item);
        if (link && incident) found.set(link, incident);
      }
      pending = output.UnprocessedKeys?.[table.tableName]?.Keys ?? [];
    }
  }
  return found;
}

/**
 * Opens a new incident (attempt 1) unless one is open. `opened: false` returns the open one, which
 * the other trigger opened first: the caller then follows it.
 */
export async function openIncident(
  table: IncidentTable,
  request: { link: string; startedAt: string; executionName: string; now: Date },
  { signal }: Options,
): Promise<{ opened: true; incident: IncidentRecord } | { opened: false; current: IncidentRecord | null }> {
  const pk = incidentKey(request.link);
  const nowIso = request.now.toISOString();
  const item: Item = {
    pk: { S: pk },
    link: { S: request.link },
    startedAt: { S: request.startedAt },
    status: { S: 'open' },
    attempt: { N: '1' },
    executionName: { S: request.executionName },
    attemptStartedAt: { S: nowIso },
    healthyTicks: { N: '0' },
    expiresAt: { N: String(epoch(request.now) + OPEN_RETENTION_SECONDS) },
  };
  try {
    await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk) OR #status = :closed',
        ExpressionAttributeNames: { '#pk': 'pk', '#status': 'status' },
        ExpressionAttributeValues: { ':closed': { S: 'closed' } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal: signal },
    );
    const incident = toIncident(item);
    if (!incident) throw new IncidentTableError(`PutItem ${pk}: wrote an item that is not an incident`);
    return { opened: true, incident };
  } catch (error) {
    const failed = conditionFailed(error);
    if (failed) return { opened: false, current: toIncident(failed.item) };
    return fail(`PutItem ${pk}`)(error);
  }
}

/** A conditional UpdateItem on the incident item; false when the condition failed. */
async function updateIncident(
  table: IncidentTable,
  link: string,
  update: {
    sets: Record<string, AttributeValue>;
    condition: string;
    values: Item;
    names?: Record<string, string>;
  },
  { signal }: Options,
): Promise<boolean> {
  const pk = incidentKey(link);
  const names: Record<string, string> = { ...update.names };
  const values: Item = { ...update.values };
  const sets = Object.entries(update.sets).map(([key, value]) => {
    names[`#${key}`] = key;
    values[`:set_${key}`] = value;
    return `#${key} = :set_${key}`;
  });
  try {
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: pk } },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: update.condition,
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

const SAME_OPEN_INCIDENT = '#startedAt = :startedAt AND #status = :open';
const sameOpen = (startedAt: string): { names: Record<string, string>; values: Item } => ({
  names: { '#startedAt': 'startedAt', '#status': 'status' },
  values: { ':startedAt': { S: startedAt }, ':open': { S: 'open' } },
});

/**
 * Moves the open incident from attempt `from` to `from + 1`. False when someone else moved it (or
 * it closed): the caller re-reads and follows.
 */
export async function advanceAttempt(
  table: IncidentTable,
  request: { link: string; startedAt: string; from: number; executionName: string; now: Date },
  options: Options,
): Promise<boolean> {
  const base = sameOpen(request.startedAt);
  return updateIncident(
    table,
    request.link,
    {
      sets: {
        attempt: { N: String(request.from + 1) },
        executionName: { S: request.executionName },
        attemptStartedAt: { S: request.now.toISOString() },
        healthyTicks: { N: '0' },
        expiresAt: { N: String(epoch(request.now) + OPEN_RETENTION_SECONDS) },
      },
      condition: `${SAME_OPEN_INCIDENT} AND #attempt = :from`,
      names: { ...base.names, '#attempt': 'attempt' },
      values: { ...base.values, ':from': { N: String(request.from) } },
    },
    options,
  );
}

/**
 * Records how an attempt ended; a closing outcome (recovered, recovered by itself) closes the
 * incident. Only the incident the execution belongs to (same start) and only while it is open.
 */
export async function recordOutcome(
  table: IncidentTable,
  request: { link: string; startedAt: string; attempt: number; outcome: string; close: boolean; now: Date },
  options: Options,
): Promise<boolean> {
  const base = sameOpen(request.startedAt);
  const nowIso = request.now.toISOString();
  const sets: Record<string, AttributeValue> = {
    lastOutcome: { S: request.outcome },
    lastOutcomeAttempt: { N: String(request.attempt) },
    lastOutcomeAt: { S: nowIso },
  };
  if (request.close) {
    sets.status = { S: 'closed' };
    sets.closedAt = { S: nowIso };
    sets.closedBy = { S: request.outcome };
    sets.expiresAt = { N: String(epoch(request.now) + CLOSED_RETENTION_SECONDS) };
  }
  return updateIncident(
    table,
    request.link,
    { sets, condition: SAME_OPEN_INCIDENT, names: base.names, values: base.values },
    options,
  );
}

/** A healthy Monitor tick: counts it, and closes the incident when `close` (enough of them). */
export async function recordHealthyTick(
  table: IncidentTable,
  request: { link: string; startedAt: string; healthyTicks: number; close: boolean; now: Date },
  options: Options,
): Promise<boolean> {
  const base = sameOpen(request.startedAt);
  const sets: Record<string, AttributeValue> = { healthyTicks: { N: String(request.healthyTicks) } };
  if (request.close) {
    const nowIso = request.now.toISOString();
    sets.status = { S: 'closed' };
    sets.closedAt = { S: nowIso };
    sets.closedBy = { S: 'healthy-ticks' };
    sets.expiresAt = { N: String(epoch(request.now) + CLOSED_RETENTION_SECONDS) };
  }
  return updateIncident(
    table,
    request.link,
    { sets, condition: SAME_OPEN_INCIDENT, names: base.names, values: base.values },
    options,
  );
}

/**
 * Claims the incident's start or end page. `claimed` true: this caller sends it as a page.
 * `already`: it went out before (send to the log audience). `untracked`: the item is missing or
 * belongs to another incident (the caller decides; notify pages rather than stay silent).
 */
export async function claimPage(
  table: IncidentTable,
  request: { link: string; startedAt: string; which: 'start' | 'end'; now: Date },
  { signal }: Options,
): Promise<'claimed' | 'already' | 'untracked'> {
  const pk = incidentKey(request.link);
  const attribute = request.which === 'start' ? 'pagedStartAt' : 'pagedEndAt';
  try {
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: pk } },
        UpdateExpression: 'SET #paged = :now',
        ConditionExpression: '#startedAt = :startedAt AND attribute_not_exists(#paged)',
        ExpressionAttributeNames: { '#paged': attribute, '#startedAt': 'startedAt' },
        ExpressionAttributeValues: {
          ':now': { S: request.now.toISOString() },
          ':startedAt': { S: request.startedAt },
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal: signal },
    );
    return 'claimed';
  } catch (error) {
    const failed = conditionFailed(error);
    if (!failed) return fail(`UpdateItem ${pk}`)(error);
    // The condition failed: the same incident already had this page, or the item is another's.
    return s(failed.item, 'startedAt') === request.startedAt ? 'already' : 'untracked';
  }
}

/** Partition key of the claim of one notification (an execution's outcome). */
export const notifiedKey = (executionName: string, outcome: string): string =>
  `notified#${executionName}#${outcome}`;

/** How long a notification claim is kept: far longer than any retry of the same Notify state. */
const CLAIM_RETENTION_SECONDS = 7 * 24 * 3600;

/**
 * Claims the notification `key` before publishing. `sent` returns the earlier message: a retried
 * Notify must not publish twice. A claim left `sending` (the publisher died before confirming) is
 * taken again: a duplicate is better than a lost message.
 */
export async function claimNotification(
  table: IncidentTable,
  request: { key: string; now: Date },
  { signal }: Options,
): Promise<
  | { claimed: true }
  | { claimed: false; messageId: string | null; audience: string | null; subject: string | null }
> {
  try {
    await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: {
          pk: { S: request.key },
          state: { S: 'sending' },
          claimedAt: { S: request.now.toISOString() },
          expiresAt: { N: String(epoch(request.now) + CLAIM_RETENTION_SECONDS) },
        },
        ConditionExpression: 'attribute_not_exists(#pk) OR #state = :sending',
        ExpressionAttributeNames: { '#pk': 'pk', '#state': 'state' },
        ExpressionAttributeValues: { ':sending': { S: 'sending' } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal: signal },
    );
    return { claimed: true };
  } catch (error) {
    const failed = conditionFailed(error);
    if (!failed) return fail(`PutItem ${request.key}`)(error);
    return {
      claimed: false,
      messageId: s(failed.item, 'messageId'),
      audience: s(failed.item, 'audience'),
      subject: s(failed.item, 'subject'),
    };
  }
}

/** Marks the claimed notification sent, with what was published. */
export async function confirmNotification(
  table: IncidentTable,
  request: { key: string; messageId: string | null; audience: string; subject: string; now: Date },
  { signal }: Options,
): Promise<void> {
  const item: Item = {
    pk: { S: request.key },
    state: { S: 'sent' },
    sentAt: { S: request.now.toISOString() },
    audience: { S: request.audience },
    subject: { S: request.subject },
    expiresAt: { N: String(epoch(request.now) + CLAIM_RETENTION_SECONDS) },
  };
  if (request.messageId) item.messageId = { S: request.messageId };
  await table.client
    .send(new PutItemCommand({ TableName: table.tableName, Item: item }), { abortSignal: signal })
    .catch(fail(`PutItem ${request.key}`));
}
