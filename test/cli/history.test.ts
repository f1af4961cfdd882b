import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/drill.ts';
import {
  executionArnOf,
  FAILED_FIXTURE,
  historyPage,
  loadHistoryFixture,
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
  cfn.on(DescribeStacksCommand, { StackName: STACK }).resolves({
    Stacks: [
      {
        StackName: STACK,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-11-01T00:00:00Z'),
        Outputs: [
          { OutputKey: 'RemediationStateMachineArn', OutputValue: STATE_MACHINE_ARN },
          { OutputKey: 'LinkNames', OutputValue: 'home-to-west,home-to-east' },
        ],
      },
    ],
  });
});
afterAll(() => {
  cfn.restore();
  sfn.restore();
});

const RECOVERED = 'home-to-west-drill-20261126T202938';
const FAILED = 'home-to-west-drill-20261127T081503';
const RUNNING = 'home-to-east-alarm-20261127T093000';

function listed(name: string, status: ExecutionListItem['status'], startDate: Date): ExecutionListItem {
  return { executionArn: executionArnOf(name), stateMachineArn: STATE_MACHINE_ARN, name, status, startDate };
}

/** Three remediations, newest first, each described from its recorded history. */
function threeRemediations(): void {
  const recovered = loadHistoryFixture(RECOVERED_FIXTURE);
  const failed = loadHistoryFixture(FAILED_FIXTURE);
  const described: Record<string, Partial<DescribeExecutionCommandOutput>> = {
    [RECOVERED]: { status: 'SUCCEEDED', ...recordedExecution(recovered) },
    [FAILED]: { status: 'FAILED', ...recordedExecution(failed) },
    [RUNNING]: {
      status: 'RUNNING',
      startDate: new Date('2026-11-27T09:30:00.120Z'),
      input: JSON.stringify({ link: 'home-to-east', trigger: 'alarm', dryRun: false, reason: 'alarm' }),
    },
  };
  sfn.on(ListExecutionsCommand).resolves({
    executions: [
      listed(RUNNING, 'RUNNING', new Date('2026-11-27T09:30:00.120Z')),
      listed(FAILED, 'FAILED', new Date('2026-11-27T08:15:03.207Z')),
      listed(RECOVERED, 'SUCCEEDED', new Date('2026-11-26T20:29:38.412Z')),
    ],
  });
  for (const [name, description] of Object.entries(described)) {
    sfn.on(DescribeExecutionCommand, { executionArn: executionArnOf(name) }).resolves({
      executionArn: executionArnOf(name),
      stateMachineArn: STATE_MACHINE_ARN,
      name,
      ...description,
    } as DescribeExecutionCommandOutput);
  }
  sfn
    .on(GetExecutionHistoryCommand, { executionArn: executionArnOf(FAILED) })
    .callsFake((input: { nextToken?: string; maxResults?: number }) =>
      historyPage([...failed].reverse(), input.nextToken, input.maxResults ?? 100),
    );
}

describe('npm run drill -- --stack NAME --history', () => {
  it('lists recent remediations as a table: start (UTC), link, trigger, outcome, time to recover, failed state', async () => {
    // Prepare
    threeRemediations();
    const { io, stdout } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--history'], io);

    // Assess
    expect(code).toBe(0);
    expect(stdout.text).toBe(
      [
        'STARTED (UTC)        LINK          TRIGGER  OUTCOME    RECOVER  FAILED STATE',
        '2026-11-27 09:30:00  home-to-east  alarm    running    -        -',
        '2026-11-27 08:15:03  home-to-west  drill    failed     -        AwaitReplacement',
        '2026-11-26 20:29:38  home-to-west  drill    recovered  2m 44s   -',
        '',
      ].join('\n'),
    );
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE_ARN, maxResults: 20 },
    ]);
    expect(sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input)).toEqual([
      { executionArn: executionArnOf(FAILED), maxResults: 100, reverseOrder: true },
    ]);
  });

  it('gives a JSON array with --json', async () => {
    // Prepare
    threeRemediations();
    const { io, stdout } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--history', '--json'], io);

    // Assess
    expect(code).toBe(0);
    const records = JSON.parse(stdout.text);
    expect(records).toHaveLength(3);
    expect(records[1]).toEqual({
      executionName: FAILED,
      executionArn: executionArnOf(FAILED),
      startedAt: '2026-11-27T08:15:03.207Z',
      link: 'home-to-west',
      trigger: 'drill',
      dryRun: false,
      status: 'FAILED',
      outcome: 'failed',
      timeToRecoverSeconds: null,
      failedState: 'AwaitReplacement',
      error: expect.stringMatching(/^DeadlineExceededError: /),
      consoleUrl: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArnOf(FAILED)}`,
    });
  });

  it('keeps only the link asked for, reading further pages until --limit rows are found', async () => {
    // Prepare
    sfn
      .on(ListExecutionsCommand, { nextToken: undefined })
      .resolves({
        executions: [
          listed('home-to-east-alarm-20261127T093000', 'SUCCEEDED', new Date('2026-11-27T09:30:00Z')),
          listed('home-to-west-alarm-20261127T090000', 'SUCCEEDED', new Date('2026-11-27T09:00:00Z')),
        ],
        nextToken: 'page-2',
      })
      .on(ListExecutionsCommand, { nextToken: 'page-2' })
      .resolves({
        executions: [
          listed('not-a-remediation', 'SUCCEEDED', new Date('2026-11-27T08:00:00Z')),
          listed('home-to-west-manual-20261126T120000', 'SUCCEEDED', new Date('2026-11-26T12:00:00Z')),
          listed('home-to-west-drill-20261125T120000', 'SUCCEEDED', new Date('2026-11-25T12:00:00Z')),
        ],
      });
    sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => ({
      executionArn: input.executionArn,
      stateMachineArn: STATE_MACHINE_ARN,
      name: input.executionArn.split(':').at(-1),
      status: 'SUCCEEDED',
      startDate: new Date('2026-11-27T09:00:00Z'),
      output: JSON.stringify({
        outcome: 'recovered-by-itself',
        link: 'home-to-west',
        timeToRecoverSeconds: null,
      }),
    }));
    const { io, stdout } = testIo();

    // Act
    const code = await runCli(
      ['--stack', STACK, '--history', '--link', 'home-to-west', '--limit', '2', '--json'],
      io,
    );

    // Assess
    expect(code).toBe(0);
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE_ARN, maxResults: 100 },
      { stateMachineArn: STATE_MACHINE_ARN, maxResults: 100, nextToken: 'page-2' },
    ]);
    expect(JSON.parse(stdout.text).map((record: { executionName: string }) => record.executionName)).toEqual([
      'home-to-west-alarm-20261127T090000',
      'home-to-west-manual-20261126T120000',
    ]);
  });

  it('describes executions a few at a time, never more than four at once', async () => {
    // Prepare
    const names = Array.from({ length: 12 }, (_, i) => `home-to-west-alarm-202611${String(10 + i)}T120000`);
    sfn.on(ListExecutionsCommand).resolves({
      executions: names.map((name) => listed(name, 'SUCCEEDED', new Date('2026-11-20T12:00:00Z'))),
    });
    let inFlight = 0;
    let most = 0;
    sfn.on(DescribeExecutionCommand).callsFake(async (input: { executionArn: string }) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return {
        executionArn: input.executionArn,
        stateMachineArn: STATE_MACHINE_ARN,
        name: input.executionArn.split(':').at(-1),
        status: 'SUCCEEDED',
        startDate: new Date('2026-11-20T12:00:00Z'),
        output: JSON.stringify({ outcome: 'recovered', link: 'home-to-west', timeToRecoverSeconds: 200 }),
      };
    });
    const { io, stdout } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--history', '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(12);
    expect(most).toBe(4);
    expect(JSON.parse(stdout.text).map((record: { executionName: string }) => record.executionName)).toEqual(
      names,
    );
  });

  it('says so when there is no remediation yet', async () => {
    // Prepare
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    const { io, stdout } = testIo();

    // Act
    const code = await runCli(['--stack', STACK, '--history'], io);

    // Assess
    expect(code).toBe(0);
    expect(stdout.text).toBe('No remediations found.\n');
  });
});
