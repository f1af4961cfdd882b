/**
 * The sandbox's EventBridge → Lambda asynchronous delivery (sandbox/world/async-delivery.ts), on
 * the Remediation watch's status rule and notify, with the delivery settings the deployed template
 * gives them: Lambda's retries, its event age, the on-failure destination, the function's role,
 * and the RemediationEndUndelivered alarm on the queue's AWS/SQS metric.
 */
import { describe, expect, it } from 'vitest';
import { localFunctionArn } from '#infra/asl.ts';
import type { World } from '#sandbox/world/world.ts';
import { ACCOUNT, HOME_REGION } from '#sandbox/world/world.ts';
import { LINK, quietWorlds } from './support.ts';

const world = quietWorlds();
const NOTIFY = localFunctionArn('notify', HOME_REGION, ACCOUNT);
const ALARM = 'VpnGuard-RemediationEndUndelivered';

/** The queue the template names as notify's on-failure destination. */
function destinationOf(w: World): string {
  const queue = w.iam.deployment().asyncInvokeConfigs.get(NOTIFY)?.onFailure;
  if (!queue) throw new Error('the template gives notify no on-failure destination');
  return queue;
}

/** Starts a drill and stops it (StopExecution) a few seconds later: it ends ABORTED. */
async function abortedDrill(w: World): Promise<number> {
  w.startRemediation({ link: LINK, trigger: 'drill' });
  await w.advance(5);
  w.inject({ type: 'execution-aborted', link: LINK });
  await w.advance(0);
  return w.elapsedSeconds();
}

/** Seconds since the start at which notify failed on the status change. */
function notifyFailures(w: World): number[] {
  return w.events
    .filter((e) => e.message.startsWith('notify failed on the status change'))
    .map((e) => Math.round((e.at - w.start) / 1000));
}

describe('the status rule → notify, asynchronously', () => {
  it('retries a failing notify twice (a minute, then two minutes later), then sends the invocation record to its on-failure destination, and the alarm pages until the message is deleted', async () => {
    // Prepare
    const w = await world({ alarms: true });
    w.inject({ type: 'api-unavailable', service: 'sns', commands: ['Publish'], for: 240 });

    // Act
    const ended = await abortedDrill(w);
    await w.advance(300);

    // Assess
    const queue = destinationOf(w);
    expect(notifyFailures(w)).toEqual([ended, ended + 60, ended + 180]);
    const messages = w.sqs.messages(queue);
    expect(messages).toHaveLength(1);
    const record = JSON.parse(messages[0]?.body ?? '{}');
    expect(record.requestContext).toMatchObject({
      functionArn: `${NOTIFY}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(record.requestPayload.detail.status).toBe('ABORTED');
    expect(record.responsePayload.errorType).toBe('NotificationError');
    expect(w.cloudwatch.stateOf(ALARM)).toBe('ALARM');
    expect(
      w.sns.messages
        .filter((m) => m.alarm?.name === ALARM && m.alarm.state === 'ALARM')
        .map((m) => m.deliveries.map((d) => d.protocol)),
    ).toEqual([['email']]);

    // Act: the operator reads the message and deletes it
    expect(w.sqs.deleteAll(queue)).toBe(1);
    await w.advance(120);

    // Assess
    expect(w.cloudwatch.stateOf(ALARM)).toBe('OK');
  });

  it('a run that times out while every notify invocation times out too: Lambda records the end after its retries and the alarm e-mails', async () => {
    // Prepare: the machine's top-level TimeoutSeconds shortened to 60 s, so the drill ends TIMED_OUT.
    const w = await world({ alarms: true });
    w.sfn.addMachine({ ...w.sfn.machine('remediation'), timeoutSeconds: 60 });
    w.inject({ type: 'lambda-timeout', function: 'notify', for: 900 });

    // Act
    w.startRemediation({ link: LINK, trigger: 'drill' });
    await w.advance(600);

    // Assess
    expect(w.remediations().map((r) => r.status)).toEqual(['TIMED_OUT']);
    const [message] = w.sqs.messages(destinationOf(w));
    const record = JSON.parse(message?.body ?? '{}');
    expect(record.requestPayload.detail.status).toBe('TIMED_OUT');
    expect(record.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    expect(record.responsePayload.errorType).toBe('Lambda.Unknown');
    expect(w.cloudwatch.stateOf(ALARM)).toBe('ALARM');
    expect(w.sns.messages.filter((m) => m.alarm?.name === ALARM && m.alarm.state === 'ALARM')).toHaveLength(
      1,
    );
  });

  it("retries a throttled notify with a backoff until the event is the template's MaximumEventAgeInSeconds (an hour) old, then records it EventAgeExceeded", async () => {
    // Prepare
    const w = await world();
    w.inject({ type: 'lambda-throttled', function: 'notify', for: 2 * 3600 });

    // Act
    const ended = await abortedDrill(w);
    await w.advance(3700);

    // Assess
    const [message] = w.sqs.messages(destinationOf(w));
    const record = JSON.parse(message?.body ?? '{}');
    expect(record.requestContext.condition).toBe('EventAgeExceeded');
    expect(record.requestContext.approximateInvokeCount).toBeGreaterThan(3);
    expect(((message?.sentAt ?? 0) - w.start) / 1000 - ended).toBeLessThanOrEqual(3600);
    expect(((message?.sentAt ?? 0) - w.start) / 1000 - ended).toBeGreaterThan(3600 - 300);
  });

  it('without sqs:SendMessage on the queue, Lambda cannot send the record (DestinationDeliveryFailures): the end is lost and the alarm stays OK', async () => {
    // Prepare
    const w = await world({
      alarms: true,
      iam: { revoke: [{ principal: 'notify', action: 'sqs:SendMessage' }] },
    });
    w.inject({ type: 'api-unavailable', service: 'sns', commands: ['Publish'], for: 240 });

    // Act
    await abortedDrill(w);
    await w.advance(300);

    // Assess
    expect(w.sqs.messages(destinationOf(w))).toEqual([]);
    expect(w.events.some((e) => e.message.includes('DestinationDeliveryFailures'))).toBe(true);
    expect(w.cloudwatch.stateOf(ALARM)).toBe('OK');
  });

  it('without an on-failure destination in the template, Lambda discards the event after its retries', async () => {
    // Prepare
    const w = await world({ alarms: true });
    const queue = destinationOf(w);
    w.iam.deployment().asyncInvokeConfigs.delete(NOTIFY);
    w.inject({ type: 'api-unavailable', service: 'sns', commands: ['Publish'], for: 240 });

    // Act
    const ended = await abortedDrill(w);
    await w.advance(300);

    // Assess
    expect(notifyFailures(w)).toEqual([ended, ended + 60, ended + 180]);
    expect(w.events.some((e) => e.message.startsWith('Lambda discarded the status change'))).toBe(true);
    expect(w.sqs.messages(queue)).toEqual([]);
    expect(w.cloudwatch.stateOf(ALARM)).toBe('OK');
  });

  it('delivers the end on a retry when notify recovers in time: one "aborted" message, nothing in the queue', async () => {
    // Prepare
    const w = await world({ alarms: true });
    w.inject({ type: 'api-unavailable', service: 'sns', commands: ['Publish'], for: 90 });

    // Act
    await abortedDrill(w);
    await w.advance(300);

    // Assess
    expect(notifyFailures(w)).toHaveLength(2);
    expect(w.sns.messages.filter((m) => m.kind === 'aborted')).toHaveLength(1);
    expect(w.sqs.messages(destinationOf(w))).toEqual([]);
    expect(w.cloudwatch.stateOf(ALARM)).toBe('OK');
  });
});
