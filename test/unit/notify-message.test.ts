/** The remediation report and its notification text: one per outcome, phone first, record last. */
import { describe, expect, it } from 'vitest';
import { describeStepError, formatDuration } from '#functions/notify/format.ts';
import { consoleUrl, MAX_SMS, MAX_SUBJECT, renderNotification } from '#functions/notify/message.ts';
import { buildReport, type NotifyOutcome } from '#functions/notify/report.ts';
import { type RemediationState, readState } from '#functions/notify/state.ts';

const EXECUTION =
  'arn:aws:states:us-east-1:111111111111:execution:vpn-guard-remediation:home-to-west-alarm-20261126T115800';
const NOW = new Date('2026-11-26T12:05:00.000Z');
const OLD = 'i-0a1b2c3d4e5f60718';
const NEW = 'i-0f9e8d7c6b5a49382';
const NEW_ENI = 'eni-0f9e8d7c6b5a49382';

const context = (dryRun = false) => ({
  link: 'home-to-west',
  trigger: 'alarm' as const,
  dryRun,
  reason: 'Unhealthy alarm in ALARM since 2026-11-26T11:58:00Z',
  executionId: EXECUTION,
  executionName: 'home-to-west-alarm-20261126T115800',
  startedAt: '2026-11-26T12:00:00.000Z',
});

/** The state document of a run that got all the way through. */
function fullState(dryRun = false): RemediationState {
  return readState({
    context: context(dryRun),
    lock: { decision: 'acquired', holder: EXECUTION, notes: ['Lock: acquired'] },
    budget: {
      decision: 'proceed',
      attemptsInWindow: 1,
      maxAttemptsPer24h: 3,
      cooldownUntil: null,
      nextAttemptAt: null,
      notes: ['Budget: recorded attempt 1 of 3'],
    },
    health: { notes: ['Health before replacing: unhealthy'] },
    before: { instanceId: OLD, elasticIp: { publicIp: '203.0.113.10' }, notes: ['Before: ...'] },
    replace: {
      action: dryRun ? 'would-terminate' : 'terminated',
      oldInstanceId: OLD,
      notes: ['Replace: terminated'],
    },
    replacement: { newInstanceId: dryRun ? null : NEW, notes: ['Wait: replacement InService'] },
    configure: {
      instanceId: dryRun ? null : NEW,
      sourceDestCheck: { action: dryRun ? 'would-disable' : 'disabled' },
      elasticIp: { publicIp: '203.0.113.10', action: dryRun ? 'would-associate' : 'associated' },
      notes: ['Configure: done'],
    },
    repoint: {
      routes: [
        {
          routeTableId: 'rtb-0a1b2c3d4e5f60718',
          destinationCidrBlock: '10.20.0.0/16',
          from: { target: OLD, state: 'blackhole' },
          to: { networkInterfaceId: NEW_ENI },
          action: 'replace',
        },
        {
          routeTableId: 'rtb-0b1c2d3e4f5a60718',
          destinationCidrBlock: '10.20.0.0/16',
          from: { target: NEW_ENI, state: 'active' },
          to: { networkInterfaceId: NEW_ENI },
          action: 'unchanged',
        },
      ],
      notes: ['Route ...'],
    },
    verify: { timeToRecoverSeconds: dryRun ? null : 252, notes: ['Verified'] },
  });
}

const render = (outcome: NotifyOutcome, state: RemediationState) => {
  const { report, details } = buildReport(outcome, state, NOW);
  return { report, details, message: renderNotification(report, details, 'VpnGuard') };
};

describe('buildReport', () => {
  it('reports a recovery with the old and new instance, the Elastic IP, every route and the time to recover', () => {
    const { report } = render('recovered', fullState());
    expect(report).toEqual({
      outcome: 'recovered',
      link: 'home-to-west',
      trigger: 'alarm',
      dryRun: false,
      executionName: 'home-to-west-alarm-20261126T115800',
      startedAt: '2026-11-26T12:00:00.000Z',
      finishedAt: NOW.toISOString(),
      timeToRecoverSeconds: 252,
      oldInstanceId: OLD,
      newInstanceId: NEW,
      elasticIp: '203.0.113.10',
      routes: fullState().repoint?.routes,
      plan: [],
      reason: 'Unhealthy alarm in ALARM since 2026-11-26T11:58:00Z',
      rung: null,
      rungs: [],
    });
  });

  it('turns a dry run into its plan: every note, and the count of changes a real run would make', () => {
    const { report, details } = render('recovered', fullState(true));
    expect(report.outcome).toBe('dry-run-plan');
    expect(report.plan).toEqual([
      'Lock: acquired',
      'Budget: recorded attempt 1 of 3',
      'Health before replacing: unhealthy',
      'Before: ...',
      'Replace: terminated',
      'Wait: replacement InService',
      'Configure: done',
      'Route ...',
      'Verified',
    ]);
    expect(details.plannedChanges).toBe(4);
    expect(report.timeToRecoverSeconds).toBeNull();
  });

  it('names the failed state and the cause of a failure, whatever was reached before it', () => {
    const state = readState({
      context: context(),
      before: { instanceId: OLD, elasticIp: { publicIp: '203.0.113.10' }, notes: [] },
      failure: { failedState: 'AwaitReplacement', attempt: 'completed' },
      error: {
        Error: 'DeadlineExceededError',
        Cause: JSON.stringify({
          errorType: 'DeadlineExceededError',
          errorMessage: 'no InService replacement after 10 min',
          trace: [],
        }),
      },
    });
    const { report, details } = render('failed', state);
    expect(report).toMatchObject({
      outcome: 'failed',
      oldInstanceId: OLD,
      newInstanceId: null,
      timeToRecoverSeconds: null,
      routes: [],
    });
    expect(details.failure).toEqual({
      state: 'AwaitReplacement',
      error: 'DeadlineExceededError',
      message: 'no InService replacement after 10 min',
    });
  });

  it('ignores a malformed section instead of failing to notify', () => {
    const state = readState({ context: context(), repoint: { routes: 'garbage' }, verify: 42 });
    const { report } = render('failed', state);
    expect(report.routes).toEqual([]);
  });
});

describe('renderNotification', () => {
  it('puts link, outcome, instances, routes, time to recover and the console link first, then the JSON record', () => {
    const { message } = render('recovered', fullState());
    const lines = message.text.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'home-to-west: the gateway was replaced and the link recovered.',
      'Link: home-to-west; trigger: alarm (Unhealthy alarm in ALARM since 2026-11-26T11:58:00Z)',
      `Instance: ${OLD} -> ${NEW}`,
      'Elastic IP: 203.0.113.10',
      `Routes changed: 1 of 2 (rtb-0a1b2c3d4e5f60718 10.20.0.0/16 -> ${NEW_ENI})`,
      'Time to recover: 4 min 12 s',
      `Execution: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXECUTION}`,
    ]);
    const record = JSON.parse(
      message.text.slice(message.text.indexOf('Record (JSON):') + 'Record (JSON):'.length),
    );
    expect(record).toMatchObject({
      outcome: 'recovered',
      newInstanceId: NEW,
      executionArn: EXECUTION,
      failure: null,
    });
    expect(message.subject).toBe(`[VpnGuard] home-to-west recovered in 4m12s: ${OLD} -> ${NEW} (alarm)`);
    expect(message.sms).toBe(`VpnGuard home-to-west recovered in 4m12s, gateway ${OLD} -> ${NEW}`);
  });

  it('writes a subject and an SMS line for every outcome, short, printable ASCII, one line', () => {
    const outcomes: NotifyOutcome[] = [
      'recovered',
      'failed',
      'skipped-locked',
      'skipped-cooldown',
      'exhausted',
      'recovered-by-itself',
    ];
    const long = readState({
      ...fullState(),
      context: { ...context(), link: 'a-very-long-link-name-of-32-char' },
    } as never);
    for (const outcome of outcomes) {
      for (const state of [fullState(), fullState(true), long]) {
        const { message } = render(outcome, state);
        expect(message.subject.length, outcome).toBeLessThanOrEqual(MAX_SUBJECT);
        expect(message.sms.length, outcome).toBeLessThanOrEqual(MAX_SMS);
        expect(message.subject, outcome).toMatch(/^[\x20-\x7E]+$/);
        expect(message.sms, outcome).toMatch(/^[\x20-\x7E]+$/);
      }
    }
  });

  it('says why each skip happened and that nothing changed', () => {
    const skipped = (outcome: NotifyOutcome, extra: Record<string, unknown>) =>
      render(outcome, readState({ context: context(), ...extra })).message;
    const locked = skipped('skipped-locked', {
      lock: {
        decision: 'held-by-other',
        holder: `${EXECUTION.replace(/:[^:]+$/, '')}:home-to-west-drill-20261126T115000`,
        notes: [],
      },
    });
    expect(locked.subject).toBe('[VpnGuard] home-to-west remediation skipped: another one is running');
    expect(locked.text).toMatch(
      /^home-to-west: remediation skipped, home-to-west-drill-20261126T115000 is already remediating this link. Nothing was changed./,
    );
    const cooldown = skipped('skipped-cooldown', {
      budget: {
        decision: 'cooldown',
        attemptsInWindow: 1,
        maxAttemptsPer24h: 3,
        cooldownUntil: '2026-11-26T12:14:00.000Z',
        nextAttemptAt: null,
        notes: [],
      },
    });
    expect(cooldown.subject).toBe('[VpnGuard] home-to-west remediation skipped: cooldown until 12:14 UTC');
    const exhausted = skipped('exhausted', {
      budget: {
        decision: 'exhausted',
        attemptsInWindow: 3,
        maxAttemptsPer24h: 3,
        cooldownUntil: null,
        nextAttemptAt: '2026-11-27T08:00:00.000Z',
        notes: [],
      },
    });
    expect(exhausted.subject).toBe(
      '[VpnGuard] home-to-west: automatic remediation exhausted, a human is needed',
    );
    expect(exhausted.text).toMatch(
      /3 of 3 attempts in the last 24 h\), a human is needed\. Nothing was changed\. The next automatic attempt is possible after 2026-11-27 08:00:00 UTC\./,
    );
    expect(skipped('recovered-by-itself', {}).subject).toBe(
      '[VpnGuard] home-to-west recovered by itself, nothing changed',
    );
  });

  it('announces a failure with its state and cause and asks for a human', () => {
    const state = readState({
      context: context(),
      failure: { failedState: 'RepointRoutes', attempt: 'completed' },
      error: {
        Error: 'GatewayUpdateError',
        Cause: 'rtb-0a1b2c3d4e5f60718 10.20.0.0/16 (ReplaceRoute): InvalidParameterValue: bad',
      },
    });
    const { message } = render('failed', state);
    expect(message.subject).toBe('[VpnGuard] home-to-west remediation FAILED at RepointRoutes');
    expect(message.text.split('\n').slice(0, 2)).toEqual([
      'home-to-west: remediation FAILED at RepointRoutes: GatewayUpdateError: rtb-0a1b2c3d4e5f60718 10.20.0.0/16 (ReplaceRoute): InvalidParameterValue: bad',
      'A human is needed: the link may still be down.',
    ]);
    expect(message.sms).toBe(
      'VpnGuard home-to-west remediation FAILED at RepointRoutes: GatewayUpdateError. A human is needed.',
    );
  });

  it('announces a dry run as a plan of the changes a real run would make', () => {
    const { message } = render('recovered', fullState(true));
    expect(message.subject).toBe('[VpnGuard] home-to-west dry run: 4 changes planned');
    expect(message.text).toMatch(
      /^home-to-west: dry run, nothing was changed\. A real run would make 4 change\(s\), listed below\./,
    );
    expect(message.text).toContain('\nPlan:\n- Lock: acquired\n');
  });
});

describe('text helpers', () => {
  it("links the execution in its partition's console", () => {
    expect(consoleUrl('arn:aws-cn:states:cn-north-1:111111111111:execution:m:n')).toBe(
      'https://cn-north-1.console.amazonaws.cn/states/home?region=cn-north-1#/v2/executions/details/arn:aws-cn:states:cn-north-1:111111111111:execution:m:n',
    );
  });

  it('formats durations and Step Functions errors for humans', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(252)).toBe('4 min 12 s');
    expect(describeStepError({ Error: 'States.Timeout', Cause: 'The state timed out' })).toEqual({
      name: 'States.Timeout',
      message: 'The state timed out',
    });
    expect(describeStepError(undefined)).toEqual({ name: 'UnknownError', message: 'undefined' });
  });
});
