/**
 * Lambda's own failures as Step Functions reports them (throttles, service errors, timeouts),
 * and "applied, response lost" calls, over the real ASL and handlers in the sandbox world.
 */
import { readFileSync } from 'node:fs';
import { AssociateAddressCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultSchema } from '#sandbox/world/faults.ts';
import type { ExecutionRecord } from '#sandbox/world/sfn.ts';
import { HOME_REGION, World } from '#sandbox/world/world.ts';

const config = JSON.parse(
  readFileSync(new URL('../../scenarios/configs/one-link.json', import.meta.url), 'utf8'),
);
const LINK = 'home-to-west';
const EIP = 'eipalloc-0a1b2c3d4e5f60718';

let world: World | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

async function quietWorld(remoteHosts = true): Promise<World> {
  world = await World.create({ config, monitor: false, alarms: false, remoteHosts });
  return world;
}

async function remediate(w: World): Promise<ExecutionRecord> {
  const execution = w.startRemediation({ link: LINK, trigger: 'alarm' });
  await w.runUntilDone(execution);
  return execution;
}

const failures = (execution: ExecutionRecord, state: string) =>
  execution.history.filter((e) => e.state === state && e.error !== undefined).map((e) => e.error);

describe('Lambda faults as Step Functions sees them', () => {
  it("retries a throttled invoke with the ASL's Lambda.TooManyRequestsException retrier, the handler not run", async () => {
    // Prepare
    const w = await quietWorld();
    w.inject({ type: 'ipsec-dies', link: LINK });
    w.inject({ type: 'lambda-throttled', function: 'remediation-guard', state: 'AcquireLock', calls: 1 });
    // Act
    const execution = await remediate(w);
    // Assess
    expect(execution.history.filter((e) => e.type === 'StateRetried').map((e) => e.state)).toContain(
      'AcquireLock',
    );
    expect(failures(execution, 'AcquireLock')).toContain('Lambda.TooManyRequestsException');
    // The throttled invocation made no AWS call: one lock write, by the retry.
    expect(
      w.calls.filter({ command: 'PutItem', executionName: execution.name, functionId: 'remediation-guard' }),
    ).toHaveLength(1);
    expect(execution.status).toBe('SUCCEEDED');
  });

  it('reports a function that runs out its timeout as Lambda.Unknown after that timeout, in simulated time', async () => {
    // Prepare
    const w = await quietWorld();
    w.inject({ type: 'ipsec-dies', link: LINK });
    w.inject({ type: 'lambda-timeout', function: 'gateway', state: 'DescribeGateway' });
    // Act
    const execution = await remediate(w);
    // Assess: the gateway's 50 s timeout is below the Task's 60 s, so Lambda's error is what shows.
    expect(failures(execution, 'DescribeGateway')).toContain('Lambda.Unknown');
    expect(execution.status).toBe('FAILED');
    expect((execution.stopDate ?? 0) - execution.startDate).toBeGreaterThanOrEqual(50_000);
  });

  it('fails the Task with States.Timeout when its TimeoutSeconds is shorter than the function timeout', async () => {
    // Prepare
    const w = await quietWorld();
    w.inject({ type: 'lambda-timeout', function: 'check-tunnel', state: 'CheckTunnels' });
    const before = w.clock.now();
    // Act
    const monitor = w.startMonitorExecution();
    await w.runUntilDone(monitor);
    // Assess: CheckTunnels' 20 s beats check-tunnel's 30 s.
    expect(failures(monitor, 'CheckTunnels')).toContain('States.Timeout');
    expect(monitor.status).toBe('FAILED');
    expect((monitor.stopDate ?? 0) - before).toBeGreaterThanOrEqual(20_000);
    expect((monitor.stopDate ?? 0) - before).toBeLessThan(30_000);
  });

  it('validates the Lambda faults, naming the field', () => {
    expect(
      FaultSchema.safeParse({ type: 'lambda-error', function: 'gateway', error: 'Oops' }).error?.issues[0],
    ).toMatchObject({ path: ['error'] });
    expect(
      FaultSchema.safeParse({ type: 'lambda-throttled', function: 'Gateway!' }).error?.issues[0],
    ).toMatchObject({ path: ['function'] });
    expect(
      FaultSchema.safeParse({ type: 'response-lost', service: 'ec2', as: 'lost' }).error?.issues[0],
    ).toMatchObject({ path: ['as'] });
  });
});

describe('applied, response lost', () => {
  it('applies the association, shows the caller a 5xx, and the SDK retries the call', async () => {
    // Prepare
    const w = await quietWorld(false);
    const eni = [...w.ec2.enis.keys()][0] ?? '';
    const address = w.ec2.addresses.get(EIP);
    if (address) {
      address.eniId = null;
      address.associationId = null;
    }
    w.inject({ type: 'response-lost', service: 'ec2', commands: ['AssociateAddress'], calls: 1 });
    // Act
    const out = await new EC2Client({ region: HOME_REGION, maxAttempts: 2 }).send(
      new AssociateAddressCommand({ AllocationId: EIP, NetworkInterfaceId: eni, AllowReassociation: true }),
    );
    // Assess
    const calls = w.calls.filter({ command: 'AssociateAddress' });
    expect(calls.map((c) => c.error?.name ?? 'ok')).toEqual(['Unavailable', 'ok']);
    expect(out.$metadata.attempts).toBe(2);
    expect(w.ec2.addresses.get(EIP)?.eniId).toBe(eni);
  });

  it('loses only mutating responses when no commands are named', async () => {
    // Prepare
    const w = await quietWorld(false);
    w.inject({ type: 'response-lost', service: 'ec2', as: 'timeout', calls: 1 });
    const client = new EC2Client({ region: HOME_REGION, maxAttempts: 1 });
    // Act
    const { DescribeAddressesCommand } = await import('@aws-sdk/client-ec2');
    await client.send(new DescribeAddressesCommand({ AllocationIds: [EIP] }));
    const eni = w.ec2.addresses.get(EIP)?.eniId ?? '';
    const lost = client.send(
      new AssociateAddressCommand({ AllocationId: EIP, NetworkInterfaceId: eni, AllowReassociation: true }),
    );
    // Assess
    await expect(lost).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(w.calls.filter({ failed: true }).map((c) => c.command)).toEqual(['AssociateAddress']);
  });
});
