import { describe, expect, it } from 'vitest';
import { toExecutionEvent } from '../../cli/deployed/adapters.ts';
import { makeStyle, renderHistoryLine, renderSummary } from '../../cli/render.ts';
import {
  buildDeployedSummary,
  causeMessage,
  consoleUrlFor,
  currentStateOf,
  type ExecutionDescription,
  type ExecutionEvent,
  failedStateOf,
  isDrillOk,
  toHistoryLines,
  toRemediationRecord,
} from '../../cli/summary.ts';
import {
  executionArnOf,
  FAILED_FIXTURE,
  loadHistoryFixture,
  RECOVERED_FIXTURE,
  recordedExecution,
  STATE_MACHINE_ARN,
} from './support.ts';

function describeFrom(fixture: string, name: string, status: ExecutionDescription['status']) {
  const raw = loadHistoryFixture(fixture);
  const events = raw.map(toExecutionEvent);
  const description: ExecutionDescription = {
    executionArn: executionArnOf(name),
    stateMachineArn: STATE_MACHINE_ARN,
    name,
    status,
    ...recordedExecution(raw),
  };
  return { events, description };
}

const RECOVERED_NAME = 'home-to-west-drill-20261126T202938';
const FAILED_NAME = 'home-to-west-drill-20261127T081503';

describe('drill summary from a recorded execution history', () => {
  it('summarises a recovered remediation from its RemediationReport output, as real (not simulated) time', () => {
    // Prepare
    const { events, description } = describeFrom(RECOVERED_FIXTURE, RECOVERED_NAME, 'SUCCEEDED');

    // Act
    const { summary, plan } = buildDeployedSummary(description, events);

    // Assess
    expect(summary).toEqual({
      outcome: 'recovered',
      link: 'home-to-west',
      trigger: 'drill',
      dryRun: false,
      executionName: RECOVERED_NAME,
      executionArn: executionArnOf(RECOVERED_NAME),
      consoleUrl: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArnOf(RECOVERED_NAME)}`,
      timeToDetectSeconds: null,
      timeToRecoverSeconds: 164,
      simulatedTime: false,
      remediations: 1,
      oldInstanceId: 'i-0a1b2c3d4e5f60718',
      newInstanceId: 'i-0f9e8d7c6b5a49382',
      routesChanged: [
        {
          routeTableId: 'rtb-0a1b2c3d4e5f60718',
          destinationCidrBlock: '10.20.0.0/16',
          from: { target: 'i-0a1b2c3d4e5f60718', state: 'blackhole' },
          to: { networkInterfaceId: 'eni-0f9e8d7c6b5a49382' },
          action: 'replace',
        },
        {
          routeTableId: 'rtb-0b1c2d3e4f5a60718',
          destinationCidrBlock: '10.20.0.0/16',
          from: { target: 'i-0a1b2c3d4e5f60718', state: 'blackhole' },
          to: { networkInterfaceId: 'eni-0f9e8d7c6b5a49382' },
          action: 'replace',
        },
      ],
      notifications: [{ kind: 'recovered', subject: '[VpnGuard] home-to-west recovered in 2m 44s (drill)' }],
      mutatingCalls: null,
      failedState: null,
      error: null,
      expectations: [
        { description: 'the remediation recovered the link', met: true },
        {
          description: 'the gateway instance was replaced',
          met: true,
          detail: 'i-0a1b2c3d4e5f60718 -> i-0f9e8d7c6b5a49382',
        },
      ],
    });
    expect(plan).toEqual([]);
    expect(isDrillOk(summary)).toBe(true);
  });

  it('renders the recovered summary as text with the outcome, times, instances, routes and console URL', () => {
    // Prepare
    const { events, description } = describeFrom(RECOVERED_FIXTURE, RECOVERED_NAME, 'SUCCEEDED');
    const { summary } = buildDeployedSummary(description, events);

    // Act
    const text = renderSummary(summary, { style: makeStyle(false) });

    // Assess
    expect(text).toContain('outcome           recovered');
    expect(text).toContain('time to detect    n/a (not observable from a drill)');
    expect(text).toContain('time to recover   2m 44s\n');
    expect(text).toContain('gateway instance  i-0a1b2c3d4e5f60718 -> i-0f9e8d7c6b5a49382');
    expect(text).toContain(
      'rtb-0a1b2c3d4e5f60718 10.20.0.0/16: replace i-0a1b2c3d4e5f60718 (blackhole) -> eni-0f9e8d7c6b5a49382',
    );
    expect(text).toContain('mutating calls    n/a (not observable)');
    expect(text).toContain(`console           ${consoleUrlFor(executionArnOf(RECOVERED_NAME))}`);
    expect(text).not.toContain('simulated');
    expect(text).not.toContain('\u001b[');
  });

  it('lists every recorded event as the console does: time, type, the state it belongs to, and errors', () => {
    // Prepare
    const { events, description } = describeFrom(RECOVERED_FIXTURE, RECOVERED_NAME, 'SUCCEEDED');

    // Act
    const lines = toHistoryLines(events).map((line) =>
      renderHistoryLine(line, makeStyle(false), description.startDate),
    );

    // Assess
    expect(lines).toHaveLength(events.length);
    expect(lines[0]).toBe('20:29:38.412Z   +0:00  ExecutionStarted');
    expect(lines[1]).toBe('20:29:38.452Z   +0:00  TaskStateEntered           ValidateInput');
    expect(lines[2]).toBe(
      '20:29:38.472Z   +0:00  TaskScheduled              ValidateInput              lambda:invoke',
    );
    expect(lines).toContain(
      '20:29:39.802Z   +0:01  TaskFailed                 DescribeGateway            AwsThrottledError: DescribeInstances: RequestLimitExceeded: Request limit exceeded.',
    );
    expect(lines.at(-1)).toBe('20:32:22.717Z   +2:44  ExecutionSucceeded         Recovered');
  });

  it('names the state that failed, not the clean-up states run after the catch, with the Fail cause', () => {
    // Prepare
    const { events, description } = describeFrom(FAILED_FIXTURE, FAILED_NAME, 'FAILED');

    // Act
    const { summary } = buildDeployedSummary(description, events);

    // Assess
    expect(summary.outcome).toBe('failed');
    expect(summary.failedState).toBe('AwaitReplacement');
    expect(summary.error).toBe(
      'DeadlineExceededError: replacement for i-0a1b2c3d4e5f60718 not InService after 10 minutes (ASG vpn-gateway-home: last activity "Launching a new EC2 instance. Status Reason: We currently do not have sufficient t4g.nano capacity")',
    );
    expect(summary.notifications).toEqual([
      {
        kind: 'NotifyFailure',
        subject: '[VpnGuard] home-to-west remediation FAILED at AwaitReplacement (drill)',
      },
    ]);
    expect(summary.timeToRecoverSeconds).toBeNull();
    expect(isDrillOk(summary)).toBe(false);
  });

  it('finds the failed state from the reversed tail of the history that --history reads', () => {
    // Prepare
    const { events, description } = describeFrom(FAILED_FIXTURE, FAILED_NAME, 'FAILED');
    const tail = [...events].reverse().slice(0, 30);

    // Act
    const record = toRemediationRecord(description, tail);

    // Assess
    expect(record).toMatchObject({
      executionName: FAILED_NAME,
      link: 'home-to-west',
      trigger: 'drill',
      dryRun: false,
      status: 'FAILED',
      outcome: 'failed',
      failedState: 'AwaitReplacement',
      timeToRecoverSeconds: null,
    });
  });

  it('names the state that failed first when a later clean-up state fails with the same error', () => {
    // Prepare: RepointRoutes fails throttled (caught), then NotifyFailure is throttled too (caught),
    // ReleaseLock runs and the Fail state ends the execution with AwsThrottledError.
    let id = 0;
    const at = (seconds: number) => new Date(Date.UTC(2026, 10, 27, 8, 15, seconds));
    const event = (type: string, extra: Partial<ExecutionEvent> = {}): ExecutionEvent => {
      id += 1;
      return { id, previousEventId: id - 1, type, timestamp: at(id), ...extra };
    };
    const failedTask = (state: string, cause: string): ExecutionEvent[] => [
      event('TaskStateEntered', { name: state }),
      event('TaskScheduled', { resource: 'lambda:invoke' }),
      event('TaskStarted'),
      event('TaskFailed', { error: 'AwsThrottledError', cause }),
      event('TaskStateExited', { name: state }),
    ];
    const events: ExecutionEvent[] = [
      event('ExecutionStarted'),
      ...failedTask('RepointRoutes', 'ReplaceRoute: RequestLimitExceeded'),
      ...failedTask('NotifyFailure', 'Publish: Throttling'),
      event('TaskStateEntered', { name: 'ReleaseLock' }),
      event('TaskSucceeded'),
      event('TaskStateExited', { name: 'ReleaseLock' }),
      event('FailStateEntered', { name: 'RemediationFailed' }),
      event('ExecutionFailed', { error: 'AwsThrottledError', cause: 'ReplaceRoute: RequestLimitExceeded' }),
    ];

    // Act
    const state = failedStateOf(events, 'AwsThrottledError');
    const withoutError = failedStateOf(events);

    // Assess
    expect(state).toBe('RepointRoutes');
    expect(withoutError).toBe('RepointRoutes');
  });

  it('names the state running when an execution timed out or was stopped, skipping Fail states', () => {
    // Prepare
    const { events } = describeFrom(RECOVERED_FIXTURE, RECOVERED_NAME, 'SUCCEEDED');
    const upToVerify = events.slice(
      0,
      events.findIndex((event) => event.name === 'VerifyRecovery'),
    );
    const timedOut = [
      ...upToVerify,
      {
        id: 999,
        previousEventId: 998,
        type: 'ExecutionTimedOut',
        timestamp: new Date('2026-11-26T21:00:00Z'),
      },
    ];

    // Act
    const state = failedStateOf(timedOut, 'States.Timeout');

    // Assess
    expect(state).toBe('WaitForRecovery');
  });

  it('reports the state in progress as the last state entered', () => {
    // Prepare
    const { events } = describeFrom(RECOVERED_FIXTURE, RECOVERED_NAME, 'SUCCEEDED');
    const sofar = events.slice(
      0,
      events.findIndex((event) => event.type === 'WaitStateExited'),
    );

    // Act
    const state = currentStateOf(sofar);

    // Assess
    expect(state).toBe('WaitForReplacement');
  });

  it('treats a succeeded execution whose output is not a RemediationReport as a failed drill, saying why', () => {
    // Prepare
    const { events, description } = describeFrom(RECOVERED_FIXTURE, RECOVERED_NAME, 'SUCCEEDED');

    // Act
    const { summary } = buildDeployedSummary({ ...description, output: '{"ok":true}' }, events);

    // Assess
    expect(summary.outcome).toBe('failed');
    expect(summary.error).toMatch(/^the execution output is not a RemediationReport/);
    expect(isDrillOk(summary)).toBe(false);
  });

  it('reads the message out of a Lambda error cause and keeps other causes on one line', () => {
    // Act
    const lambda = causeMessage(
      '{"errorType":"GatewayUpdateError","errorMessage":"ReplaceRoute failed","trace":["x"]}',
    );
    const plain = causeMessage('Stopped by\n  alice');

    // Assess
    expect(lambda).toBe('ReplaceRoute failed');
    expect(plain).toBe('Stopped by alice');
  });

  it('links an execution to its own partition and Region console', () => {
    // Act
    const commercial = consoleUrlFor('arn:aws:states:us-east-1:123456789012:execution:M:n');
    const china = consoleUrlFor('arn:aws-cn:states:cn-north-1:123456789012:execution:M:n');
    const gov = consoleUrlFor('arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:M:n');

    // Assess
    expect(commercial).toBe(
      'https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/arn:aws:states:us-east-1:123456789012:execution:M:n',
    );
    expect(china).toMatch(/^https:\/\/cn-north-1\.console\.amazonaws\.cn\/states\/home\?region=cn-north-1#/);
    expect(gov).toMatch(/^https:\/\/us-gov-west-1\.console\.amazonaws-us-gov\.com\//);
  });
});
