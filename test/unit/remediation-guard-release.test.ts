/**
 * release-lock never fails a run for the table: after a few tries the lock falls back to its expiry,
 * the failure is logged and reported in the notes, and the run goes on to say how it ended.
 */
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { releaseLock } from '#functions/remediation-guard/actions.ts';
import { parseConfig } from '#shared/config.ts';
import { exampleConfigJson } from '../fixtures/config.ts';

const dynamo = mockClient(DynamoDBClient);
const table = { client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 'locks' };
const ME = 'arn:aws:states:us-east-1:111111111111:execution:m:home-to-west-alarm-20261126T120105';
const settings = parseConfig(exampleConfigJson(), 'test').remediation;
const request = {
  link: 'home-to-west',
  executionId: ME,
  dryRun: false,
  attempt: 'completed' as const,
  now: new Date(),
  settings,
};
const options = { signal: new AbortController().signal, sleep: async () => {} };
const unavailable = Object.assign(new Error('We currently do not have sufficient capacity'), {
  name: 'InternalServerError',
});

describe('release-lock when DynamoDB fails', () => {
  beforeEach(() => dynamo.reset());

  it('falls back to the expiry instead of throwing, and says so', async () => {
    // Prepare
    dynamo.on(GetItemCommand).rejects(unavailable);
    dynamo.on(DeleteItemCommand).rejects(unavailable);
    // Act
    const outcome = await releaseLock(table, request, options);
    // Assess
    expect(outcome.released).toBe(false);
    expect(outcome.budget).toBe('unchanged');
    expect(outcome.releaseError).toContain('InternalServerError');
    expect(outcome.notes[0]).toMatch(/falls back to its expiry/);
    expect(dynamo.commandCalls(DeleteItemCommand)).toHaveLength(3);
  });

  it('succeeds on a later try when the failure was brief', async () => {
    dynamo.on(GetItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    dynamo.on(DeleteItemCommand).rejectsOnce(unavailable).resolves({});
    const outcome = await releaseLock(table, request, options);
    expect(outcome).toMatchObject({ released: true, releaseError: null });
  });
});
