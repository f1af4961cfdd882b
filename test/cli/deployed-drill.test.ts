import {
  CloudFormationClient,
  DescribeStacksCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/drill.ts';
import {
  awsError,
  CLOCK_START,
  eventLines,
  executionArnOf,
  FAILED_FIXTURE,
  historyPage,
  loadHistoryFixture,
  POLL_INTERVAL_MS,
  REASON,
  RECOVERED_FIXTURE,
  recordedExecution,
  STACK,
  STATE_MACHINE_ARN,
  testIo,
} from './support.ts';

const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);

beforeEach(() => {
  cfn.reset();
  sfn.reset();
});
afterAll(() => {
  cfn.restore();
  sfn.restore();
});

const LINK = 'home-to-west';
const DRILL_NAME = 'home-to-west-drill-20261126T202938';
const DRILL_ARN = executionArnOf(DRILL_NAME);
const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${DRILL_ARN}`;

const OUTPUTS: Record<string, string> = {
  RemediationStateMachineArn: STATE_MACHINE_ARN,
  MonitorStateMachineArn: STATE_MACHINE_ARN.replace('Remediation', 'Monitor'),
  AlarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:VpnGuard-Alarms',
  LockTableName: 'VpnGuard-Locks',
  LinkNames: 'home-to-west,home-to-east',
  Namespace: 'VpnGuard',
};

function stackHas(outputs: Record<string, string>, status: StackStatus = 'UPDATE_COMPLETE'): void {
  cfn.on(DescribeStacksCommand, { StackName: STACK }).resolves({
    Stacks: [
      {
        StackName: STACK,
        StackStatus: status,
        CreationTime: new Date('2026-11-01T00:00:00Z'),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

function nothingRunning(): void {
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
}

function startSucceeds(name = DRILL_NAME): void {
  sfn.on(StartExecutionCommand).resolves({ executionArn: executionArnOf(name), startDate: CLOCK_START });
}

/**
 * Scripts one execution: each DescribeExecution is a new polling round, after which the first
 * `visible[round]` events of the history exist; the last round has the final status. History
 * pages hold at most `pageSize` events (Step Functions may return fewer than maxResults).
 */
function executionRuns(options: {
  events: HistoryEvent[];
  name?: string;
  visible: number[];
  final: Partial<DescribeExecutionCommandOutput> & { status: DescribeExecutionCommandOutput['status'] };
  pageSize?: number;
}): void {
  const name = options.name ?? DRILL_NAME;
  const recorded = recordedExecution(options.events);
  let round = 0;
  const visibleNow = () => options.visible[Math.min(round, options.visible.length) - 1] ?? 0;
  sfn.on(DescribeExecutionCommand, { executionArn: executionArnOf(name) }).callsFake(() => {
    round += 1;
    const ended = round >= options.visible.length;
    return {
      executionArn: executionArnOf(name),
      stateMachineArn: STATE_MACHINE_ARN,
      name,
      startDate: recorded.startDate,
      ...(recorded.input === undefined ? {} : { input: recorded.input }),
      ...(ended ? { ...options.final } : { status: 'RUNNING' }),
    };
  });
  sfn.on(GetExecutionHistoryCommand).callsFake((input: { nextToken?: string; reverseOrder?: boolean }) => {
    const events = options.events.slice(0, visibleNow());
    return historyPage(
      input.reverseOrder ? [...events].reverse() : events,
      input.nextToken,
      options.pageSize ?? 30,
    );
  });
}

function recoveredRun(visible = [25, 70, 104]): HistoryEvent[] {
  const events = loadHistoryFixture(RECOVERED_FIXTURE);
  const { output } = recordedExecution(events);
  executionRuns({ events, visible, final: { status: 'SUCCEEDED', ...(output ? { output } : {}) } });
  return events;
}

describe('npm run drill -- --stack NAME --link LINK', () => {
  it('starts a drill named after the link and time, follows every history page once, and exits 0 when it recovered', async () => {
    // Prepare
    stackHas(OUTPUTS);
    nothingRunning();
    startSucceeds();
    const events = recoveredRun();
    const { io, stdout, stderr, sleeps } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK, '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(cfn.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input)).toEqual([
      { StackName: STACK },
    ]);
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING', maxResults: 100 },
    ]);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: DRILL_NAME,
        input: JSON.stringify({ link: LINK, trigger: 'drill', dryRun: false, reason: REASON }),
      },
    ]);
    // Round 1 sees 25 events (one page); round 2 reads on to 70 over three pages and remembers the
    // token of the last, partial page; round 3 re-reads from that token to the end.
    expect(sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input)).toEqual([
      { executionArn: DRILL_ARN, maxResults: 100 },
      { executionArn: DRILL_ARN, maxResults: 100 },
      { executionArn: DRILL_ARN, maxResults: 100, nextToken: '30' },
      { executionArn: DRILL_ARN, maxResults: 100, nextToken: '60' },
      { executionArn: DRILL_ARN, maxResults: 100, nextToken: '60' },
      { executionArn: DRILL_ARN, maxResults: 100, nextToken: '90' },
    ]);
    expect(sleeps).toEqual([POLL_INTERVAL_MS, POLL_INTERVAL_MS]);
    const lines = eventLines(stderr.text);
    expect(lines).toHaveLength(events.length);
    expect(lines.filter((line) => line.includes('ExecutionStarted'))).toHaveLength(1);
    const summary = JSON.parse(stdout.text);
    expect(summary).toMatchObject({
      outcome: 'recovered',
      link: LINK,
      trigger: 'drill',
      dryRun: false,
      executionName: DRILL_NAME,
      executionArn: DRILL_ARN,
      consoleUrl: CONSOLE_URL,
      timeToDetectSeconds: null,
      timeToRecoverSeconds: 164,
      simulatedTime: false,
      mutatingCalls: null,
      oldInstanceId: 'i-0a1b2c3d4e5f60718',
      newInstanceId: 'i-0f9e8d7c6b5a49382',
      failedState: null,
      error: null,
    });
    expect(summary.routesChanged).toHaveLength(2);
  });

  it('prints history lines, plain progress lines and the text summary with the console URL when not on a terminal', async () => {
    // Prepare
    stackHas(OUTPUTS);
    nothingRunning();
    startSucceeds();
    recoveredRun();
    const { io, stdout, stderr } = testIo({ tty: false });

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK], io);

    // Assess
    expect(code).toBe(0);
    expect(stderr.text).toBe('');
    expect(stdout.text).toContain(`Started ${DRILL_NAME}\n  ${CONSOLE_URL}\n`);
    expect(stdout.text).toContain('20:29:38.452Z   +0:00  TaskStateEntered           ValidateInput\n');
    // One heartbeat: the second round comes only seconds later, and events already show the progress.
    expect(stdout.text.split('\n').filter((line) => line.startsWith('…'))).toEqual([
      '… DescribeGateway (0s elapsed)',
    ]);
    expect(stdout.text).toContain('Drill summary\n  outcome           recovered\n');
    expect(stdout.text).toContain(`  console           ${CONSOLE_URL}\n`);
    expect(stdout.text).not.toContain('\r');
    expect(stdout.text).not.toContain('\u001b[');
  });

  it('redraws one progress line in place on a terminal, and uses no colour when NO_COLOR is set', async () => {
    // Prepare
    stackHas(OUTPUTS);
    nothingRunning();
    startSucceeds();
    recoveredRun();
    const { io, stdout } = testIo({ tty: true, env: { NO_COLOR: '1' } });

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK], io);

    // Assess
    expect(code).toBe(0);
    expect(stdout.text).toContain('\r\u001b[2K');
    // Redrawing uses cursor controls (ESC [2K); colours would be SGR codes (ESC [<n>m).
    expect(stdout.text.replaceAll('\r\u001b[2K', '')).not.toContain('\u001b[');
  });

  it('colours the output on a terminal when NO_COLOR is not set', async () => {
    // Prepare
    stackHas(OUTPUTS);
    nothingRunning();
    startSucceeds();
    recoveredRun();
    const { io, stdout } = testIo({ tty: true });

    // Act
    await runCli(['--stack', STACK, '--link', LINK], io);

    // Assess
    expect(stdout.text).toContain('\u001b[32mrecovered\u001b[39m');
  });

  it('reports a failed drill with its failed state and cause, and exits 1', async () => {
    // Prepare
    stackHas(OUTPUTS);
    nothingRunning();
    const name = 'home-to-west-drill-20261126T202938';
    startSucceeds(name);
    const events = loadHistoryFixture(FAILED_FIXTURE);
    const { error, cause } = recordedExecution(events);
    executionRuns({ events, name, visible: [events.length], final: { status: 'FAILED', error, cause } });
    const { io, stdout } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK, '--json'], io);

    // Assess
    expect(code).toBe(1);
    expect(JSON.parse(stdout.text)).toMatchObject({
      outcome: 'failed',
      failedState: 'AwaitReplacement',
      error: expect.stringMatching(
        /^DeadlineExceededError: replacement for i-0a1b2c3d4e5f60718 not InService/,
      ),
      timeToRecoverSeconds: null,
      notifications: [
        {
          kind: 'NotifyFailure',
          subject: '[VpnGuard] home-to-west remediation FAILED at AwaitReplacement (drill)',
        },
      ],
    });
  });

  it('runs a dry run (dryRun true in the input), prints its plan, and exits 0 when the plan was produced', async () => {
    // Prepare
    stackHas(OUTPUTS);
    nothingRunning();
    startSucceeds();
    const report = {
      outcome: 'dry-run-plan',
      link: LINK,
      trigger: 'drill',
      dryRun: true,
      executionName: DRILL_NAME,
      timeToRecoverSeconds: null,
      oldInstanceId: 'i-0a1b2c3d4e5f60718',
      newInstanceId: null,
      elasticIp: '203.0.113.10',
      routes: [],
      plan: [
        'terminate i-0a1b2c3d4e5f60718 in vpn-gateway-home (the group launches a replacement)',
        'associate 203.0.113.10 (eipalloc-0a1b2c3d4e5f60718) with the replacement',
        'replace rtb-0a1b2c3d4e5f60718 10.20.0.0/16 -> the replacement ENI',
      ],
      reason: REASON,
      notification: { subject: '[VpnGuard] home-to-west dry run: 3 changes planned' },
    };
    const events = loadHistoryFixture(RECOVERED_FIXTURE).slice(0, 6);
    executionRuns({ events, visible: [6], final: { status: 'SUCCEEDED', output: JSON.stringify(report) } });
    const { io, stdout } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK, '--dry-run'], io);

    // Assess
    expect(code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: DRILL_NAME,
      input: JSON.stringify({ link: LINK, trigger: 'drill', dryRun: true, reason: REASON }),
    });
    expect(stdout.text).toContain(`Started ${DRILL_NAME} (dry run: nothing will be changed)`);
    expect(stdout.text).toContain('outcome           dry-run-plan\n');
    expect(stdout.text).toContain(
      '  plan              terminate i-0a1b2c3d4e5f60718 in vpn-gateway-home (the group launches a replacement)\n',
    );
  });

  it('takes the machine from --state-machine-arn without reading any stack', async () => {
    // Prepare
    nothingRunning();
    startSucceeds();
    recoveredRun([104]);
    const { io } = testIo();

    // Act
    const code = await runCli(['--state-machine-arn', STATE_MACHINE_ARN, '--link', LINK, '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe(STATE_MACHINE_ARN);
  });
});

describe('Ctrl-C and --abort', () => {
  it('stops following but not the drill on Ctrl-C, and says how to keep watching', async () => {
    // Prepare
    stackHas(OUTPUTS);
    nothingRunning();
    startSucceeds();
    recoveredRun();
    const { io, stdout, stderr } = testIo({ onSleep: (_count, interrupt) => interrupt.abort() });

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK, '--json'], io);

    // Assess
    expect(code).toBe(1);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(JSON.parse(stdout.text)).toMatchObject({ outcome: 'running', executionArn: DRILL_ARN });
    expect(stderr.text).toContain('Stopped following; the execution keeps running in Step Functions.');
    expect(stderr.text).toContain(`  console: ${CONSOLE_URL}\n`);
    expect(stderr.text).toContain(`  follow:  npm run drill -- --execution-arn ${DRILL_ARN}\n`);
    expect(stderr.text).toContain(`  history: npm run drill -- --stack ${STACK} --history --link ${LINK}\n`);
  });

  it('stops the execution on Ctrl-C when --abort was given, and reports it aborted', async () => {
    // Prepare
    stackHas(OUTPUTS);
    nothingRunning();
    startSucceeds();
    const events = loadHistoryFixture(RECOVERED_FIXTURE).slice(0, 40);
    executionRuns({
      events,
      visible: [25, 40],
      final: {
        status: 'ABORTED',
        error: 'DrillAborted',
        cause: 'stopped by tester@test-host via vpn-guard CLI',
      },
    });
    sfn.on(StopExecutionCommand).resolves({ stopDate: CLOCK_START });
    const { io, stdout } = testIo({ onSleep: (_count, interrupt) => interrupt.abort() });

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK, '--abort', '--json'], io);

    // Assess
    expect(code).toBe(1);
    expect(sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input)).toEqual([
      {
        executionArn: DRILL_ARN,
        error: 'DrillAborted',
        cause: 'stopped by tester@test-host via vpn-guard CLI (Ctrl-C with --abort)',
      },
    ]);
    expect(JSON.parse(stdout.text)).toMatchObject({
      outcome: 'aborted',
      error: expect.stringMatching(/^DrillAborted/),
    });
  });

  it('stops a running execution with --execution-arn ARN --abort and exits 0', async () => {
    // Prepare
    const events = loadHistoryFixture(RECOVERED_FIXTURE).slice(0, 40);
    executionRuns({ events, visible: [40, 40], final: { status: 'ABORTED', error: 'DrillAborted' } });
    sfn.on(StopExecutionCommand).resolves({ stopDate: CLOCK_START });
    const { io, stdout } = testIo();

    // Act
    const code = await runCli(['--execution-arn', DRILL_ARN, '--abort'], io);

    // Assess
    expect(code).toBe(0);
    expect(sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input)).toEqual([
      {
        executionArn: DRILL_ARN,
        error: 'DrillAborted',
        cause: 'stopped by tester@test-host via vpn-guard CLI (--abort)',
      },
    ]);
    expect(stdout.text).toMatch(/ {2}outcome +aborted\n/);
  });

  it('follows an execution already started with --execution-arn ARN', async () => {
    // Prepare
    recoveredRun();
    const { io, stdout } = testIo();

    // Act
    const code = await runCli(['--execution-arn', DRILL_ARN, '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(JSON.parse(stdout.text)).toMatchObject({ outcome: 'recovered', executionArn: DRILL_ARN });
  });
});

describe('configuration errors: one line with the fix, exit code 2', () => {
  function oneLine(text: string): string {
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    return lines[0] ?? '';
  }

  it('explains that no credentials were found and how to provide them', async () => {
    // Prepare
    cfn
      .on(DescribeStacksCommand)
      .rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK], io);

    // Assess
    expect(code).toBe(2);
    expect(oneLine(stderr.text)).toBe(
      'error: no usable AWS credentials (Could not load credentials from any providers): pass --profile P (after "aws sso login --profile P" for SSO), set AWS_PROFILE, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  });

  it('names an unknown stack and says where to look', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id Nope does not exist'));
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', 'Nope', '--link', LINK], io);

    // Assess
    expect(code).toBe(2);
    expect(oneLine(stderr.text)).toBe(
      'error: Stack with id Nope does not exist: check the stack name and its Region (--region, AWS_REGION or the profile\'s); "aws cloudformation list-stacks" lists them',
    );
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses a stack without the VPN Guard outputs, naming the missing ones', async () => {
    // Prepare
    stackHas({ BucketName: 'some-bucket' }, 'CREATE_COMPLETE');
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK], io);

    // Assess
    expect(code).toBe(2);
    expect(oneLine(stderr.text)).toBe(
      `error: stack "${STACK}" has no VPN Guard outputs: missing RemediationStateMachineArn, LinkNames; is it the VPN Guard stack, deployed with this version? Pass its name with --stack, or the machine with --state-machine-arn`,
    );
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses an unknown link and lists the configured ones', async () => {
    // Prepare
    stackHas(OUTPUTS);
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', 'home-to-north'], io);

    // Assess
    expect(code).toBe(2);
    expect(oneLine(stderr.text)).toBe(
      `error: unknown link "home-to-north": stack "${STACK}" configures home-to-west, home-to-east; pass one of them with --link`,
    );
    expect(sfn.calls()).toHaveLength(0);
  });

  it('lists the configured links when --link is missing', async () => {
    // Prepare
    stackHas(OUTPUTS);
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', STACK], io);

    // Assess
    expect(code).toBe(2);
    expect(oneLine(stderr.text)).toBe(
      `error: --link LINK is required: stack "${STACK}" configures home-to-west, home-to-east`,
    );
  });

  it('names the action the identity may not call when Step Functions denies access', async () => {
    // Prepare
    stackHas(OUTPUTS);
    nothingRunning();
    sfn
      .on(StartExecutionCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          `User: arn:aws:sts::123456789012:assumed-role/ReadOnly/alice is not authorized to perform: states:StartExecution on resource: ${STATE_MACHINE_ARN} because no identity-based policy allows the states:StartExecution action`,
        ),
      );
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK], io);

    // Assess
    expect(code).toBe(2);
    expect(oneLine(stderr.text)).toBe(
      `error: access denied: arn:aws:sts::123456789012:assumed-role/ReadOnly/alice may not call states:StartExecution on ${STATE_MACHINE_ARN}: grant states:StartExecution to that role or user (the README lists the operator's permissions), or use a profile that has it`,
    );
  });

  it('names the action that was denied even when CloudFormation does not say it', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand).rejects(awsError('AccessDenied', 'Access Denied'));
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK], io);

    // Assess
    expect(code).toBe(2);
    expect(oneLine(stderr.text)).toBe(
      `error: access denied: your identity may not call cloudformation:DescribeStacks on ${STACK}: grant cloudformation:DescribeStacks to that role or user (the README lists the operator's permissions), or use a profile that has it`,
    );
  });

  it('refuses to start while a remediation of the link is running, naming it', async () => {
    // Prepare
    stackHas(OUTPUTS);
    const running = 'home-to-west-alarm-20261126T201500';
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: executionArnOf(running),
          stateMachineArn: STATE_MACHINE_ARN,
          name: running,
          status: 'RUNNING',
          startDate: new Date('2026-11-26T20:15:02Z'),
        },
      ],
    });
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK], io);

    // Assess
    expect(code).toBe(2);
    expect(oneLine(stderr.text)).toBe(
      `error: a remediation of "home-to-west" is already running: ${running} (started 2026-11-26 20:15:02 UTC); follow it with "npm run drill -- --execution-arn ${executionArnOf(running)}", or pass --force to start another anyway`,
    );
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('looks for running remediations on every page and ignores other links that share the prefix', async () => {
    // Prepare
    stackHas({ ...OUTPUTS, LinkNames: 'home-to-west,home-to-west-2' });
    sfn
      .on(ListExecutionsCommand, { nextToken: undefined })
      .resolves({
        executions: [
          {
            executionArn: executionArnOf('home-to-west-2-alarm-20261126T201500'),
            stateMachineArn: STATE_MACHINE_ARN,
            name: 'home-to-west-2-alarm-20261126T201500',
            status: 'RUNNING',
            startDate: new Date('2026-11-26T20:15:02Z'),
          },
        ],
        nextToken: 'more',
      })
      .on(ListExecutionsCommand, { nextToken: 'more' })
      .resolves({ executions: [] });
    startSucceeds();
    recoveredRun([104]);
    const { io } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK, '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING', maxResults: 100 },
      { stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING', maxResults: 100, nextToken: 'more' },
    ]);
  });

  it('starts anyway with --force, without looking for running remediations', async () => {
    // Prepare
    stackHas(OUTPUTS);
    startSucceeds();
    recoveredRun([104]);
    const { io } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK, '--force', '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('explains an ExecutionAlreadyExists from StartExecution (a drill of the link started in the same second)', async () => {
    // Prepare
    stackHas(OUTPUTS);
    nothingRunning();
    sfn
      .on(StartExecutionCommand)
      .rejects(awsError('ExecutionAlreadyExists', `Execution Already Exists: '${DRILL_ARN}'`));
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK], io);

    // Assess
    expect(code).toBe(2);
    expect(oneLine(stderr.text)).toBe(
      `error: an execution named ${DRILL_NAME} already exists: a remediation of "home-to-west" was started in this same second; see it with "npm run drill -- --stack ${STACK} --history --link home-to-west", or run again`,
    );
  });

  it('asks for a Region when the SDK chain has none', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand).rejects(new Error('Region is missing'));
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK], io);

    // Assess
    expect(code).toBe(2);
    expect(oneLine(stderr.text)).toBe(
      'error: no AWS Region: pass --region R, set AWS_REGION, or give the profile a region in ~/.aws/config',
    );
  });

  it('still says how to keep watching when following fails after the drill started', async () => {
    // Prepare
    stackHas(OUTPUTS);
    nothingRunning();
    startSucceeds();
    sfn
      .on(DescribeExecutionCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          `User: arn:aws:sts::123456789012:assumed-role/Drill/alice is not authorized to perform: states:DescribeExecution on resource: ${DRILL_ARN}`,
        ),
      );
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--link', LINK], io);

    // Assess
    expect(code).toBe(2);
    expect(stderr.text).toContain(`  console: ${CONSOLE_URL}\n`);
    expect(stderr.text.trimEnd().split('\n').at(-1)).toMatch(
      /^error: access denied: .* may not call states:DescribeExecution on /,
    );
  });
});
