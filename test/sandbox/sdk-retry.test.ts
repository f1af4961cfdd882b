/**
 * The SDK clients' own retries at the sandbox's seam: the product's clients (functions/shared/
 * clients.ts, maxAttempts 2, standard mode) retry what their strategy classifies as retryable,
 * waiting the backoff in simulated time, and every attempt reaches the world as a call.
 */
import { readFileSync } from 'node:fs';
import { DescribeAddressesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { realNow } from '#sandbox/clock.ts';
import { HOME_REGION, World } from '#sandbox/world/world.ts';
import { ec2Client } from '#shared/clients.ts';

const config = JSON.parse(
  readFileSync(new URL('../../scenarios/configs/one-link.json', import.meta.url), 'utf8'),
);
const EIP = 'eipalloc-0a1b2c3d4e5f60718';

let world: World | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

async function quietWorld(): Promise<World> {
  world = await World.create({ config, monitor: false, alarms: false, remoteHosts: false });
  return world;
}

/** Sends inside a clock activity (as a handler does) while the world runs, returning what it settled to. */
async function sendInWorld<T>(w: World, send: () => Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const outcome = w.clock.spawn('test caller', async () => {
    try {
      return { value: await send() };
    } catch (error) {
      return { error };
    }
  });
  await w.advance(120);
  return outcome;
}

const describeAddresses = () => new DescribeAddressesCommand({ AllocationIds: [EIP] });

describe('SDK retries at the seam', () => {
  it("retries a throttled call once and succeeds on the client's 2nd attempt, the backoff in simulated time", async () => {
    // Prepare
    const w = await quietWorld();
    w.inject({ type: 'api-throttled', service: 'ec2', commands: ['DescribeAddresses'], calls: 1 });
    const began = realNow();
    // Act
    const { value, error } = await sendInWorld(w, () => ec2Client(HOME_REGION).send(describeAddresses()));
    // Assess
    expect(error).toBeUndefined();
    expect(value?.Addresses?.[0]?.AllocationId).toBe(EIP);
    expect(value?.$metadata.attempts).toBe(2);
    const calls = w.calls.filter({ command: 'DescribeAddresses' });
    expect(calls.map((c) => c.error?.name ?? 'ok')).toEqual(['RequestLimitExceeded', 'ok']);
    const [first, second] = calls;
    const delay = (second?.at ?? 0) - (first?.at ?? 0);
    // The standard strategy's throttling backoff: full jitter below its 1 s base for the first retry.
    expect(delay).toBe(value?.$metadata.totalRetryDelay);
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThan(1000);
    expect(realNow() - began).toBeLessThan(delay + 5000);
  });

  it('lets two calls of one handler back off at once, each retried in simulated time (no stall)', async () => {
    // Prepare: the next two calls are throttled, as when a handler's Promise.all meets a throttle.
    const w = await quietWorld();
    w.inject({ type: 'api-throttled', service: 'ec2', commands: ['DescribeAddresses'], calls: 2 });
    const client = ec2Client(HOME_REGION);
    // Act: both calls run inside one tracked invocation, as the gateway's observe does.
    const { value, error } = await sendInWorld(w, () =>
      w.clock.track('handler with two calls', () =>
        Promise.all([client.send(describeAddresses()), client.send(describeAddresses())]),
      ),
    );
    // Assess
    expect(error).toBeUndefined();
    expect(value?.map((out) => out.$metadata.attempts)).toEqual([2, 2]);
    const calls = w.calls.filter({ command: 'DescribeAddresses' });
    expect(calls.map((c) => c.error?.name ?? 'ok').sort()).toEqual([
      'RequestLimitExceeded',
      'RequestLimitExceeded',
      'ok',
      'ok',
    ]);
  });

  it('lets a handler end while one of its calls still backs off: the late retry does not hold the clock (no stall)', async () => {
    // Prepare: one call is throttled once (it backs off); its sibling fails at once, so the
    // handler's Promise.all rejects and the invocation ends before the retry.
    const w = await quietWorld();
    w.inject({ type: 'api-throttled', service: 'ec2', commands: ['DescribeAddresses'], calls: 1 });
    const client = ec2Client(HOME_REGION);
    // Act
    const { error } = await sendInWorld(w, () =>
      w.clock.track('handler that fails fast', () =>
        Promise.all([
          client.send(describeAddresses()),
          client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })),
        ]),
      ),
    );
    await w.advance(120);
    // Assess: the world runs on, the orphaned retry was still answered, nothing holds the clock.
    expect((error as Error).name).toBe('InvalidInstanceID.NotFound');
    expect(w.calls.filter({ command: 'DescribeAddresses' }).map((c) => c.error?.name ?? 'ok')).toEqual([
      'RequestLimitExceeded',
      'ok',
    ]);
    expect(w.clock.busy()).toEqual([]);
  });

  it('fails a persistently throttled call after maxAttempts (2) attempts, with the SDK metadata', async () => {
    // Prepare
    const w = await quietWorld();
    w.inject({ type: 'api-throttled', service: 'ec2', commands: ['DescribeAddresses'] });
    // Act
    const { error } = await sendInWorld(w, () => ec2Client(HOME_REGION).send(describeAddresses()));
    // Assess
    expect((error as Error).name).toBe('RequestLimitExceeded');
    expect((error as { $metadata: { attempts: number } }).$metadata.attempts).toBe(2);
    expect(w.calls.filter({ command: 'DescribeAddresses', failed: true })).toHaveLength(2);
  });

  it("honours the client's own maxAttempts: a client configured for 4 attempts makes 4", async () => {
    // Prepare
    const w = await quietWorld();
    w.inject({ type: 'api-unavailable', service: 'ec2', commands: ['DescribeAddresses'] });
    const client = new EC2Client({ region: HOME_REGION, maxAttempts: 4 });
    // Act
    const { error } = await sendInWorld(w, () => client.send(describeAddresses()));
    // Assess: a 503 is transient, retried until the attempts run out.
    expect((error as Error).name).toBe('Unavailable');
    const calls = w.calls.filter({ command: 'DescribeAddresses' });
    expect(calls).toHaveLength(4);
    expect((error as { $metadata: { attempts: number } }).$metadata.attempts).toBe(4);
    // The backoff grows (exponential with jitter), in simulated time.
    expect((calls.at(-1)?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThan(0);
  });

  it('does not retry a non-retryable error', async () => {
    // Prepare
    const w = await quietWorld();
    // Act
    const { error } = await sendInWorld(w, () =>
      ec2Client(HOME_REGION).send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    );
    // Assess
    expect((error as Error).name).toBe('InvalidInstanceID.NotFound');
    expect(w.calls.filter({ command: 'DescribeInstances' })).toHaveLength(1);
    expect((error as { $metadata: { attempts: number } }).$metadata.attempts).toBe(1);
  });

  it('repeats the same backoffs from run to run (seeded jitter)', async () => {
    const delays: number[] = [];
    for (let run = 0; run < 2; run++) {
      const w = await quietWorld();
      w.inject({ type: 'api-throttled', service: 'ec2', commands: ['DescribeAddresses'], calls: 1 });
      const { value } = await sendInWorld(w, () => ec2Client(HOME_REGION).send(describeAddresses()));
      delays.push(value?.$metadata.totalRetryDelay ?? -1);
      await w.dispose();
      world = undefined;
    }
    expect(delays[0]).toBe(delays[1]);
  });
});
