/**
 * start-remediation: the incident decision (pure, a table of cases), the tick's own verdict per link,
 * and the handler: both triggers converge on one incident and one execution per attempt, named
 * `<link>-alarm-<incident start>[-aN]`, with byte-identical input.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BudgetRecord } from '#functions/remediation-guard/budget.ts';
import { decideStart, START_GRACE_SECONDS } from '#functions/start-remediation/decide.ts';
import { handler } from '#functions/start-remediation/handler.ts';
import { observeTick } from '#functions/start-remediation/observe.ts';
import type { Observation, StartResult } from '#functions/start-remediation/types.ts';
import { localLambdaContext } from '#sandbox/local-sfn.ts';
import { attemptInput, type IncidentRecord } from '#shared/incident.ts';
import { logger } from '#shared/powertools.ts';
import { twoLinkConfig } from '../fixtures/config.ts';

const NOW = new Date('2026-11-26T12:10:00.000Z');
const SETTINGS = { cooldownMinutes: 15, maxAttemptsPer24h: 3, verifySamples: 2 };
const ARN = 'arn:aws:states:us-east-1:111111111111:execution:vpn-guard-remediation:';

const failing = (at = NOW, source: Observation['source'] = 'monitor'): Observation => ({
  link: 'home-to-west',
  state: 'failing',
  at,
  source,
  severity: 'outage',
  detail: '0 of 2 tunnels up (min 1)',
});
const healthy: Observation = { ...failing(), state: 'healthy', severity: null, detail: 'ok' };

const incident = (overrides: Partial<IncidentRecord> = {}): IncidentRecord => ({
  link: 'home-to-west',
  startedAt: '2026-11-26T12:01:05Z',
  status: 'open',
  attempt: 1,
  executionName: 'home-to-west-alarm-20261126T120105',
  attemptStartedAt: '2026-11-26T12:01:06.000Z',
  lastOutcome: null,
  lastOutcomeAttempt: null,
  lastOutcomeAt: null,
  closedAt: null,
  closedBy: null,
  pagedStartAt: null,
  pagedEndAt: null,
  healthyTicks: 0,
  ...overrides,
});
const lock = (holderName: string, expiresInSeconds: number) => ({
  holder: `${ARN}${holderName}`,
  acquiredAt: null,
  expiresAt: Math.floor(NOW.getTime() / 1000) + expiresInSeconds,
});
const budget = (
  attempts: string[],
  lastCompletedAt: string | null,
  failedUnchanged: string[] = [],
): BudgetRecord => ({
  attempts: Object.fromEntries(attempts.map((at, i) => [`exec-${i}`, at])),
  lastCompletedAt,
  lastExecutionId: null,
  failedUnchanged: Object.fromEntries(failedUnchanged.map((at, i) => [`failed-${i}`, at])),
  version: 1,
});

describe('decideStart', () => {
  const cases: {
    name: string;
    observation: Observation;
    items: Parameters<typeof decideStart>[1];
    expected: Record<string, unknown>;
  }[] = [
    {
      name: 'a failing link without an incident opens one, named after the observation',
      observation: failing(new Date('2026-11-26T12:10:00.700Z')),
      items: { incident: null, lock: null, budget: null },
      expected: {
        kind: 'open',
        startedAt: '2026-11-26T12:10:00Z',
        executionName: 'home-to-west-alarm-20261126T121000',
      },
    },
    {
      name: 'a closed incident does not hold back a new failure',
      observation: failing(),
      items: {
        incident: incident({ status: 'closed', closedAt: '2026-11-26T12:05:00.000Z' }),
        lock: null,
        budget: null,
      },
      expected: { kind: 'open', executionName: 'home-to-west-alarm-20261126T121000' },
    },
    {
      name: "an alarm that entered ALARM before the incident closed is that incident's echo",
      observation: failing(new Date('2026-11-26T12:04:00.000Z'), 'alarm'),
      items: {
        incident: incident({ status: 'closed', closedAt: '2026-11-26T12:05:00.000Z' }),
        lock: null,
        budget: null,
      },
      expected: { kind: 'none' },
    },
    {
      name: 'a live lock held by another run does not keep the incident from opening (its attempt says who holds it)',
      observation: failing(),
      items: { incident: null, lock: lock('home-to-west-alarm-20261126T100000', 900), budget: null },
      expected: { kind: 'open' },
    },
    {
      name: 'the attempt holding the lock is running: its start is re-sent (converges)',
      observation: failing(),
      items: { incident: incident(), lock: lock('home-to-west-alarm-20261126T120105', 600), budget: null },
      expected: {
        kind: 'start',
        attempt: 1,
        running: true,
        executionName: 'home-to-west-alarm-20261126T120105',
      },
    },
    {
      name: 'a just-started attempt without its lock yet is not taken for ended',
      observation: failing(),
      items: {
        incident: incident({
          attemptStartedAt: new Date(NOW.getTime() - (START_GRACE_SECONDS - 10) * 1000).toISOString(),
        }),
        lock: null,
        budget: null,
      },
      expected: { kind: 'start', attempt: 1, running: false },
    },
    {
      name: 'an attempt that ended unrecovered is followed by the next one when nothing holds it back',
      observation: failing(),
      items: {
        incident: incident({ lastOutcome: 'skipped-locked', lastOutcomeAttempt: 1 }),
        lock: null,
        budget: budget(['2026-11-26T12:01:07.000Z'], null),
      },
      expected: {
        kind: 'advance',
        from: 1,
        attempt: 2,
        executionName: 'home-to-west-alarm-20261126T120105-a2',
      },
    },
    {
      name: 'a crashed attempt (no outcome, its lock expired) is followed at once',
      observation: failing(),
      items: { incident: incident(), lock: lock('home-to-west-alarm-20261126T120105', -5), budget: null },
      expected: { kind: 'advance', attempt: 2 },
    },
    {
      name: 'another execution holding a live lock makes the next attempt wait',
      observation: failing(),
      items: {
        incident: incident({ lastOutcome: 'skipped-locked', lastOutcomeAttempt: 1 }),
        lock: lock('home-to-west-drill-20261126T120000', 300),
        budget: null,
      },
      expected: { kind: 'wait' },
    },
    {
      name: 'the cooldown makes the next attempt wait until it ends',
      observation: failing(),
      items: {
        incident: incident({ lastOutcome: 'failed', lastOutcomeAttempt: 1 }),
        lock: null,
        budget: budget(['2026-11-26T12:01:07.000Z'], '2026-11-26T12:08:00.000Z'),
      },
      expected: { kind: 'wait', detail: expect.stringContaining('cooldown until 2026-11-26T12:23:00.000Z') },
    },
    {
      name: 'runs that failed before changing anything back off, doubling: the third waits 4 min after the last',
      observation: failing(),
      items: {
        incident: incident({ attempt: 3, lastOutcome: 'failed', lastOutcomeAttempt: 3 }),
        lock: null,
        budget: budget([], null, [
          '2026-11-26T12:02:00.000Z',
          '2026-11-26T12:04:00.000Z',
          '2026-11-26T12:07:00.000Z',
        ]),
      },
      expected: {
        kind: 'wait',
        detail: expect.stringContaining(
          '3 run(s) in a row failed before changing anything: back-off until 2026-11-26T12:11:00.000Z',
        ),
      },
    },
    {
      name: 'once the back-off has passed, the next attempt starts',
      observation: failing(),
      items: {
        incident: incident({ lastOutcome: 'failed', lastOutcomeAttempt: 1 }),
        lock: null,
        budget: budget([], null, ['2026-11-26T12:02:00.000Z']),
      },
      expected: { kind: 'advance', attempt: 2 },
    },
    {
      name: 'after the cooldown the next attempt starts',
      observation: failing(),
      items: {
        incident: incident({ lastOutcome: 'failed', lastOutcomeAttempt: 1 }),
        lock: null,
        budget: budget(['2026-11-26T11:40:00.000Z'], '2026-11-26T11:50:00.000Z'),
      },
      expected: { kind: 'advance', attempt: 2 },
    },
    {
      name: 'a spent budget still gets one attempt, which reports "exhausted"',
      observation: failing(),
      items: {
        incident: incident({ lastOutcome: 'failed', lastOutcomeAttempt: 1 }),
        lock: null,
        budget: budget(
          ['2026-11-26T11:00:00.000Z', '2026-11-26T11:30:00.000Z', '2026-11-26T12:01:07.000Z'],
          '2026-11-26T12:05:00.000Z',
        ),
      },
      expected: { kind: 'advance', attempt: 2 },
    },
    {
      name: 'once "exhausted" was reported, no tick starts another attempt until the budget frees',
      observation: failing(),
      items: {
        incident: incident({ attempt: 2, lastOutcome: 'exhausted', lastOutcomeAttempt: 2 }),
        lock: null,
        budget: budget(
          ['2026-11-26T11:00:00.000Z', '2026-11-26T11:30:00.000Z', '2026-11-26T12:01:07.000Z'],
          null,
        ),
      },
      expected: { kind: 'wait', detail: expect.stringContaining('possible after 2026-11-27T11:00:00.000Z') },
    },
    {
      name: 'a healthy tick with no remediation running counts towards closing',
      observation: healthy,
      items: {
        incident: incident({ lastOutcome: 'failed', lastOutcomeAttempt: 1 }),
        lock: null,
        budget: null,
      },
      expected: { kind: 'healthy-tick', healthyTicks: 1, close: false },
    },
    {
      name: 'verifySamples healthy ticks in a row close the incident',
      observation: healthy,
      items: { incident: incident({ healthyTicks: 1 }), lock: null, budget: null },
      expected: { kind: 'healthy-tick', healthyTicks: 2, close: true },
    },
    {
      name: 'a healthy tick while a remediation holds the lock leaves the closing to it',
      observation: healthy,
      items: { incident: incident(), lock: lock('home-to-west-alarm-20261126T120105', 600), budget: null },
      expected: { kind: 'none' },
    },
    {
      name: 'a collection failure is no evidence either way',
      observation: { ...failing(), state: 'unknown', severity: null },
      items: { incident: null, lock: null, budget: null },
      expected: { kind: 'none' },
    },
  ];
  it.each(cases)('$name', ({ observation, items, expected }) => {
    expect(decideStart(observation, items, SETTINGS, NOW)).toMatchObject(expected);
  });
});

describe('observeTick', () => {
  const config = twoLinkConfig();
  const tunnels = (west: number, eu: number | null) => ({
    ok: true as const,
    result: {
      checkedAt: '2026-11-26T12:10:02.000Z',
      links: [
        { link: 'home-to-west', ok: true, tunnelsUp: west, tunnelsTotal: 2, minTunnelsUp: 1 },
        eu === null
          ? { link: 'home-to-eu', ok: false, error: { name: 'Throttling', message: 'slow down' } }
          : { link: 'home-to-eu', ok: true, tunnelsUp: eu, tunnelsTotal: 4, minTunnelsUp: 2 },
      ],
    },
  });
  // ping-canary's figures for a link whose targets answered (true) or not: counts, not targets.
  const figures = (link: string, answered: boolean[]) => ({
    link,
    success: answered.filter(Boolean).length >= 1,
    targetsUp: answered.filter(Boolean).length,
    targetsTotal: answered.length,
    minTargetsUp: 1,
    latencyMs: null,
    minMs: null,
    maxMs: null,
    lossPercent: 0,
  });
  const canary = (westAnswered: boolean[], euAnswered: boolean[]) => [
    {
      ok: true as const,
      result: {
        links: [figures('home-to-west', westAnswered), figures('home-to-eu', euAnswered)],
      },
    },
  ];

  it('fails a link below minTunnelsUp or whose canary fails, at the check time', () => {
    const [west, eu] = observeTick(config.links, tunnels(0, 4), canary([true], [false]), NOW);
    expect(west).toMatchObject({
      state: 'failing',
      severity: 'outage',
      at: new Date('2026-11-26T12:10:02.000Z'),
    });
    expect(eu).toMatchObject({ state: 'failing', severity: 'outage' });
  });

  it('says how many of the targets answered, from the figures', () => {
    const [west] = observeTick(config.links, tunnels(2, 4), canary([true, false, true], [true]), NOW);
    expect(west?.detail).toBe('2 of 2 tunnels up (min 1); canary 2 of 3 targets answered (min 1)');
  });

  it('calls fewer than all tunnels but at least minTunnelsUp "redundancy lost": healthy, never an outage', () => {
    const [west, eu] = observeTick(config.links, tunnels(1, 3), canary([true], [true]), NOW);
    expect(west).toMatchObject({ state: 'healthy', severity: 'redundancy-lost' });
    expect(eu).toMatchObject({ state: 'healthy', severity: 'redundancy-lost' });
  });

  it('leaves a link whose tunnels could not be read, with a passing canary, unknown', () => {
    const [, eu] = observeTick(config.links, tunnels(2, null), canary([true], [true]), NOW);
    expect(eu).toMatchObject({ state: 'unknown', severity: null });
  });

  it('leaves a link whose canary could not run, with tunnels up, unknown', () => {
    const failed = [{ ok: false as const, links: ['home-to-west', 'home-to-eu'], error: 'Lambda.Unknown' }];
    const [west] = observeTick(config.links, tunnels(2, 4), failed, NOW);
    expect(west).toMatchObject({ state: 'unknown' });
  });
});

describe('the start-remediation handler', () => {
  const dynamo = mockClient(DynamoDBClient);
  const sfn = mockClient(SFNClient);
  mockClient(CloudWatchClient);
  const context = localLambdaContext('arn:aws:lambda:us-east-1:111111111111:function:start-remediation');
  const invoke = (event: unknown) => handler(event, context) as Promise<StartResult>;
  /** The per-link decisions the handler logged ("incident decision"): the Monitor is given none. */
  const loggedDecisions = (info: { mock: { calls: unknown[][] } }) =>
    info.mock.calls
      .filter(([message]) => message === 'incident decision')
      .map(([, decision]) => decision as StartResult['decisions'][number]);
  const STATE_MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:vpn-guard-remediation';
  const monitorEvent = {
    source: 'monitor',
    tunnels: {
      ok: true,
      result: {
        checkedAt: '2026-11-26T12:01:05.300Z',
        links: [
          { link: 'home-to-west', ok: true, tunnelsUp: 0, tunnelsTotal: 2, minTunnelsUp: 1 },
          { link: 'home-to-eu', ok: true, tunnelsUp: 4, tunnelsTotal: 4, minTunnelsUp: 2 },
        ],
      },
    },
    canaries: [
      {
        ok: true,
        result: {
          links: [
            { link: 'home-to-west', success: false, targetsUp: 0, targetsTotal: 1, minTargetsUp: 1 },
            { link: 'home-to-eu', success: true, targetsUp: 1, targetsTotal: 1, minTargetsUp: 1 },
          ],
        },
      },
    ],
  };

  beforeEach(() => {
    dynamo.reset();
    sfn.reset();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-26T12:01:06.000Z'));
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(twoLinkConfig()));
    vi.stubEnv('REMEDIATION_STATE_MACHINE_ARN', STATE_MACHINE);
    vi.stubEnv('LOCK_TABLE_NAME', 'locks');
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("opens the failing link's incident (conditional put) and starts attempt 1 from the tick's own figures", async () => {
    // Prepare
    dynamo.on(GetItemCommand).resolves({});
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { locks: [] }, UnprocessedKeys: {} });
    dynamo.on(PutItemCommand).resolves({});
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${ARN}home-to-west-alarm-20261126T120105`, startDate: new Date() });
    const info = vi.spyOn(logger, 'info');
    // Act
    const result = await invoke(monitorEvent);
    // Assess: the Monitor gets only what it keeps (its task result counts toward 256 KiB).
    expect(Object.keys(result).sort()).toEqual(['already', 'started']);
    const [put] = dynamo.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(put?.ConditionExpression).toBe('attribute_not_exists(#pk) OR #status = :closed');
    expect(put?.Item?.pk).toEqual({ S: 'incident#home-to-west' });
    expect(put?.Item?.startedAt).toEqual({ S: '2026-11-26T12:01:05Z' });
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      {
        stateMachineArn: STATE_MACHINE,
        name: 'home-to-west-alarm-20261126T120105',
        input: attemptInput('home-to-west', '2026-11-26T12:01:05Z', 1),
      },
    ]);
    expect(loggedDecisions(info).map((d) => [d.link, d.decision])).toEqual([
      ['home-to-west', 'opened'],
      ['home-to-eu', 'none'],
    ]);
    // The tick's incidents in one consistent batch read; the gates only for the failing link.
    expect(dynamo.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input)).toEqual([
      {
        RequestItems: {
          locks: {
            Keys: [{ pk: { S: 'incident#home-to-west' } }, { pk: { S: 'incident#home-to-eu' } }],
            ConsistentRead: true,
          },
        },
      },
    ]);
    expect(dynamo.commandCalls(GetItemCommand).map((c) => c.args[0].input.Key?.pk?.S)).toEqual([
      'lock#home-to-west',
      'budget#home-to-west',
    ]);
  });

  it('follows the incident the other trigger opened first, with the same name and input', async () => {
    // Prepare: the alarm rule's put loses the race to the Monitor's.
    const opened = {
      pk: { S: 'incident#home-to-west' },
      link: { S: 'home-to-west' },
      startedAt: { S: '2026-11-26T12:01:05Z' },
      status: { S: 'open' },
      attempt: { N: '1' },
      executionName: { S: 'home-to-west-alarm-20261126T120105' },
      attemptStartedAt: { S: '2026-11-26T12:01:05.900Z' },
      healthyTicks: { N: '0' },
    };
    dynamo
      .on(GetItemCommand, { Key: { pk: { S: 'incident#home-to-west' } } })
      .resolvesOnce({})
      .resolves({ Item: opened });
    dynamo.on(GetItemCommand, { Key: { pk: { S: 'lock#home-to-west' } } }).resolves({});
    dynamo.on(GetItemCommand, { Key: { pk: { S: 'budget#home-to-west' } } }).resolves({});
    dynamo.on(PutItemCommand).rejects(
      Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
        Item: opened,
      }),
    );
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    // Act
    const result = await invoke({
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      detail: {
        alarmName: 'VpnGuard-home-to-west-Outage',
        state: { value: 'ALARM', timestamp: '2026-11-26T12:01:00.000+0000' },
      },
    });
    // Assess
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      {
        stateMachineArn: STATE_MACHINE,
        name: 'home-to-west-alarm-20261126T120105',
        input: attemptInput('home-to-west', '2026-11-26T12:01:05Z', 1),
      },
    ]);
    expect(result.already).toEqual([
      { link: 'home-to-west', executionName: 'home-to-west-alarm-20261126T120105' },
    ]);
  });

  it('moves an ended attempt to the next with a conditional update, and names it -a2', async () => {
    // Prepare
    vi.setSystemTime(new Date('2026-11-26T12:30:00.000Z'));
    dynamo.on(GetItemCommand).resolves({});
    const incident = {
      pk: { S: 'incident#home-to-west' },
      link: { S: 'home-to-west' },
      startedAt: { S: '2026-11-26T12:01:05Z' },
      status: { S: 'open' },
      attempt: { N: '1' },
      executionName: { S: 'home-to-west-alarm-20261126T120105' },
      attemptStartedAt: { S: '2026-11-26T12:01:06.000Z' },
      lastOutcome: { S: 'failed' },
      lastOutcomeAttempt: { N: '1' },
    };
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { locks: [incident] }, UnprocessedKeys: {} });
    dynamo.on(GetItemCommand, { Key: { pk: { S: 'incident#home-to-west' } } }).resolves({
      Item: {
        link: { S: 'home-to-west' },
        startedAt: { S: '2026-11-26T12:01:05Z' },
        status: { S: 'open' },
        attempt: { N: '1' },
        executionName: { S: 'home-to-west-alarm-20261126T120105' },
        attemptStartedAt: { S: '2026-11-26T12:01:06.000Z' },
        lastOutcome: { S: 'failed' },
        lastOutcomeAttempt: { N: '1' },
      },
    });
    dynamo.on(UpdateItemCommand).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}x`, startDate: new Date() });
    const info = vi.spyOn(logger, 'info');
    // Act
    const result = await invoke({
      ...monitorEvent,
      tunnels: {
        ...monitorEvent.tunnels,
        result: { ...monitorEvent.tunnels.result, checkedAt: '2026-11-26T12:30:00.000Z' },
      },
    });
    // Assess
    const [update] = dynamo.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(update?.ConditionExpression).toBe(
      '#startedAt = :startedAt AND #status = :open AND #attempt = :from',
    );
    expect(update?.ExpressionAttributeValues?.[':from']).toEqual({ N: '1' });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toBe(
      'home-to-west-alarm-20261126T120105-a2',
    );
    expect(result.started.map((s) => s.executionName)).toEqual(['home-to-west-alarm-20261126T120105-a2']);
    expect(loggedDecisions(info)[0]).toMatchObject({ decision: 'advanced', attempt: 2 });
  });
});
