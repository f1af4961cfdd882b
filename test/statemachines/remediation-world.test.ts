/**
 * The real Remediation ASL, every Task bound to the real handler, run over the sandbox world (real
 * SDK clients intercepted, simulated time, a real TCP canary on loopback). Each case asserts the
 * path the execution took and the state the world was left in.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { lockKey } from '#functions/remediation-guard/lock.ts';
import { applyOverrides } from '#sandbox/scenario/load.ts';
import type { ExecutionRecord } from '#sandbox/world/sfn.ts';
import { LOCK_TABLE_NAME, World } from '#sandbox/world/world.ts';

const baseConfig = JSON.parse(
  readFileSync(new URL('../../scenarios/configs/one-link.json', import.meta.url), 'utf8'),
);
const LINK = 'home-to-west';
const EIP = 'eipalloc-0a1b2c3d4e5f60718';
const TABLES = ['rtb-0a1b2c3d4e5f60718', 'rtb-0b1c2d3e4f5a60718'];
const CIDR = '10.20.0.0/16';

let world: World | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

/** A world with no monitor and no alarms: only the remediations the test starts run. */
async function remediationWorld(overrides: object = {}): Promise<World> {
  world = await World.create({
    config: applyOverrides(baseConfig, overrides),
    monitor: false,
    alarms: false,
  });
  return world;
}

async function run(w: World, request: Parameters<World['startRemediation']>[0]): Promise<ExecutionRecord> {
  const execution = w.startRemediation(request);
  await w.runUntilDone(execution);
  return execution;
}

/** Where each configured route points, and whether AWS calls it active. */
function routes(w: World): { table: string; eni: string | null; state: string }[] {
  return TABLES.map((table) => {
    const route = w.ec2.routeTables.get(table)?.routes.find((r) => r.destination === CIDR);
    return {
      table,
      eni: route?.target.kind === 'eni' ? route.target.eniId : null,
      state: route ? w.ec2.routeState(route) : 'missing',
    };
  });
}

const gatewayMutations = (w: World, execution: ExecutionRecord) =>
  w.calls.filter({ service: ['ec2', 'autoscaling'], mutating: true, executionName: execution.name });

const outcome = (execution: ExecutionRecord) =>
  (execution.output as { outcome?: string } | undefined)?.outcome;

describe('Remediation machine over the sandbox world', () => {
  it("adopts the group's replacement of a dead gateway (terminating nothing), moves the Elastic IP, re-points every route and verifies before reporting recovered", async () => {
    // Prepare
    const w = await remediationWorld();
    const old = w.linkStatus(LINK).gatewayInstanceId;
    w.inject({ type: 'gateway-instance-dies', link: LINK });
    await w.advance(60);
    // Act
    const execution = await run(w, { link: LINK, trigger: 'alarm', reason: 'test' });
    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(outcome(execution)).toBe('recovered');
    expect(execution.path).toEqual(
      expect.arrayContaining([
        'ConfirmUnhealthy',
        'DescribeGateway',
        'DecideRung',
        'ConfigureInstance',
        'RepointRoutes',
        'VerifyRecovery',
        'Notify',
      ]),
    );
    expect(execution.path).not.toContain('NotifyFailure');
    expect(execution.path).not.toContain('ReplaceInstance');
    expect(w.calls.filter({ command: 'TerminateInstanceInAutoScalingGroup' })).toEqual([]);
    expect(execution.output).toMatchObject({ rung: 'adopt', rungs: ['adopt'] });
    const [replacement] = w.replacements(LINK);
    const instance = w.ec2.instances.get(replacement ?? '');
    expect(replacement).not.toBe(old);
    expect(w.ec2.holderOf(EIP)?.instanceId).toBe(replacement);
    expect(w.ec2.enis.get(instance?.eniId ?? '')?.sourceDestCheck).toBe(false);
    expect(routes(w)).toEqual(TABLES.map((table) => ({ table, eni: instance?.eniId, state: 'active' })));
    expect(w.linkStatus(LINK).healthy).toBe(true);
    expect(w.sns.messages.map((m) => m.kind)).toEqual(['started', 'recovered']);
    // The recovered message names the gateway the group replaced (from its activity history), not "?".
    expect(w.sns.messages[1]?.subject).toContain(`${old} -> ${replacement}`);
    expect(w.dynamodb.items(LOCK_TABLE_NAME).find((item) => item.pk?.S === lockKey(LINK))).toBeUndefined();
  });

  it('fails at DecideAfterWaiting by the deadline when no replacement ever gets InService, naming the instances, changing no route', async () => {
    const w = await remediationWorld();
    w.inject({ type: 'replacement-never-in-service', link: LINK });
    w.inject({ type: 'gateway-instance-dies', link: LINK });
    await w.advance(60);
    const before = routes(w);
    const execution = await run(w, { link: LINK, trigger: 'alarm' });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DeadlineExceededError');
    expect(execution.path).toEqual(
      expect.arrayContaining([
        'AwaitReplacement',
        'DecideAfterWaiting',
        'DecideAfterWaitingFailed',
        'NotifyFailure',
        'ReleaseLockAfterFailure',
      ]),
    );
    expect(execution.cause).toContain('Pending');
    expect(execution.path).not.toContain('ConfigureInstance');
    expect(((execution.stopDate ?? 0) - execution.startDate) / 60_000).toBeGreaterThanOrEqual(
      w.config.remediation.replacementTimeoutMinutes,
    );
    expect(routes(w)).toEqual(before);
    expect(w.calls.filter({ command: ['ReplaceRoute', 'CreateRoute', 'AssociateAddress'] })).toEqual([]);
    expect(w.sns.messages.map((m) => m.kind)).toEqual(['started', 'failed']);
  });

  it('fails at VerifyRecovery after the verify deadline when the replacement is InService but its tunnels never come up', async () => {
    const w = await remediationWorld();
    w.inject({ type: 'replacement-tunnels-never-up', link: LINK });
    w.inject({ type: 'gateway-instance-dies', link: LINK });
    await w.advance(60);
    const execution = await run(w, { link: LINK, trigger: 'alarm' });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DeadlineExceededError');
    expect(execution.path).toEqual(
      expect.arrayContaining(['RepointRoutes', 'VerifyRecovery', 'VerifyRecoveryFailed', 'NotifyFailure']),
    );
    const repointed = w.calls.filter({ command: 'ReplaceRoute', executionName: execution.name });
    const lastRepoint = Math.max(...repointed.map((call) => call.at));
    expect(((execution.stopDate ?? 0) - lastRepoint) / 60_000).toBeGreaterThanOrEqual(
      w.config.remediation.verifyTimeoutMinutes,
    );
    expect(w.linkStatus(LINK).tunnelsUp).toBe(0);
    expect(w.sns.messages.map((m) => m.kind)).toEqual(['started', 'failed']);
  });

  it('retries throttled steps with backoff and still recovers', async () => {
    const w = await remediationWorld();
    w.inject({ type: 'gateway-instance-dies', link: LINK });
    await w.advance(60);
    // Auto Scaling: the next two calls are throttled; observe makes its Auto Scaling reads at once,
    // so each is retried by its own SDK client and the state never sees the throttle.
    w.inject({ type: 'api-throttled', service: 'autoscaling', calls: 2 });
    // AssociateAddress twice: both of the SDK client's attempts fail, so the state's Retry runs.
    w.inject({
      type: 'api-throttled',
      service: 'ec2',
      region: 'home',
      commands: ['AssociateAddress'],
      calls: 2,
    });
    const execution = await run(w, { link: LINK, trigger: 'alarm' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(outcome(execution)).toBe('recovered');
    const retried = execution.history
      .filter((event) => event.type === 'StateRetried')
      .map((event) => event.state);
    expect(retried).toEqual(['ConfigureInstance']);
    expect(w.calls.filter({ error: 'Throttling' })).toHaveLength(2);
    expect(w.calls.filter({ error: 'RequestLimitExceeded' })).toHaveLength(2);
    expect(w.linkStatus(LINK).healthy).toBe(true);
  });

  it('skips without touching anything while another execution holds the lock', async () => {
    const w = await remediationWorld();
    w.inject({
      type: 'lock-held',
      link: LINK,
      holder: 'arn:aws:states:us-east-1:111111111111:execution:vpn-guard-remediation:other',
    });
    w.inject({ type: 'ipsec-dies', link: LINK });
    await w.advance(60);
    const execution = await run(w, { link: LINK, trigger: 'alarm' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(outcome(execution)).toBe('skipped-locked');
    expect(execution.path).toEqual(
      expect.arrayContaining(['AcquireLock', 'IsLockAcquired', 'NotifySkippedLocked']),
    );
    expect(execution.path).not.toContain('CheckBudget');
    expect(gatewayMutations(w, execution)).toEqual([]);
    expect(w.dynamodb.items(LOCK_TABLE_NAME).find((item) => item.pk?.S === lockKey(LINK))?.holder?.S).toMatch(
      /:other$/,
    );
  });

  it('skips an alarm-triggered run inside the cooldown after a recovery', async () => {
    const w = await remediationWorld();
    const first = await run(w, { link: LINK, trigger: 'drill' });
    expect(outcome(first)).toBe('recovered');
    w.inject({ type: 'ipsec-dies', link: LINK });
    await w.advance(60);
    const second = await run(w, { link: LINK, trigger: 'alarm' });
    expect(outcome(second)).toBe('skipped-cooldown');
    expect(second.path).toEqual(
      expect.arrayContaining(['CheckBudget', 'NotifySkippedCooldown', 'ReleaseLockAfterSkip']),
    );
    expect(gatewayMutations(w, second)).toEqual([]);
    expect(w.replacements(LINK)).toHaveLength(1);
  });

  it('stops and pages a human once the attempt budget is spent', async () => {
    const w = await remediationWorld({ remediation: { maxAttemptsPer24h: 1 } });
    expect(outcome(await run(w, { link: LINK, trigger: 'drill' }))).toBe('recovered');
    const second = await run(w, { link: LINK, trigger: 'manual' });
    expect(outcome(second)).toBe('exhausted');
    expect(second.path).toContain('NotifyExhausted');
    expect(gatewayMutations(w, second)).toEqual([]);
    expect(w.sns.messages.map((m) => m.kind)).toEqual(['started', 'recovered', 'exhausted']);
  });

  it('walks every step of a dry run, checks its EC2 writes with DryRun, and makes zero mutating calls to EC2 and Auto Scaling', async () => {
    const w = await remediationWorld();
    const old = w.linkStatus(LINK).gatewayInstanceId;
    const execution = await run(w, { link: LINK, trigger: 'drill', dryRun: true });
    expect(outcome(execution)).toBe('dry-run-plan');
    expect(execution.path).toEqual(
      expect.arrayContaining([
        'AcquireLock',
        'CheckBudget',
        'DescribeGateway',
        'ReplaceInstance',
        'ConfigureInstance',
        'RepointRoutes',
        'Notify',
      ]),
    );
    expect(
      w.calls.filter({
        service: ['ec2', 'autoscaling'],
        mutating: true,
        executionName: execution.name,
      }),
    ).toEqual([]);
    // Every EC2 write of the plan was asked with DryRun, and AWS (the IAM-checked world) allowed it.
    const report = execution.output as { plan?: string[] };
    expect(report.plan?.filter((line) => line.startsWith('Permission ec2:'))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Permission ec2:AssociateAddress .*: allowed \(DryRun\)$/),
        expect.stringMatching(/^Permission ec2:ReplaceRoute .*: allowed \(DryRun\)$/),
      ]),
    );
    expect(report.plan).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/autoscaling:TerminateInstanceInAutoScalingGroup.*unverified/),
      ]),
    );
    expect(w.linkStatus(LINK).gatewayInstanceId).toBe(old);
    expect(w.replacements(LINK)).toEqual([]);
  });

  it('fails at ValidateInput on bad input with zero AWS calls', async () => {
    const w = await remediationWorld();
    const execution = await run(w, { input: { link: LINK, trigger: 'sometimes', dryRun: false } });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidInputError');
    expect(execution.cause).toMatch(/trigger/);
    expect(execution.path).toEqual(['ValidateInput', 'RejectInput']);
    expect(w.calls.filter({ executionName: execution.name })).toEqual([]);
    expect(w.sns.messages).toEqual([]);
  });

  it('reports precisely the route table that could not be updated, after updating the others', async () => {
    const w = await remediationWorld();
    w.inject({ type: 'route-update-fails', link: LINK, table: 1 });
    w.inject({ type: 'gateway-instance-dies', link: LINK });
    await w.advance(60);
    const execution = await run(w, { link: LINK, trigger: 'alarm' });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('GatewayUpdateError');
    expect(execution.cause).toContain(`${TABLES[1]} ${CIDR}`);
    expect(execution.cause).toContain('UnauthorizedOperation');
    expect(execution.path).toEqual(
      expect.arrayContaining(['RepointRoutes', 'RepointRoutesFailed', 'NotifyFailure']),
    );
    const [first, second] = routes(w);
    expect(first?.state).toBe('active');
    expect(second?.state).toBe('blackhole');
    expect(w.sns.messages.map((m) => m.kind)).toEqual(['started', 'failed']);
  });

  it('runs one remediation when the same episode is triggered again during the run', async () => {
    const w = await remediationWorld();
    w.inject({ type: 'gateway-instance-dies', link: LINK });
    await w.advance(60);
    const name = `${LINK}-alarm-20261126T120100`;
    const input = {
      link: LINK,
      trigger: 'alarm' as const,
      reason: 'Unhealthy alarm in ALARM since 2026-11-26T12:01:00Z',
    };
    const first = w.startRemediation({ ...input, name });
    await w.advance(60);
    const again = w.startRemediation({ ...input, name });
    await w.runUntilDone(first);
    expect(again).toBe(first);
    expect(w.remediations()).toHaveLength(1);
    expect(outcome(first)).toBe('recovered');
    expect(w.replacements(LINK)).toHaveLength(1);
  });
});
